// Relay storage, on each backend (SQLite, and PostgreSQL on a real server): idempotent by
// change id, gap-free per-vault sequences that are never reused, chain checks, membership
// versions, envelopes, purge, durability across reopen.
#include <gtest/gtest.h>

#include "log/change_codec.h"
#include "parley/core/sqlite_util.h"
#include "parley/relay/relay_storage.h"
#include "parley/wire.pb.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"
#include "test_changes.h"

namespace parley::relay {
namespace {

using testing::Chain;

NewChange ToNew(const pb::Change& c, const Bytes& vault) {
  pb::ChangeHeader h;
  h.ParseFromString(c.header());
  NewChange n;
  n.vault = vault;
  n.id = testing::ChangeIdOf(c);
  n.author.assign(h.author().begin(), h.author().end());
  n.author_seq = h.seq();
  n.prev.assign(h.prev().begin(), h.prev().end());
  n.link = testing::ChangeLinkOf(n.id, c.signature());
  c.SerializeToString(&n.data);
  return n;
}

// A membership list of `vault_` at `version`: the author as admin, `members` as members,
// `revoked` as revoked.
std::string ListOf(const Bytes& vault, std::uint64_t version, const Bytes& admin,
                   const std::vector<Bytes>& members, const std::vector<Bytes>& revoked) {
  pb::MembershipList list;
  list.set_vault(vault.data(), vault.size());
  list.set_version(version);
  auto* a = list.add_members();
  a->set_identity(admin.data(), admin.size());
  a->set_role("admin");
  for (const Bytes& m : members) {
    auto* e = list.add_members();
    e->set_identity(m.data(), m.size());
    e->set_role("member");
  }
  for (const Bytes& r : revoked) list.add_revoked(r.data(), r.size());
  return list.SerializeAsString();
}

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

class StorageTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      Status started = server_.Start();
      ASSERT_TRUE(started.ok()) << started.ToString();
    }
    auto s = Open();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    db_ = std::move(*s);
    vault_ = crypto::RandomBytes(32);
    ASSERT_TRUE(db_->RegisterVault(vault_, author_.public_key).ok());
    chain_.author = &author_;
    chain_.vault = vault_;
  }
  // Another object over the same data (as another thread or instance would open it).
  Result<std::unique_ptr<RelayStorage>> Open() {
    if (GetParam() == Backend::kSqlite) return OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    return OpenPostgresRelayStorage(server_.uri());
  }
  std::vector<InsertOutcome> Insert(std::vector<NewChange> batch) {
    auto r = db_->InsertChanges(batch);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<InsertOutcome>{};
  }

  testing::TempDir dir_;
  testing::PostgresServer server_;  // outlives db_
  std::unique_ptr<RelayStorage> db_;
  Bytes vault_;
  crypto::SignKeyPair author_ = crypto::NewSignKeyPair();
  Chain chain_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

// What only the SQLite backend has: its file and its schema versions.
class SqliteStorageTest : public StorageTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SqliteStorageTest, ::testing::Values(Backend::kSqlite),
                         BackendName);

TEST_P(StorageTest, RegisterTwiceIsAlreadyExists) {
  EXPECT_EQ(db_->RegisterVault(vault_, author_.public_key).code(), Code::kAlreadyExists);
  auto v = db_->GetVault(vault_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->creator, author_.public_key);
  EXPECT_EQ(v->membership.version, 0u);
  EXPECT_EQ(db_->GetVault(crypto::RandomBytes(32)).status().code(), Code::kNotFound);
}

