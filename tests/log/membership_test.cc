// Members, roles, revocation and epochs (docs/membership.md): the rules every device
// evaluates from the membership changes it holds, and what they do to keys and records.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "log/change_codec.h"
#include "log_test_util.h"
#include "parley/core/change_rules.h"
#include "parley/core/replica_sync.h"
#include "parley/invite.pb.h"
#include "parley/testing/fake_env.h"

namespace parley::logtest {
namespace {

std::string Key(Device& d) {
  const auto& k = d.store->device().identity.public_key;
  return std::string(k.begin(), k.end());
}

const log::MemberInfo* FindMember(const std::vector<log::MemberInfo>& all,
                                  const std::string& identity) {
  for (const auto& m : all) {
    if (m.identity == identity) return &m;
  }
  return nullptr;
}

std::vector<log::MemberInfo> Members(Device& d) {
  auto m = log::ListMembers(*d.replica, /*include_revoked=*/true);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : std::vector<log::MemberInfo>{};
}

// Every device's view of the team, as "name:role" in identity order, for comparing views.
std::string View(Device& d) {
  std::string out;
  for (const auto& m : Members(d))
    out += m.name + ":" + (m.revoked ? "revoked" : m.admin ? "admin" : "member") + " ";
  return out;
}

// Copies of every epoch key `d` holds now.
std::vector<crypto::Bytes> KeysOf(Device& d) {
  std::vector<crypto::Bytes> out;
  for (const auto& k : d.store->vault()->epochs)
    out.emplace_back(k.key.data(), k.key.data() + k.key.size());
  return out;
}

// Whether any of `keys` opens `change`'s body.
bool OpensWithAny(const pb::Change& change, const std::vector<crypto::Bytes>& keys) {
  for (const auto& k : keys) {
    if (log::OpenBody(change, k).ok()) return true;
  }
  return false;
}

// The changes `d` authored with seq above `after`.
std::vector<pb::Change> AuthoredAfter(Device& d, std::uint64_t after) {
  std::vector<pb::Change> out;
  for (pb::Change& c : All(d)) {
    pb::ChangeHeader h;
    EXPECT_TRUE(h.ParseFromString(c.header()));
    if (h.author() == Key(d) && h.seq() > after) out.push_back(std::move(c));
  }
  return out;
}

std::uint64_t OwnSeq(Device& d) {
  auto known = d->Known();
  EXPECT_TRUE(known.ok());
  if (!known.ok()) return 0;
  for (const auto& [hex, seq] : known->entries) {
    if (hex == crypto::ToHex(crypto::AsBytes(Key(d)))) return seq;
  }
  return 0;
}

std::vector<std::string> Notes(Device& d) {
  std::vector<std::string> out;
  auto list = d->List("note");
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  if (list.ok()) {
    for (const auto& r : *list) out.push_back(r.get("text"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void SyncAll(std::vector<Device>& team) {
  for (int round = 0; round < 2; ++round) {
    for (auto& from : team) {
      for (auto& to : team) {
        if (&from != &to && !to->Revoked()) Sync(from, to);
      }
    }
  }
}

TEST(Members, ListsFounderAndInvitedWithWhoEnrolledThem) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  SyncAll(team);
  auto all = Members(team[1]);
  ASSERT_EQ(all.size(), 3u);
  const auto* founder = FindMember(all, Key(team[0]));
  ASSERT_NE(founder, nullptr);
  EXPECT_TRUE(founder->founder);
  EXPECT_TRUE(founder->admin);
  EXPECT_TRUE(founder->enrolled_by.empty());
  const auto* b = FindMember(all, Key(team[2]));
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->admin);
  EXPECT_EQ(b->enrolled_by, Key(team[0]));
  EXPECT_GT(b->enrolled_hlc, 0u);
  EXPECT_EQ(b->name, "device-2");
  EXPECT_TRUE(b->has_seal_key);
}

TEST(Members, PromoteAndDemoteFollowTheRules) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  SyncAll(team);
  // A member cannot change roles.
  EXPECT_EQ(team[1]->SetRole(Key(team[2]), true).code(), Code::kPermissionDenied);
  // The only admin cannot be demoted.
  EXPECT_EQ(team[0]->SetRole(Key(team[0]), false).code(), Code::kConflict);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  EXPECT_EQ(team[0]->SetRole(Key(team[1]), true).code(), Code::kAlreadyExists);
  SyncAll(team);
  for (auto& d : team) EXPECT_EQ(View(d), View(team[0]));
  // The new admin can invite.
  Device e = MakeDevice(clock, "device-e");
  auto invite = team[1]->Invite(e->DevicePairingCode());
  ASSERT_TRUE(invite.ok()) << invite.status().ToString();
  ASSERT_TRUE(e->AcceptInvite(*invite).ok());
  // With two admins one may step down; then the other is the last.
  ASSERT_TRUE(team[1]->SetRole(Key(team[0]), false).ok());
  EXPECT_EQ(team[1]->SetRole(Key(team[1]), false).code(), Code::kConflict);
  SyncAll(team);
  EXPECT_EQ(team[0]->Invite(MakeDevice(clock, "x")->DevicePairingCode()).status().code(),
            Code::kPermissionDenied);
}

TEST(Members, RevokedDeviceCannotReadWhatIsWrittenAfter) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  SyncAll(team);
  CreateWith(team[0], "note", "text", "before");
  SyncAll(team);
  const std::vector<crypto::Bytes> revoked_keys = KeysOf(team[2]);
  EXPECT_EQ(team[1]->Revoke(Key(team[2])).code(), Code::kPermissionDenied);  // not an admin
  EXPECT_EQ(team[0]->Revoke(Key(team[0])).code(), Code::kInvalidArgument);   // itself
  const std::uint64_t before = OwnSeq(team[0]);
  ASSERT_TRUE(team[0]->Revoke(Key(team[2])).ok());
  EXPECT_EQ(team[0]->Revoke(Key(team[2])).code(), Code::kNotFound);  // already revoked
  CreateWith(team[0], "note", "text", "after");
  // The revocation change itself is under the old epoch (the revoked device learns of it);
  // everything after it is under a key the revoked device never held.
  auto authored = AuthoredAfter(team[0], before);
  ASSERT_EQ(authored.size(), 2u);
  EXPECT_TRUE(OpensWithAny(authored[0], revoked_keys));
  EXPECT_FALSE(OpensWithAny(authored[1], revoked_keys));
  EXPECT_TRUE(OpensWithAny(authored[1], KeysOf(team[0])));  // the check can fail

  Sync(team[0], team[1]);
  EXPECT_EQ(Notes(team[1]), (std::vector<std::string>{"after", "before"}));
  EXPECT_TRUE(OpensWithAny(authored[1], KeysOf(team[1])));
  // The revoked device learns it is revoked; the note after stays unread there.
  Sync(team[0], team[2]);
  EXPECT_TRUE(team[2]->Revoked());
  EXPECT_EQ(Notes(team[2]), (std::vector<std::string>{"before"}));
  EXPECT_EQ(team[2]->Begin().status().code(), Code::kPermissionDenied);
  auto m = Members(team[1]);
  const auto* r = FindMember(m, Key(team[2]));
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->revoked);
  EXPECT_EQ(r->revoked_by, Key(team[0]));
  // A revoked device cannot be invited again.
  EXPECT_EQ(team[0]->Invite(team[2]->DevicePairingCode()).status().code(), Code::kInvalidArgument);
}

TEST(Members, ChangesARevokedDeviceWroteAfterItsCutoffAreRefusedEverywhere) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  SyncAll(team);
  // Device 2 writes offline; the admin revokes it without having seen that change.
  CreateWith(team[2], "note", "text", "offline by the revoked device");
  ASSERT_TRUE(team[0]->Revoke(Key(team[2])).ok());
  // Device 1 gets the offline note first (applied: it knows of no revocation yet) ...
  Sync(team[2], team[1]);
  EXPECT_EQ(Notes(team[1]), (std::vector<std::string>{"offline by the revoked device"}));
  // ... then the revocation: the note is withdrawn.
  Sync(team[0], team[1]);
  EXPECT_TRUE(Notes(team[1]).empty());
  // The admin, which gets it after the revocation, never shows it.
  auto r = team[0]->Apply(All(team[2]));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->refused_revoked, 1u);
  EXPECT_TRUE(Notes(team[0]).empty());
  // Records written before the cutoff stay.
  EXPECT_EQ(View(team[0]), View(team[1]));
}

