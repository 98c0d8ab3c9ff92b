// Purge (crypto-shredding): docs/change-format.md, "Record keys" and "Purge".
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "log/change_codec.h"
#include "log/record_keys.h"
#include "log/replica_impl.h"
#include "log/transaction.h"
#include "log_test_util.h"
#include "parley/core/bundle.h"
#include "parley/core/sqlite_util.h"
#include "parley/platform/posix_env.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

using logtest::All;
using logtest::CreateWith;
using logtest::Device;
using logtest::MakeTeam;
using logtest::SetOne;
using logtest::Sync;

constexpr char kMarker[] = "purge-marker-7f3a9c";

log::ReplicaImpl& Impl(Device& d) { return static_cast<log::ReplicaImpl&>(*d.replica); }

std::string Key(Device& d) {
  const auto& pk = d.store->device().identity.public_key;
  return std::string(pk.begin(), pk.end());
}

// The record key this device holds (empty when none).
std::string HeldKey(Device& d, const log::RecordId& id) {
  auto k = Impl(d).RecordKey(id);
  EXPECT_TRUE(k.ok());
  if (!k.ok() || !k->has_value()) return {};
  return std::string(reinterpret_cast<const char*>((*k)->view().data()), (*k)->view().size());
}

// Whether any cell of any table of the device's database holds `needle`.
bool AnyTableHolds(Device& d, std::string_view needle) {
  sqlite3* db = Impl(d).db();
  std::vector<std::string> tables;
  {
    Stmt t;
    EXPECT_TRUE(t.Prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table'").ok());
    while (*t.Step()) tables.emplace_back(t.Text(0));
  }
  for (const std::string& name : tables) {
    Stmt s;
    if (!s.Prepare(db, "SELECT * FROM \"" + name + "\"").ok()) continue;
    while (*s.Step()) {
      for (int c = 0; c < sqlite3_column_count(s.raw()); ++c) {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(s.raw(), c));
        const int n = sqlite3_column_bytes(s.raw(), c);
        if (p != nullptr && std::string_view(p, static_cast<std::size_t>(n)).find(needle) !=
                                std::string_view::npos) {
          return true;
        }
      }
    }
  }
  return false;
}

// Whether any held change's body, opened with the epoch keys held, or its slots hold `needle`.
bool AnyBodyHolds(Device& d, std::string_view needle) {
  for (const pb::Change& c : All(d)) {
    for (const std::string& slot : c.key_slots()) {
      if (slot.find(needle) != std::string::npos) return true;
    }
    for (const auto& key : d.store->vault()->epochs) {
      auto body = log::OpenBody(c, key.key.view());
      if (body.ok() && body->SerializeAsString().find(needle) != std::string::npos) return true;
    }
  }
  return false;
}

std::size_t SlotCount(const std::vector<pb::Change>& changes) {
  std::size_t n = 0;
  for (const auto& c : changes) n += static_cast<std::size_t>(c.key_slots_size());
  return n;
}

class Purge : public ::testing::Test {
 protected:
  testing::FakeClock clock;
};