TEST_P(StorageTest, SequencesAreGapFreeAndPushesIdempotent) {
  std::vector<NewChange> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(ToNew(chain_.Next(), vault_));
  auto out = Insert(batch);
  ASSERT_EQ(out.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i].result, InsertResult::kStored);
    EXPECT_EQ(out[i].relay_seq, static_cast<std::uint64_t>(i + 1));
  }
  // The same batch again: held, same numbers, nothing new.
  auto again = Insert(batch);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(again[i].result, InsertResult::kAlreadyHeld);
    EXPECT_EQ(again[i].relay_seq, static_cast<std::uint64_t>(i + 1));
  }
  EXPECT_EQ(db_->GetVault(vault_)->head_seq, 5u);
  bool more = true;
  auto rows = db_->ReadChanges(vault_, 0, 1 << 20, 1000, &more);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_FALSE(more);
  for (std::size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i].relay_seq, i + 1);
    EXPECT_EQ((*rows)[i].data, batch[i].data);
  }
}

TEST_P(StorageTest, BrokenChainsAreRefusedAndStoreNothing) {
  pb::Change c1 = chain_.Next();
  pb::Change c2 = chain_.Next();
  pb::Change c3 = chain_.Next();
  // A gap: 2 before 1.
  EXPECT_EQ(Insert({ToNew(c2, vault_)})[0].result, InsertResult::kBrokenChain);
  EXPECT_EQ(Insert({ToNew(c1, vault_)})[0].result, InsertResult::kStored);
  // A fork: another change numbered 1.
  pb::Change fork = testing::MakeChange(author_, vault_, 1, {}, 10);
  EXPECT_EQ(Insert({ToNew(fork, vault_)})[0].result, InsertResult::kBrokenChain);
  // A wrong prev.
  pb::Change wrong = testing::MakeChange(author_, vault_, 2, crypto::RandomBytes(32), 10);
  EXPECT_EQ(Insert({ToNew(wrong, vault_)})[0].result, InsertResult::kBrokenChain);
  // 2 then 3 in one batch: 3 links to 2 stored earlier in the same transaction.
  auto out = Insert({ToNew(c2, vault_), ToNew(c3, vault_)});
  EXPECT_EQ(out[0].result, InsertResult::kStored);
  EXPECT_EQ(out[1].result, InsertResult::kStored);
  EXPECT_EQ(out[1].relay_seq, 3u);  // refusals consumed no number
  auto head = db_->ChainHead(vault_, author_.public_key);
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->first, 3u);
  EXPECT_EQ((*head)->second, testing::ChangeLinkOf(testing::ChangeIdOf(c3), c3.signature()));
  // A prev that names the predecessor's id instead of its link does not link.
  pb::Change by_id = testing::MakeChange(author_, vault_, 4, testing::ChangeIdOf(c3), 10);
  EXPECT_EQ(Insert({ToNew(by_id, vault_)})[0].result, InsertResult::kBrokenChain);
}

TEST_P(StorageTest, SequencesArePerVault) {
  Bytes other = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->RegisterVault(other, author_.public_key).ok());
  Chain b{&author_, other};
  auto out =
      Insert({ToNew(chain_.Next(), vault_), ToNew(b.Next(), other), ToNew(chain_.Next(), vault_)});
  EXPECT_EQ(out[0].relay_seq, 1u);
  EXPECT_EQ(out[1].relay_seq, 1u);
  EXPECT_EQ(out[2].relay_seq, 2u);
  NewChange unknown =
      ToNew(Chain{&author_, crypto::RandomBytes(32)}.Next(), crypto::RandomBytes(32));
  EXPECT_EQ(Insert({unknown})[0].result, InsertResult::kUnknownVault);
}

TEST_P(StorageTest, PurgeDropsBytesKeepsNumbersAndRefusesRepush) {
  std::vector<NewChange> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(ToNew(chain_.Next(), vault_));
  Insert(batch);
  ASSERT_TRUE(db_->Purge(vault_, std::vector<Bytes>{batch[1].id, crypto::RandomBytes(32)}).ok());
  bool more = false;
  auto rows = db_->ReadChanges(vault_, 0, 1 << 20, 100, &more);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].relay_seq, 1u);
  EXPECT_EQ((*rows)[1].relay_seq, 3u);
  auto again = Insert({batch[1]});
  EXPECT_EQ(again[0].result, InsertResult::kPurged);
  // The next change gets 4: numbers are never reused.
  auto next = Insert({ToNew(chain_.Next(), vault_)});
  EXPECT_EQ(next[0].relay_seq, 4u);
}