TEST(Members, AdminsRevokingEachOtherConvergeToTheEarlierRevocation) {
  for (int first : {0, 1}) {
    testing::FakeClock clock;
    auto team = MakeTeam(clock, 3);
    ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
    SyncAll(team);
    const int second = 1 - first;
    ASSERT_TRUE(team[first]->Revoke(Key(team[second])).ok());
    clock.AdvanceMs(1000);
    ASSERT_TRUE(team[second]->Revoke(Key(team[first])).ok());
    SyncAll(team);
    for (auto& d : team) EXPECT_EQ(View(d), View(team[2])) << "first revoker " << first;
    EXPECT_TRUE(team[second]->Revoked());
    EXPECT_FALSE(team[first]->Revoked());
    // The loser's revocation is void: it can no longer invite.
    EXPECT_EQ(team[second]->Invite(MakeDevice(clock, "x")->DevicePairingCode()).status().code(),
              Code::kPermissionDenied);
  }
}

TEST(Members, ConcurrentRevocationsOfDifferentMembersBothHoldAndTheEpochIsHealed) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 4);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  SyncAll(team);
  const auto keys2 = KeysOf(team[2]);
  const auto keys3 = KeysOf(team[3]);
  ASSERT_TRUE(team[0]->Revoke(Key(team[2])).ok());  // its new key is sealed to device 3
  ASSERT_TRUE(team[1]->Revoke(Key(team[3])).ok());  // its new key is sealed to device 2
  Sync(team[1], team[0]);
  Sync(team[0], team[1]);
  for (int i : {0, 1}) EXPECT_EQ(View(team[static_cast<std::size_t>(i)]), View(team[0]));
  auto healed = team[0]->HealEpoch();
  ASSERT_TRUE(healed.ok()) << healed.status().ToString();
  EXPECT_TRUE(*healed);
  Sync(team[0], team[1]);
  auto again = team[1]->HealEpoch();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // healed once is enough
  const std::uint64_t before = OwnSeq(team[1]);
  CreateWith(team[1], "note", "text", "after both");
  auto authored = AuthoredAfter(team[1], before);
  ASSERT_EQ(authored.size(), 1u);
  EXPECT_FALSE(OpensWithAny(authored[0], keys2));
  EXPECT_FALSE(OpensWithAny(authored[0], keys3));
  Sync(team[1], team[0]);
  EXPECT_EQ(Notes(team[0]), (std::vector<std::string>{"after both"}));
}