TEST_F(Purge, DestroysTheKeyAndEveryRowOnEachDevice) {
  auto team = MakeTeam(clock, 2);
  const log::RecordId id = CreateWith(team[0], "note", "body", kMarker);
  SetOne(team[0], id, "title", std::string(kMarker) + "-title");
  Sync(team[0], team[1]);
  const std::string key = HeldKey(team[1], id);
  ASSERT_EQ(key.size(), 32u);
  ASSERT_EQ(HeldKey(team[0], id), key);
  EXPECT_EQ(SlotCount(All(team[1])), 1u);
  // The values are sealed under the record key: no body opened with an epoch key shows them.
  EXPECT_FALSE(AnyBodyHolds(team[1], kMarker));
  ASSERT_EQ(team[1]->Get(id)->value().get("body"), kMarker);

  auto purged = team[0]->Purge(id);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(purged->ops_destroyed, 3u);
  EXPECT_TRUE(purged->key_destroyed);
  EXPECT_TRUE(purged->slot_dropped);
  Sync(team[0], team[1]);
  for (Device& d : team) {
    EXPECT_FALSE(d->Get(id)->has_value());
    EXPECT_EQ(HeldKey(d, id), "");
    EXPECT_EQ(SlotCount(All(d)), 0u);
    EXPECT_FALSE(AnyTableHolds(d, kMarker));
    EXPECT_FALSE(AnyTableHolds(d, key));
    EXPECT_FALSE(AnyBodyHolds(d, kMarker));
    EXPECT_FALSE(AnyBodyHolds(d, key));
    auto history = d->History(id);
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ((*history)[0].op, "purge");
    EXPECT_EQ((*history)[0].author, crypto::ToHex(crypto::AsBytes(Key(team[0]))));
    EXPECT_TRUE((*history)[0].value.empty());
    EXPECT_TRUE((*history)[0].field.empty());
    EXPECT_NE((*history)[0].hlc, 0u);
    // The id prefix still resolves (for `parley history`).
    EXPECT_EQ(*d->ResolvePrefix(log::ToString(id).substr(0, 8)), id);
  }
  // Once purged, never again.
  EXPECT_EQ(team[0]->Purge(id).status().code(), Code::kNotFound);
  auto tx = team[1]->Begin();
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ((*tx)->Set(id, "body", "back").code(), Code::kNotFound);
}