// A purge's slot redaction rewrites the stored change without the slot, keeps everything
// else, and a re-push of the same change (with the slot) stores nothing.
TEST_P(StorageTest, DroppedKeySlotsNeverComeBack) {
  pb::Change with_slots = chain_.Next();
  const std::string slot_a(72, 'a'), slot_b(72, 'b');
  with_slots.add_key_slots(slot_a);
  with_slots.add_key_slots(slot_b);
  NewChange n = ToNew(with_slots, vault_);
  Insert({n});
  const crypto::Hash hash_a = crypto::Blake2b256(crypto::AsBytes(slot_a));
  std::vector<SlotRedaction> redactions = {
      {n.id, Bytes(hash_a.begin(), hash_a.end())},
      {crypto::RandomBytes(32), Bytes(hash_a.begin(), hash_a.end())}};
  auto dropped = db_->DropKeySlots(vault_, redactions);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 1u);
  auto read = [&] {
    bool more = false;
    auto rows = db_->ReadChanges(vault_, 0, 1 << 20, 100, &more);
    EXPECT_TRUE(rows.ok() && rows->size() == 1u);
    pb::Change c;
    EXPECT_TRUE(c.ParseFromString((*rows)[0].data));
    return c;
  };
  pb::Change stored = read();
  ASSERT_EQ(stored.key_slots_size(), 1);
  EXPECT_EQ(stored.key_slots(0), slot_b);
  EXPECT_EQ(stored.header(), with_slots.header());
  EXPECT_EQ(stored.body(), with_slots.body());
  EXPECT_EQ(stored.signature(), with_slots.signature());
  EXPECT_EQ(Insert({n})[0].result, InsertResult::kAlreadyHeld);
  EXPECT_EQ(read().key_slots_size(), 1);
  EXPECT_EQ(*db_->DropKeySlots(vault_, redactions), 0u);  // idempotent
  // SQLite: the slot's bytes are gone from the file (secure_delete). PostgreSQL keeps the
  // old row version until VACUUM (docs/relay-operations.md).
  if (GetParam() != Backend::kSqlite) return;
  db_.reset();
  std::string bytes;
  for (const char* f : {"relay.db", "relay.db-wal"}) {
    FILE* fp = std::fopen(dir_.Sub(f).c_str(), "rb");
    if (fp == nullptr) continue;
    char buf[4096];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, fp)) > 0) bytes.append(buf, got);
    std::fclose(fp);
  }
  EXPECT_EQ(bytes.find(slot_a), std::string::npos);
  EXPECT_NE(bytes.find(slot_b), std::string::npos);
}

// The cursor check and the heads of a Pull: the id at a relay_seq (kept when purged), and
// each author's highest seq held.
TEST_P(StorageTest, ChangeIdsByNumberAndAuthorHeads) {
  crypto::SignKeyPair other = crypto::NewSignKeyPair();
  Chain theirs{&other, vault_};
  std::vector<NewChange> batch = {ToNew(chain_.Next(), vault_), ToNew(theirs.Next(), vault_),
                                  ToNew(chain_.Next(), vault_)};
  Insert(batch);
  ASSERT_TRUE(db_->Purge(vault_, std::vector<Bytes>{batch[2].id}).ok());
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    auto id = db_->ChangeIdAt(vault_, seq);
    ASSERT_TRUE(id.ok() && id->has_value()) << seq;
    EXPECT_EQ(**id, batch[seq - 1].id);
  }
  for (std::uint64_t seq : {std::uint64_t{0}, std::uint64_t{4}, ~std::uint64_t{0}}) {
    auto none = db_->ChangeIdAt(vault_, seq);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << seq;
  }
  auto heads = db_->AuthorHeads(vault_);
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 2u);
  const Bytes mine(author_.public_key.begin(), author_.public_key.end());
  const Bytes yours(other.public_key.begin(), other.public_key.end());
  EXPECT_LT((*heads)[0].author, (*heads)[1].author);
  for (const AuthorHead& h : *heads) EXPECT_EQ(h.seq, h.author == mine ? 2u : 1u);
  EXPECT_TRUE((*heads)[0].author == yours || (*heads)[1].author == yours);
  EXPECT_EQ(db_->AuthorHeads(crypto::RandomBytes(32)).status().code(), Code::kNotFound);
  auto empty_vault = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->RegisterVault(empty_vault, author_.public_key).ok());
  EXPECT_TRUE(db_->AuthorHeads(empty_vault)->empty());
}