TEST(Members, RevokedAdminCanNoLongerInvitePromoteOrRevoke) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  SyncAll(team);
  ASSERT_TRUE(team[0]->Revoke(Key(team[1])).ok());
  Sync(team[0], team[1]);
  ASSERT_TRUE(team[1]->Revoked());
  EXPECT_EQ(team[1]->SetRole(Key(team[2]), true).code(), Code::kPermissionDenied);
  EXPECT_EQ(team[1]->Revoke(Key(team[0])).code(), Code::kPermissionDenied);
  EXPECT_EQ(team[1]->Invite(MakeDevice(clock, "x")->DevicePairingCode()).status().code(),
            Code::kPermissionDenied);
}

TEST(Members, DeviceInvitedAfterARevocationReadsEveryEpoch) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  CreateWith(team[0], "note", "text", "epoch zero");
  ASSERT_TRUE(team[0]->Revoke(Key(team[2])).ok());
  CreateWith(team[0], "note", "text", "new epoch");
  Device late = MakeDevice(clock, "late");
  auto invite = team[0]->Invite(late->DevicePairingCode());
  ASSERT_TRUE(invite.ok()) << invite.status().ToString();
  ASSERT_TRUE(late->AcceptInvite(*invite).ok());
  Sync(team[0], late);
  EXPECT_EQ(Notes(late), (std::vector<std::string>{"epoch zero", "new epoch"}));
  CreateWith(late, "note", "text", "from late");
  Sync(late, team[1]);
  Sync(team[0], team[1]);
  EXPECT_EQ(Notes(team[1]), (std::vector<std::string>{"epoch zero", "from late", "new epoch"}));
}