TEST_F(Purge, OnlyAnAdminsPurgeTakesEffect) {
  auto team = MakeTeam(clock, 2);
  const log::RecordId id = CreateWith(team[0], "note", "body", kMarker);
  Sync(team[0], team[1]);
  EXPECT_EQ(team[1]->Purge(id).status().code(), Code::kPermissionDenied);
  // A member writes a purge anyway: it is kept but ignored everywhere.
  {
    auto tx = Impl(team[1]).BeginLocal(/*require_member=*/true);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Purge(id).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  Sync(team[1], team[0]);
  for (Device& d : team) {
    auto rec = d->Get(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ((*rec)->get("body"), kMarker);
    EXPECT_EQ(HeldKey(d, id).size(), 32u);
    EXPECT_NE(d->History(id)->front().op, "purge");
  }
  // Promoted later: the purge it wrote as a member still does not count (its author was not
  // an admin at that point).
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  Sync(team[0], team[1]);
  EXPECT_TRUE(team[1]->Get(id)->has_value());
  EXPECT_TRUE(team[0]->Get(id)->has_value());
}

// A record created and edited by a member, purged by the admin; later devices receive the
// changes in different orders and in one batch: the same state.
TEST_F(Purge, OrderDoesNotMatter) {
  auto team = MakeTeam(clock, 5);
  const log::RecordId id = CreateWith(team[1], "note", "body", kMarker);
  Sync(team[1], team[0]);
  const auto member_changes = All(team[1]);
  ASSERT_TRUE(team[0]->Purge(id).ok());
  const auto admin_changes = All(team[0]);
  // team[2]: the purge first, then the create (with its slot).
  ASSERT_TRUE(team[2]->Apply(admin_changes).ok());
  ASSERT_TRUE(team[2]->Apply(member_changes).ok());
  // team[3]: the create first, then the purge.
  ASSERT_TRUE(team[3]->Apply(member_changes).ok());
  ASSERT_TRUE(team[3]->Apply(admin_changes).ok());
  // team[4]: both in one batch.
  std::vector<pb::Change> batch = member_changes;
  batch.insert(batch.end(), admin_changes.begin(), admin_changes.end());
  ASSERT_TRUE(team[4]->Apply(batch).ok());
  for (int i : {0, 2, 3, 4}) {
    Device& d = team[static_cast<std::size_t>(i)];
    SCOPED_TRACE(i);
    EXPECT_FALSE(d->Get(id)->has_value());
    EXPECT_EQ(HeldKey(d, id), "");
    EXPECT_EQ(SlotCount(All(d)), 0u);  // the slot is dropped on arrival, or never stored
    EXPECT_FALSE(AnyTableHolds(d, kMarker));
    EXPECT_EQ(d->History(id)->size(), 1u);
    EXPECT_EQ(d->List("note", true)->size(), 0u);
  }
}

TEST_F(Purge, AStaleDeviceDoesNotBringItBack) {
  auto team = MakeTeam(clock, 2);
  const log::RecordId id = CreateWith(team[0], "note", "body", kMarker);
  Sync(team[0], team[1]);
  ASSERT_TRUE(team[0]->Purge(id).ok());
  // team[1] has not seen the purge: it edits, deletes and restores the record.
  SetOne(team[1], id, "body", "edited offline");
  logtest::DeleteOne(team[1], id);
  logtest::RestoreOne(team[1], id);
  Sync(team[1], team[0]);
  Sync(team[0], team[1]);
  for (Device& d : team) {
    EXPECT_FALSE(d->Get(id)->has_value());
    EXPECT_FALSE(AnyTableHolds(d, "edited offline"));
    EXPECT_EQ(d->History(id)->size(), 1u);
  }
}

TEST_F(Purge, AnOldBundleDoesNotBringItBack) {
  testing::TempDir dir;
  Env& env = PosixEnv();
  auto team = MakeTeam(clock, 3);
  const log::RecordId id = CreateWith(team[0], "note", "body", kMarker);
  Sync(team[0], team[1]);
  const std::string old_bundle = dir.Sub("old.bundle");
  ASSERT_TRUE(bundle::ExportBundle(*team[1].replica, *team[1].store, env, old_bundle).ok());
  ASSERT_TRUE(team[0]->Purge(id).ok());
  Sync(team[0], team[1]);
  Sync(team[0], team[2]);
  for (int i = 1; i <= 2; ++i) {
    Device& d = team[static_cast<std::size_t>(i)];
    auto r = bundle::ImportBundle(*d.replica, *d.store, env, old_bundle);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(d->Get(id)->has_value());
    EXPECT_EQ(HeldKey(d, id), "");
    EXPECT_EQ(SlotCount(All(d)), 0u);
    EXPECT_FALSE(AnyTableHolds(d, kMarker));
  }
}

// An admin purges a record and is revoked by a revocation that voids the purge; the purging
// admin had already passed on the record's create without its slot. A device that took that
// copy holds the record without its key until a copy with the slot arrives from a device that
// kept it: that duplicate gives the key, so every member reads the record again.
TEST_F(Purge, AVoidedPurgesDroppedSlotComesBackFromAnotherCopy) {
  auto team = MakeTeam(clock, 4);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  for (std::size_t i = 1; i < team.size(); ++i) Sync(team[0], team[i]);
  const log::RecordId id = CreateWith(team[2], "note", "body", kMarker);
  Sync(team[2], team[0]);
  Sync(team[2], team[1]);
  // team[0] revokes team[1] before it has seen any purge of team[1]'s: the purge is void.
  ASSERT_TRUE(team[0]->Revoke(Key(team[1])).ok());
  ASSERT_TRUE(team[1]->Purge(id).ok());
  // team[3] takes team[2]'s create from the purging admin's copy: its slot was dropped there.
  std::vector<pb::Change> stripped;
  for (const pb::Change& c : All(team[1])) {
    pb::ChangeHeader h;
    ASSERT_TRUE(h.ParseFromString(c.header()));
    if (h.author() == Key(team[2])) stripped.push_back(c);
  }
  ASSERT_FALSE(stripped.empty());
  EXPECT_EQ(SlotCount(stripped), 0u);
  ASSERT_TRUE(team[3]->Apply(stripped).ok());
  EXPECT_EQ(HeldKey(team[3], id), "");
  ASSERT_TRUE(team[3]->Get(id)->has_value());
  EXPECT_TRUE(team[3]->Get(id)->value().field("body")->values[0].unreadable);
  // The revocation, then the void purge: the record stays on team[3].
  Sync(team[0], team[3]);
  Sync(team[1], team[3]);
  ASSERT_TRUE(team[3]->Get(id)->has_value());
  // team[2]'s own copy still carries the slot: a duplicate, which brings the key.
  Sync(team[2], team[3]);
  EXPECT_EQ(HeldKey(team[3], id), HeldKey(team[2], id));
  EXPECT_EQ(HeldKey(team[3], id).size(), 32u);
  EXPECT_EQ(team[3]->Get(id)->value().get("body"), kMarker);
  EXPECT_FALSE(team[3]->Get(id)->value().field("body")->values[0].unreadable);
  EXPECT_EQ(SlotCount(All(team[3])), 1u);  // kept, for devices that take it from here
  for (int i : {0, 2}) {
    Device& d = team[static_cast<std::size_t>(i)];
    SCOPED_TRACE(i);
    EXPECT_EQ(d->Get(id)->value().get("body"), kMarker);
  }
}

TEST_F(Purge, ATamperedOrSwappedSlotDoesNotOpen) {
  auto team = MakeTeam(clock, 3);
  const log::RecordId a = CreateWith(team[0], "note", "body", "first");
  const log::RecordId b = CreateWith(team[0], "note", "body", "second");
  auto changes = All(team[0]);
  // The changes holding a's and b's slots.
  int ca = -1, cb = -1;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (changes[i].key_slots_size() == 0) continue;
    (ca < 0 ? ca : cb) = static_cast<int>(i);
  }
  ASSERT_GE(ca, 0);
  ASSERT_GE(cb, 0);
  // Swapped: a's change carries b's slot. Tampered: b's slot has a flipped bit.
  std::vector<pb::Change> forged = changes;
  const std::string slot_a = changes[static_cast<std::size_t>(ca)].key_slots(0);
  const std::string slot_b = changes[static_cast<std::size_t>(cb)].key_slots(0);
  *forged[static_cast<std::size_t>(ca)].mutable_key_slots(0) = slot_b;
  std::string flipped = slot_b;
  flipped[30] = static_cast<char>(flipped[30] ^ 1);
  *forged[static_cast<std::size_t>(cb)].mutable_key_slots(0) = flipped;
  auto r = team[1]->Apply(forged);
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // slots are outside the id: the changes verify
  EXPECT_EQ(SlotCount(All(team[1])), 0u);        // neither matches its create's hash: not stored
  for (const log::RecordId& id : {a, b}) {
    EXPECT_EQ(HeldKey(team[1], id), "");
    auto rec = team[1]->Get(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    ASSERT_NE((*rec)->field("body"), nullptr);
    EXPECT_TRUE((*rec)->field("body")->values[0].unreadable);
    EXPECT_EQ((*rec)->get("body"), "");
  }
  // b's slot does not open for a (the record id is in its associated data).
  const auto& epoch = team[0].store->vault()->epochs.back();
  EXPECT_FALSE(log::OpenKeySlot(epoch.key.view(), a, slot_b).has_value());
  EXPECT_TRUE(log::OpenKeySlot(epoch.key.view(), b, slot_b).has_value());
  // A fresh device takes the real slots; the genuine changes, duplicates on team[1], bring it
  // the keys it lacks (the slot hashes in the signed bodies say which slot is whose).
  auto fresh = team[2]->Apply(changes);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(team[2]->Get(a)->value().get("body"), "first");
  EXPECT_EQ(team[2]->Get(b)->value().get("body"), "second");
  auto again = team[1]->Apply(changes);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->duplicates, changes.size());
  EXPECT_EQ(team[1]->Get(a)->value().get("body"), "first");
  EXPECT_EQ(team[1]->Get(b)->value().get("body"), "second");
  EXPECT_EQ(SlotCount(All(team[1])), 2u);
}

TEST_F(Purge, ValuesAreSealedUnderTheRecordKey) {
  auto team = MakeTeam(clock, 1);
  const log::RecordId id = CreateWith(team[0], "note", "body", kMarker);
  auto changes = All(team[0]);
  const std::string key = HeldKey(team[0], id);
  bool found = false;
  for (const auto& c : changes) {
    auto body = log::OpenBody(c, team[0].store->vault()->epochs.back().key.view());
    ASSERT_TRUE(body.ok());
    for (const auto& op : body->ops()) {
      if (op.kind_case() != pb::Op::kSet) continue;
      found = true;
      auto plain = log::OpenValue(crypto::AsBytes(key), id, "body", op.set().value());
      ASSERT_TRUE(plain.has_value());
      EXPECT_EQ(*plain, kMarker);
      EXPECT_FALSE(log::OpenValue(crypto::AsBytes(key), id, "title", op.set().value()).has_value());
    }
  }
  EXPECT_TRUE(found);
  auto got = team[0]->Find("note", "body", kMarker);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1u);
}

}  // namespace
}  // namespace parley