TEST_P(StorageTest, ReadChangesHonoursBudgetAndCursor) {
  std::vector<NewChange> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(ToNew(chain_.Next(1000), vault_));
  Insert(batch);
  const std::size_t one = batch[1].data.size();  // the first is smaller: no prev
  bool more = false;
  auto rows = db_->ReadChanges(vault_, 0, one * 3 + 10, 100, &more);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_TRUE(more);
  rows = db_->ReadChanges(vault_, 3, 1, 100, &more);  // the first change always comes
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].relay_seq, 4u);
  rows = db_->ReadChanges(vault_, 8, 1 << 20, 100, &more);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_FALSE(more);
  rows = db_->ReadChanges(vault_, 0, 1 << 20, 4, &more);
  EXPECT_EQ(rows->size(), 4u);
  EXPECT_TRUE(more);
}

TEST_P(StorageTest, MembershipVersionsMustGrowByOne) {
  StoredMembership m{1, "list-1", author_.public_key, Bytes(64, 1)};
  EXPECT_EQ(db_->SetMembership(vault_, StoredMembership{2, "x", {}, {}}).code(), Code::kConflict);
  ASSERT_TRUE(db_->SetMembership(vault_, m).ok());
  EXPECT_EQ(db_->SetMembership(vault_, m).code(), Code::kConflict);
  EXPECT_EQ(db_->SetMembership(crypto::RandomBytes(32), m).code(), Code::kNotFound);
  auto v = db_->GetVault(vault_);
  EXPECT_EQ(v->membership.version, 1u);
  EXPECT_EQ(v->membership.list, "list-1");
}

// A stored list indexes its members and revoked keys; the next list replaces them.
TEST_P(StorageTest, ListsIndexMembersAndRevocations) {
  const Bytes member = crypto::RandomBytes(32), gone = crypto::RandomBytes(32);
  EXPECT_TRUE(*db_->IsMemberAnywhere(author_.public_key));  // the creator, at version 0
  EXPECT_FALSE(db_->FindRevocation(gone)->has_value());
  StoredMembership v1{1, ListOf(vault_, 1, author_.public_key, {member}, {gone}),
                      author_.public_key, Bytes(64, 7)};
  ASSERT_TRUE(db_->SetMembership(vault_, v1).ok());
  EXPECT_TRUE(*db_->IsMemberAnywhere(member));
  EXPECT_FALSE(*db_->IsMemberAnywhere(gone));
  auto found = db_->FindRevocation(gone);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->vault, vault_);
  EXPECT_EQ((*found)->membership.version, 1u);
  EXPECT_EQ((*found)->membership.list, v1.list);
  EXPECT_EQ((*found)->membership.signature, v1.signature);
  EXPECT_FALSE(db_->FindRevocation(member)->has_value());
  // v2 revokes the member too and drops nobody; v1's member row goes.
  ASSERT_TRUE(
      db_->SetMembership(
             vault_, StoredMembership{2, ListOf(vault_, 2, author_.public_key, {}, {gone, member}),
                                      author_.public_key, Bytes(64, 8)})
          .ok());
  EXPECT_FALSE(*db_->IsMemberAnywhere(member));
  EXPECT_EQ((*db_->FindRevocation(member))->membership.version, 2u);
  EXPECT_EQ((*db_->FindRevocation(gone))->membership.version, 2u);
}