TEST(Members, ChangesUnderAnEpochNotYetHeldWaitAndApplyWhenTheKeyArrives) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  SyncAll(team);
  ASSERT_TRUE(team[0]->Revoke(Key(team[2])).ok());
  CreateWith(team[0], "note", "text", "under the new epoch");
  // Device 1 first gets only the note (not the change that hands out its key).
  auto all = All(team[0]);
  std::vector<pb::Change> note_only{all.back()};
  auto first = team[1]->Apply(note_only);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->pending, 1u);
  EXPECT_TRUE(Notes(team[1]).empty());
  Sync(team[0], team[1]);
  EXPECT_EQ(Notes(team[1]), (std::vector<std::string>{"under the new epoch"}));
}

// Two admins revoke each other; the later revocation (device 0's, with its new epoch, sealed
// to device 2 but not to device 1) is void. Device 2 hears of device 0's revocation first,
// takes its epoch key and writes a note under it before it hears of device 1's earlier one.
// Device 1, the admin that remains, was never handed that key: the note must still reach
// it, and every member must end with the same notes.
TEST(Members, ANoteWrittenUnderTheEpochOfAVoidRevocationReachesEveryMember) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  SyncAll(team);
  ASSERT_TRUE(team[1]->Revoke(Key(team[0])).ok());  // earlier in clock order: takes effect
  clock.AdvanceMs(1000);
  ASSERT_TRUE(team[0]->Revoke(Key(team[1])).ok());  // void: device 0 is revoked before it
  Sync(team[0], team[2]);
  ASSERT_FALSE(team[2]->Revoked());
  CreateWith(team[2], "note", "text", "under the void epoch");
  const auto written = AuthoredAfter(team[2], 0);
  ASSERT_FALSE(written.empty());
  EXPECT_FALSE(OpensWithAny(written.back(), KeysOf(team[1])));  // device 1 lacks its key
  SyncAll(team);
  for (int round = 0; round < 2; ++round) {
    for (auto& d : team) {
      if (d->Revoked()) continue;
      ASSERT_TRUE(d->HealEpoch().ok());
    }
    SyncAll(team);
  }
  ASSERT_TRUE(team[0]->Revoked());
  ASSERT_FALSE(team[1]->Revoked());
  EXPECT_EQ(Notes(team[1]), (std::vector<std::string>{"under the void epoch"}));
  EXPECT_EQ(Notes(team[2]), (std::vector<std::string>{"under the void epoch"}));
  EXPECT_EQ(View(team[1]), View(team[2]));
}

// The same with a demotion: device 0 demotes device 1, which, not having heard of it yet,
// revokes device 0 with a new epoch sealed to device 2 and itself, and writes a note under it.
// That epoch never takes effect (its author was no longer an admin), and device 0 never gets
// its key. Device 1 writes the note again: every device shows it, with the same clocks.
TEST(Members, ANoteWrittenUnderTheEpochOfADemotedAdminReachesEveryMember) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  SyncAll(team);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), false).ok());
  clock.AdvanceMs(1000);
  ASSERT_TRUE(team[1]->Revoke(Key(team[0])).ok());
  const log::RecordId id =
      CreateWith(team[1], "note", "text", "under the epoch of a demoted admin");
  EXPECT_FALSE(OpensWithAny(AuthoredAfter(team[1], 0).back(), KeysOf(team[0])));
  clock.AdvanceMs(1000);
  SyncAll(team);
  for (auto& d : team) ASSERT_FALSE(d->Revoked());
  auto want = team[0]->Get(id);
  ASSERT_TRUE(want.ok() && want->has_value());
  ASSERT_EQ((*want)->get("text"), "under the epoch of a demoted admin");
  ASSERT_NE((*want)->created_hlc, 0u);
  for (auto& d : team) {
    auto got = d->Get(id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->created_hlc, (*want)->created_hlc);
    ASSERT_NE((*got)->field("text"), nullptr);
    ASSERT_EQ((*got)->field("text")->values.size(), 1u);
    EXPECT_EQ((*got)->field("text")->values[0].data, "under the epoch of a demoted admin");
    EXPECT_EQ((*got)->field("text")->values[0].hlc, (*want)->field("text")->values[0].hlc);
    EXPECT_EQ(View(d), View(team[0]));
  }
}

