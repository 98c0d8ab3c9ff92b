// SQLite relay storage: admission (AllowVault), per-vault quotas enforced inside the
// transaction that stores a change, stored_bytes through purge and slot redaction, the
// storage-wide figures, and the migration of storage written by schema version 1.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "parley/core/sqlite_util.h"
#include "parley/relay/relay_storage.h"
#include "parley/wire.pb.h"
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

class StorageQuota : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    vault_ = crypto::RandomBytes(32);
    ASSERT_TRUE(db_->RegisterVault(vault_, author_.public_key).ok());
    chain_ = Chain(&author_, vault_);
  }
  void Open() {
    db_.reset();
    auto s = OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    db_ = std::move(*s);
  }
  std::vector<InsertOutcome> Insert(std::vector<NewChange> batch) {
    auto r = db_->InsertChanges(batch);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<InsertOutcome>{};
  }
  std::uint64_t Stored() {
    auto v = db_->GetVault(vault_);
    EXPECT_TRUE(v.ok());
    return v.ok() ? v->stored_bytes : 0;
  }

  ::parley::testing::TempDir dir_;
  std::unique_ptr<RelayStorage> db_;
  Bytes vault_;
  crypto::SignKeyPair author_ = crypto::NewSignKeyPair();
  Chain chain_;
};

TEST_F(StorageQuota, StoredBytesCountTheDataOfEachNewChangeOnce) {
  NewChange a = ToNew(chain_.Next(100), vault_), b = ToNew(chain_.Next(300), vault_);
  const std::uint64_t expect = a.data.size() + b.data.size();
  Insert({a, b});
  EXPECT_EQ(Stored(), expect);
  Insert({a});  // already held: nothing more
  EXPECT_EQ(Stored(), expect);
}

TEST_F(StorageQuota, TheDefaultQuotaRefusesTheChangeThatWouldPassItAndTheRestGoesOn) {
  NewChange a = ToNew(chain_.Next(400), vault_);
  db_->SetDefaultVaultQuota(a.data.size() + 100);
  NewChange big = ToNew(chain_.Next(400), vault_);
  // Another vault in the same batch is under its own budget.
  Bytes other = crypto::RandomBytes(32);
  ASSERT_TRUE(db_->RegisterVault(other, author_.public_key).ok());
  Chain other_chain(&author_, other);
  NewChange small = ToNew(other_chain.Next(10), other);
  auto out = Insert({a, big, small});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].result, InsertResult::kStored);
  EXPECT_EQ(out[1].result, InsertResult::kOverQuota);
  EXPECT_EQ(out[1].relay_seq, 0u);
  EXPECT_EQ(out[2].result, InsertResult::kStored);
  EXPECT_EQ(Stored(), a.data.size());
  EXPECT_EQ(db_->GetVault(vault_)->head_seq, 1u);  // no number used by the refused change
  // Exactly at the quota is allowed.
  db_->SetDefaultVaultQuota(a.data.size() + big.data.size());
  EXPECT_EQ(Insert({big})[0].result, InsertResult::kStored);
  EXPECT_EQ(Stored(), a.data.size() + big.data.size());
}

TEST_F(StorageQuota, AVaultsOwnQuotaReplacesTheDefault) {
  db_->SetDefaultVaultQuota(10);
  EXPECT_FALSE(*db_->IsVaultAllowed(vault_));
  NewChange a = ToNew(chain_.Next(200), vault_);
  EXPECT_EQ(Insert({a})[0].result, InsertResult::kOverQuota);
  ASSERT_TRUE(db_->AllowVault(vault_, 1 << 20).ok());
  EXPECT_TRUE(*db_->IsVaultAllowed(vault_));
  EXPECT_EQ(Insert({a})[0].result, InsertResult::kStored);
  // Allowed again with quota 0: the default applies again.
  ASSERT_TRUE(db_->AllowVault(vault_, 0).ok());
  NewChange b = ToNew(chain_.Next(200), vault_);
  EXPECT_EQ(Insert({b})[0].result, InsertResult::kOverQuota);
  // No default (0): no quota at all. The refused change was not stored: it goes in now.
  db_->SetDefaultVaultQuota(0);
  EXPECT_EQ(Insert({b})[0].result, InsertResult::kStored);
  EXPECT_EQ(Insert({ToNew(chain_.Next(5000), vault_)})[0].result, InsertResult::kStored);
  EXPECT_EQ(db_->AllowVault(Bytes(5, 1), 0).code(), Code::kInvalidArgument);
}