// Storage from before the indexes (schema 0) gets them filled from its stored lists.
TEST_P(SqliteStorageTest, StorageWithoutTheIndexesIsMigrated) {
  const Bytes gone = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->SetMembership(
                     vault_, StoredMembership{1, ListOf(vault_, 1, author_.public_key, {}, {gone}),
                                              author_.public_key, Bytes(64, 7)})
                  .ok());
  Bytes other_vault = crypto::RandomBytes(32), other_creator = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->RegisterVault(other_vault, other_creator).ok());
  db_.reset();
  const std::string path = dir_.Sub("relay.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(
      parley::Exec(db,
                   "DROP TABLE vault_members; DROP TABLE revoked_devices; PRAGMA user_version = 0;")
          .ok());
  sqlite3_close(db);
  auto reopened = OpenSqliteRelayStorage(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  db_ = std::move(*reopened);
  auto found = db_->FindRevocation(gone);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->vault, vault_);
  EXPECT_TRUE(*db_->IsMemberAnywhere(author_.public_key));
  EXPECT_TRUE(*db_->IsMemberAnywhere(other_creator));  // a vault still at version 0
}

TEST_P(StorageTest, EnvelopesAreKeptOncePerContent) {
  Bytes me = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->PutEnvelope(vault_, me, Bytes{1, 2, 3}).ok());
  ASSERT_TRUE(db_->PutEnvelope(vault_, me, Bytes{1, 2, 3}).ok());
  ASSERT_TRUE(db_->PutEnvelope(vault_, me, Bytes{4}).ok());
  EXPECT_EQ(*db_->CountEnvelopes(vault_, me), 2u);
  EXPECT_EQ(db_->GetEnvelopes(vault_, me)->size(), 2u);
  EXPECT_TRUE(db_->GetEnvelopes(vault_, crypto::RandomBytes(32))->empty());
}

TEST_P(StorageTest, EnvelopesForARecipientAcrossVaults) {
  Bytes me = crypto::RandomBytes(32), someone = crypto::RandomBytes(32);
  Bytes second = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->RegisterVault(second, author_.public_key).ok());
  ASSERT_TRUE(db_->PutEnvelope(second, me, Bytes{9}).ok());
  ASSERT_TRUE(db_->PutEnvelope(vault_, me, Bytes{1}).ok());
  ASSERT_TRUE(db_->PutEnvelope(vault_, me, Bytes{2}).ok());
  ASSERT_TRUE(db_->PutEnvelope(vault_, someone, Bytes{7}).ok());
  bool more = true;
  auto all = db_->ListEnvelopesFor(me, 10, &more);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_FALSE(more);
  ASSERT_EQ(all->size(), 3u);
  // In the order the vaults were registered; someone else's envelope is not there.
  EXPECT_EQ((*all)[0].vault, vault_);
  EXPECT_EQ((*all)[1].vault, vault_);
  EXPECT_EQ((*all)[2].vault, second);
  EXPECT_EQ((*all)[2].sealed, Bytes{9});
  for (const auto& e : *all) EXPECT_NE(e.sealed, Bytes{7});
  auto two = db_->ListEnvelopesFor(me, 2, &more);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  EXPECT_TRUE(more);
  EXPECT_TRUE(db_->ListEnvelopesFor(crypto::RandomBytes(32), 10, &more)->empty());
  EXPECT_FALSE(more);
}