// A revoked admin sees the new epoch's number in change headers and offers a key of its own
// for it (inside an epoch it starts, with a valid commitment for that one), sealed to a
// member that has not heard of the revocation yet: the member takes only keys that match
// the commitment of the operation that created their epoch, and ends up with the real one.
TEST(Members, ARevokedAdminCannotPlantAKeyForANewEpoch) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 3);
  ASSERT_TRUE(team[0]->SetRole(Key(team[1]), true).ok());
  SyncAll(team);
  CreateWith(team[1], "note", "text", "by device 1 before");
  SyncAll(team);
  ASSERT_TRUE(team[0]->Revoke(Key(team[1])).ok());
  CreateWith(team[0], "note", "text", "under the new epoch");
  auto mine = AuthoredAfter(team[0], 0);
  pb::ChangeHeader newest;
  ASSERT_TRUE(newest.ParseFromString(mine.back().header()));
  const std::uint32_t target = newest.epoch();
  ASSERT_NE(target, 0u);

  // Device 1's forged change: its next number, linked to its last, under epoch 0; a new
  // epoch of its own whose sealed key set also holds a bogus key for `target`.
  const std::uint64_t seq = OwnSeq(team[1]) + 1;
  auto own = AuthoredAfter(team[1], seq - 2);
  ASSERT_EQ(own.size(), 1u);
  const auto& vid = team[0].store->vault()->vault_id;
  auto checked = log::CheckChange(own[0], crypto::ByteView(vid.data(), vid.size()));
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  const log::ChangeLink link = log::ChangeLinkOf(checked->id, own[0].signature());
  const crypto::Bytes bogus = crypto::RandomBytes(32), its_own = crypto::RandomBytes(32);
  pb::SealedVaultKeys keys;
  for (auto [e, key] : {std::pair{target, &bogus}, std::pair{target + 1, &its_own}}) {
    pb::EpochKey* k = keys.add_keys();
    k->set_epoch(e);
    k->set_key(key->data(), key->size());
  }
  pb::ChangeBody body;
  body.set_hlc(static_cast<std::uint64_t>(clock.NowUnixMs()) << 16);
  pb::NewEpoch* ne = body.add_ops()->mutable_new_epoch();
  ne->set_epoch(target + 1);
  ne->add_epochs(target);
  pb::EpochKeyFor* to = ne->add_keys();
  to->set_recipient(Key(team[2]));
  const crypto::Bytes sealed = crypto::SealTo(team[2].store->device().seal.public_key,
                                              crypto::AsBytes(keys.SerializeAsString()));
  to->set_sealed(sealed.data(), sealed.size());
  crypto::Hasher h;
  h.Update(std::string_view("parley/epoch-key-check/v1")).Update(its_own);
  const crypto::Hash check = h.Final256();
  ne->set_key_check(check.data(), check.size());
  log::SealParams p;
  p.vault = crypto::ByteView(vid.data(), vid.size());
  p.author = &team[1].store->device().identity;
  p.seq = seq;
  p.prev = crypto::ByteView(link.data(), link.size());
  p.epoch = 0;
  p.epoch_key = team[1].store->vault()->Epoch(0)->key.view();
  std::vector<pb::Change> forged(1);
  log::ChangeId id{};
  ASSERT_TRUE(log::SealChange(p, body, &forged[0], &id).ok());

  // Device 2 gets the forged change first, then everything from the admin.
  auto r = team[2]->Apply(forged);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(team[2].store->vault()->Epoch(target), nullptr);  // nothing commits to it yet
  Sync(team[0], team[2]);
  EXPECT_EQ(Notes(team[2]),
            (std::vector<std::string>{"by device 1 before", "under the new epoch"}));
  const store::VaultKey* held = team[2].store->vault()->Epoch(target);
  ASSERT_NE(held, nullptr);
  EXPECT_NE(crypto::Bytes(held->key.data(), held->key.data() + held->key.size()), bogus);
}

}  // namespace
}  // namespace parley::logtest