TEST_F(StorageQuota, PurgeAndSlotRedactionLowerStoredBytes) {
  pb::Change with_slots = chain_.Next(100);
  with_slots.add_key_slots(std::string(80, 'k'));
  with_slots.add_key_slots(std::string(90, 'q'));
  NewChange a = ToNew(with_slots, vault_);
  NewChange b = ToNew(chain_.Next(500), vault_);
  Insert({a, b});
  ASSERT_EQ(Stored(), a.data.size() + b.data.size());
  ASSERT_TRUE(db_->Purge(vault_, std::vector<Bytes>{b.id}).ok());
  EXPECT_EQ(Stored(), a.data.size());
  ASSERT_TRUE(db_->Purge(vault_, std::vector<Bytes>{b.id}).ok());  // twice: no change
  EXPECT_EQ(Stored(), a.data.size());
  const crypto::Hash h = crypto::Blake2b256(crypto::AsBytes(with_slots.key_slots(0)));
  auto dropped =
      db_->DropKeySlots(vault_, std::vector<SlotRedaction>{{a.id, Bytes(h.begin(), h.end())}});
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(*dropped, 1u);
  bool more = false;
  auto rows = db_->ReadChanges(vault_, 0, 1 << 20, 100, &more);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(Stored(), (*rows)[0].data.size());
  EXPECT_LT(Stored(), a.data.size());
  // Room made by a purge is usable again.
  db_->SetDefaultVaultQuota(Stored() + b.data.size());
  EXPECT_EQ(Insert({ToNew(chain_.Next(500), vault_)})[0].result, InsertResult::kStored);
}

TEST_F(StorageQuota, ListVaultsAndStats) {
  const Bytes only_allowed = Bytes(32, 0x00);  // sorts first
  ASSERT_TRUE(db_->AllowVault(only_allowed, 5000).ok());
  ASSERT_TRUE(db_->AllowVault(vault_, 7000).ok());
  NewChange a = ToNew(chain_.Next(100), vault_), b = ToNew(chain_.Next(100), vault_);
  Insert({a, b});
  ASSERT_TRUE(db_->Purge(vault_, std::vector<Bytes>{a.id}).ok());
  auto list = db_->ListVaults();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].vault, only_allowed);
  EXPECT_FALSE((*list)[0].registered);
  EXPECT_TRUE((*list)[0].allowed);
  EXPECT_EQ((*list)[0].quota_bytes, 5000u);
  EXPECT_EQ((*list)[0].changes, 0u);
  EXPECT_EQ((*list)[1].vault, vault_);
  EXPECT_TRUE((*list)[1].registered);
  EXPECT_TRUE((*list)[1].allowed);
  EXPECT_EQ((*list)[1].changes, 2u);  // the purged one included
  EXPECT_EQ((*list)[1].stored_bytes, b.data.size());
  EXPECT_EQ((*list)[1].quota_bytes, 7000u);
  auto stats = db_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->vaults, 1u);
  EXPECT_EQ(stats->changes, 2u);
  EXPECT_EQ(stats->stored_bytes, b.data.size());
  EXPECT_GT(stats->storage_bytes, stats->stored_bytes);
}

TEST_F(StorageQuota, QuotaIsCheckedAgainstWhatAnotherObjectStored) {
  // Two objects over one file (the relay's writer and another process): the quota is read
  // in the storing transaction, not from a cache.
  auto second = OpenSqliteRelayStorage(dir_.Sub("relay.db"));
  ASSERT_TRUE(second.ok());
  NewChange a = ToNew(chain_.Next(300), vault_);
  NewChange b = ToNew(chain_.Next(300), vault_);
  db_->SetDefaultVaultQuota(a.data.size() + 10);
  (*second)->SetDefaultVaultQuota(a.data.size() + 10);
  ASSERT_EQ((*second)->InsertChanges(std::vector<NewChange>{a})->at(0).result,
            InsertResult::kStored);
  EXPECT_EQ(Insert({b})[0].result, InsertResult::kOverQuota);
}