TEST_P(StorageTest, EverythingSurvivesReopen) {
  std::vector<NewChange> batch;
  for (int i = 0; i < 4; ++i) batch.push_back(ToNew(chain_.Next(), vault_));
  Insert(batch);
  db_.reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok());
  db_ = std::move(*reopened);
  bool more = false;
  EXPECT_EQ(db_->ReadChanges(vault_, 0, 1 << 20, 100, &more)->size(), 4u);
  auto out = Insert({ToNew(chain_.Next(), vault_)});
  EXPECT_EQ(out[0].relay_seq, 5u);
}

TEST_P(StorageTest, TwoObjectsOverOneFileSeeEachOthersCommits) {
  auto reader = Open();
  ASSERT_TRUE(reader.ok());
  Insert({ToNew(chain_.Next(), vault_)});
  bool more = false;
  EXPECT_EQ((*reader)->ReadChanges(vault_, 0, 1 << 20, 100, &more)->size(), 1u);
}

// Allowances come before or after registration and are replaced; the usage lists every
// vault known either way, by vault bytes.
TEST_P(StorageTest, AllowancesAndUsage) {
  const Bytes other = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->AllowVault(other, 500).ok());
  EXPECT_TRUE(*db_->IsVaultAllowed(other));
  EXPECT_FALSE(*db_->IsVaultAllowed(vault_));
  std::vector<NewChange> batch = {ToNew(chain_.Next(), vault_), ToNew(chain_.Next(), vault_)};
  Insert(batch);
  ASSERT_TRUE(db_->AllowVault(other, 700).ok());
  auto usage = db_->ListVaults();
  ASSERT_TRUE(usage.ok()) << usage.status().ToString();
  ASSERT_EQ(usage->size(), 2u);
  EXPECT_LT((*usage)[0].vault, (*usage)[1].vault);
  for (const VaultUsage& u : *usage) {
    if (u.vault == vault_) {
      EXPECT_TRUE(u.registered);
      EXPECT_FALSE(u.allowed);
      EXPECT_EQ(u.changes, 2u);
      EXPECT_EQ(u.stored_bytes, batch[0].data.size() + batch[1].data.size());
    } else {
      EXPECT_EQ(u.vault, other);
      EXPECT_FALSE(u.registered);
      EXPECT_TRUE(u.allowed);
      EXPECT_EQ(u.quota_bytes, 700u);
      EXPECT_EQ(u.changes, 0u);
    }
  }
  auto stats = db_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->vaults, 1u);
  EXPECT_EQ(stats->changes, 2u);
  EXPECT_EQ(stats->stored_bytes, batch[0].data.size() + batch[1].data.size());
}

// The relay's id rule and the device's change codec agree: a change sealed by the codec
// has the id the test rule (the relay's) computes.
TEST(ChangeRules, CodecAndRelayComputeTheSameId) {
  crypto::SignKeyPair author = crypto::NewSignKeyPair();
  Bytes vault = crypto::RandomBytes(32);
  Bytes key = crypto::RandomBytes(32);
  pb::ChangeBody body;
  body.set_hlc(1);
  log::SealParams p;
  p.vault = vault;
  p.author = &author;
  p.seq = 1;
  p.epoch = 1;
  p.epoch_key = key;
  pb::Change change;
  log::ChangeId id{};
  ASSERT_TRUE(log::SealChange(p, body, &change, &id).ok());
  EXPECT_EQ(testing::ChangeIdOf(change), Bytes(id.begin(), id.end()));
}

}  // namespace
}  // namespace parley::relay

namespace parley::relay {
namespace {

TEST(StorageLayout, StorageFromTheEarlierChainFormatIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.Sub("old.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(
      parley::Exec(
          db,
          "CREATE TABLE chains(vid INTEGER NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL, "
          "id BLOB NOT NULL, PRIMARY KEY(vid, author)) WITHOUT ROWID")
          .ok());
  sqlite3_close(db);
  auto s = OpenSqliteRelayStorage(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnsupported) << s.status().ToString();
}

}  // namespace
}  // namespace parley::relay