// Version 1's schema, as that version created it.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE vaults(
  vid INTEGER PRIMARY KEY, vault BLOB NOT NULL UNIQUE, creator BLOB NOT NULL,
  head_seq INTEGER NOT NULL DEFAULT 0, members_version INTEGER NOT NULL DEFAULT 0,
  members_list BLOB, members_signer BLOB, members_signature BLOB);
CREATE TABLE changes(
  vid INTEGER NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL, author BLOB NOT NULL,
  author_seq INTEGER NOT NULL, data BLOB, PRIMARY KEY(vid, seq));
CREATE UNIQUE INDEX changes_by_id ON changes(vid, id);
CREATE TABLE chains(
  vid INTEGER NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL, link BLOB NOT NULL,
  PRIMARY KEY(vid, author)) WITHOUT ROWID;
CREATE TABLE envelopes(
  vid INTEGER NOT NULL, recipient BLOB NOT NULL, digest BLOB NOT NULL, sealed BLOB NOT NULL,
  PRIMARY KEY(vid, recipient, digest)) WITHOUT ROWID;
CREATE INDEX envelopes_by_recipient ON envelopes(recipient, vid, digest);
CREATE TABLE vault_members(
  identity BLOB NOT NULL, vid INTEGER NOT NULL, PRIMARY KEY(identity, vid)) WITHOUT ROWID;
CREATE INDEX vault_members_by_vault ON vault_members(vid);
CREATE TABLE revoked_devices(
  identity BLOB NOT NULL, vid INTEGER NOT NULL, PRIMARY KEY(identity, vid)) WITHOUT ROWID;
CREATE INDEX revoked_devices_by_vault ON revoked_devices(vid);
-- two vaults: the first with 3 changes (one purged: 100 + 250 bytes held), the second with none
INSERT INTO vaults(vid, vault, creator, head_seq) VALUES
  (1, zeroblob(32), x'0101010101010101010101010101010101010101010101010101010101010101', 3),
  (2, x'0202020202020202020202020202020202020202020202020202020202020202',
      x'0101010101010101010101010101010101010101010101010101010101010101', 0);
INSERT INTO changes(vid, seq, id, author, author_seq, data) VALUES
  (1, 1, x'11', x'01', 1, zeroblob(100)),
  (1, 2, x'12', x'01', 2, NULL),
  (1, 3, x'13', x'01', 3, zeroblob(250));
INSERT INTO vault_members(identity, vid) VALUES
  (x'0101010101010101010101010101010101010101010101010101010101010101', 1),
  (x'0101010101010101010101010101010101010101010101010101010101010101', 2);
PRAGMA user_version = 1;
)sql";

TEST(StorageMigration, AVersionOneFileGetsStoredBytesAndAllowances) {
  ::parley::testing::TempDir dir;
  const std::string path = dir.Sub("old.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    Status made = parley::Exec(raw, kSchemaV1);
    sqlite3_close(raw);
    ASSERT_TRUE(made.ok()) << made.ToString();
  }
  auto opened = OpenSqliteRelayStorage(path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  RelayStorage& db = **opened;
  const Bytes first(32, 0), second(32, 2);
  auto v1 = db.GetVault(first);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->stored_bytes, 350u);
  EXPECT_EQ(v1->head_seq, 3u);
  EXPECT_EQ(db.GetVault(second)->stored_bytes, 0u);
  // The new calls work on the migrated file.
  EXPECT_FALSE(*db.IsVaultAllowed(first));
  ASSERT_TRUE(db.AllowVault(first, 400).ok());
  auto list = db.ListVaults();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].stored_bytes, 350u);
  EXPECT_EQ((*list)[0].quota_bytes, 400u);
  EXPECT_EQ(db.Stats()->stored_bytes, 350u);
  EXPECT_TRUE(*db.IsMemberAnywhere(Bytes(32, 1)));
  opened->reset();
  // The file says version 2 now, and opens again as it is.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 2);
  sqlite3_finalize(st);
  sqlite3_close(raw);
  auto again = OpenSqliteRelayStorage(path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->GetVault(first)->stored_bytes, 350u);
}

}  // namespace
}  // namespace parley::relay
