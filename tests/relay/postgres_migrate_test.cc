// Moving relay storage between SQLite and PostgreSQL (relay_migrate.h), both ways, on a
// real SQLite file and a real PostgreSQL server: everything arrives as it was (numbers of
// purged changes, dropped key slots, lists and their indexes, envelopes and their order,
// allowances), and a non-empty target is refused.
#include <gtest/gtest.h>

#include "new_change.h"
#include "parley/relay/relay_migrate.h"
#include "parley/relay/relay_storage.h"
#include "parley/wire.pb.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace parley::relay {
namespace {

using testing::Chain;
using testing::NewChangeOf;

std::string ListOf(const Bytes& vault, std::uint64_t version, const Bytes& admin,
                   const std::vector<Bytes>& revoked) {
  pb::MembershipList list;
  list.set_vault(vault.data(), vault.size());
  list.set_version(version);
  auto* a = list.add_members();
  a->set_identity(admin.data(), admin.size());
  a->set_role("admin");
  for (const Bytes& r : revoked) list.add_revoked(r.data(), r.size());
  return list.SerializeAsString();
}

// What the source holds, to check the target against.
struct Fixture {
  crypto::SignKeyPair author = crypto::NewSignKeyPair();
  Bytes first = crypto::RandomBytes(32);     // registered first: changes, a purge, a list
  Bytes second = crypto::RandomBytes(32);    // registered second: still at version 0
  Bytes admitted = crypto::RandomBytes(32);  // allowed, never registered
  Bytes recipient = crypto::RandomBytes(32);
  Bytes revoked = crypto::RandomBytes(32);
  Chain chain;
  std::vector<NewChange> changes;
  std::string slot_kept = std::string(72, 'k');
};

void Fill(RelayStorage& db, Fixture& f) {
  ASSERT_TRUE(db.RegisterVault(f.first, f.author.public_key).ok());
  ASSERT_TRUE(db.RegisterVault(f.second, crypto::RandomBytes(32)).ok());
  ASSERT_TRUE(db.AllowVault(f.admitted, 12345).ok());
  ASSERT_TRUE(db.AllowVault(f.first, 0).ok());
  f.chain = Chain{&f.author, f.first};
  for (int i = 0; i < 5; ++i) {
    pb::Change c = f.chain.Next(200);
    if (i == 3) {
      c.add_key_slots(std::string(72, 'd'));
      c.add_key_slots(f.slot_kept);
    }
    f.changes.push_back(NewChangeOf(c, f.first));
  }
  ASSERT_TRUE(db.InsertChanges(f.changes).ok());
  ASSERT_TRUE(db.Purge(f.first, std::vector<Bytes>{f.changes[1].id}).ok());
  const crypto::Hash h = crypto::Blake2b256(crypto::AsBytes(std::string(72, 'd')));
  ASSERT_EQ(*db.DropKeySlots(
                f.first, std::vector<SlotRedaction>{{f.changes[3].id, Bytes(h.begin(), h.end())}}),
            1u);
  ASSERT_TRUE(
      db.SetMembership(f.first,
                       StoredMembership{1, ListOf(f.first, 1, f.author.public_key, {f.revoked}),
                                        f.author.public_key, Bytes(64, 3)})
          .ok());
  ASSERT_TRUE(db.PutEnvelope(f.second, f.recipient, Bytes{9, 9}).ok());
  ASSERT_TRUE(db.PutEnvelope(f.first, f.recipient, Bytes{1}).ok());
  ASSERT_TRUE(db.PutEnvelope(f.first, f.recipient, Bytes{2}).ok());
}

// The target behaves as the source did.
void Check(RelayStorage& db, Fixture& f, const MigrateReport& report) {
  EXPECT_EQ(report.vaults, 2u);
  EXPECT_EQ(report.allowances, 2u);
  EXPECT_EQ(report.changes, 5u);
  EXPECT_EQ(report.purged, 1u);
  EXPECT_EQ(report.envelopes, 3u);
  EXPECT_EQ(report.chains, 1u);
  EXPECT_EQ(report.digest.size(), 64u);

  bool more = true;
  auto rows = db.ReadChanges(f.first, 0, 1 << 20, 100, &more);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 4u);  // the purged one is skipped, its number kept
  EXPECT_EQ((*rows)[0].relay_seq, 1u);
  EXPECT_EQ((*rows)[1].relay_seq, 3u);
  pb::Change slotted;
  ASSERT_TRUE(slotted.ParseFromString((*rows)[2].data));
  ASSERT_EQ(slotted.key_slots_size(), 1);  // the dropped slot stays dropped
  EXPECT_EQ(slotted.key_slots(0), f.slot_kept);
  EXPECT_EQ(**db.ChangeIdAt(f.first, 2), f.changes[1].id);
  auto again = db.InsertChanges(std::vector<NewChange>{f.changes[1], f.changes[3]});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)[0].result, InsertResult::kPurged);
  EXPECT_EQ((*again)[1].result, InsertResult::kAlreadyHeld);
  EXPECT_EQ((*again)[1].relay_seq, 4u);
  auto next = db.InsertChanges(std::vector<NewChange>{NewChangeOf(f.chain.Next(), f.first)});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)[0].result, InsertResult::kStored);  // the chain head came along
  EXPECT_EQ((*next)[0].relay_seq, 6u);

  auto revocation = db.FindRevocation(f.revoked);
  ASSERT_TRUE(revocation.ok() && revocation->has_value());
  EXPECT_EQ((*revocation)->vault, f.first);
  EXPECT_EQ((*revocation)->membership.version, 1u);
  EXPECT_TRUE(*db.IsMemberAnywhere(f.author.public_key));
  EXPECT_EQ(db.GetVault(f.second)->membership.version, 0u);

  auto envelopes = db.ListEnvelopesFor(f.recipient, 10, &more);
  ASSERT_TRUE(envelopes.ok());
  ASSERT_EQ(envelopes->size(), 3u);
  EXPECT_EQ((*envelopes)[0].vault, f.first);  // registration order kept
  EXPECT_EQ((*envelopes)[2].vault, f.second);
  EXPECT_EQ((*envelopes)[2].sealed, (Bytes{9, 9}));

  EXPECT_TRUE(*db.IsVaultAllowed(f.admitted));
  EXPECT_TRUE(*db.IsVaultAllowed(f.first));
  EXPECT_FALSE(*db.IsVaultAllowed(f.second));
  auto usage = db.ListVaults();
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 3u);
  for (const VaultUsage& u : *usage) {
    if (u.vault == f.admitted) {
      EXPECT_EQ(u.quota_bytes, 12345u);
    }
  }
}

class Migrate : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    auto s = OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sqlite_ = std::move(*s);
    auto p = OpenPostgresRelayStorage(server_.uri());
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pg_ = std::move(*p);
  }
  testing::TempDir dir_;
  testing::PostgresServer server_;
  std::unique_ptr<RelayStorage> sqlite_;
  std::unique_ptr<RelayStorage> pg_;
  Fixture f_;
};

TEST_F(Migrate, SqliteToPostgres) {
  ASSERT_NO_FATAL_FAILURE(Fill(*sqlite_, f_));
  MigrateReport report;
  Status done = MigrateRelayStorage(*sqlite_, *pg_, &report);
  ASSERT_TRUE(done.ok()) << done.ToString();
  Check(*pg_, f_, report);
  // A second run finds the target filled.
  EXPECT_EQ(MigrateRelayStorage(*sqlite_, *pg_, nullptr).code(), Code::kAlreadyExists);
}

TEST_F(Migrate, PostgresToSqlite) {
  ASSERT_NO_FATAL_FAILURE(Fill(*pg_, f_));
  MigrateReport report;
  Status done = MigrateRelayStorage(*pg_, *sqlite_, &report);
  ASSERT_TRUE(done.ok()) << done.ToString();
  Check(*sqlite_, f_, report);
}

TEST_F(Migrate, BothWaysGiveTheSameDigest) {
  ASSERT_NO_FATAL_FAILURE(Fill(*sqlite_, f_));
  MigrateReport there;
  ASSERT_TRUE(MigrateRelayStorage(*sqlite_, *pg_, &there).ok());
  auto back = OpenSqliteRelayStorage(dir_.Sub("back.db"));
  ASSERT_TRUE(back.ok());
  MigrateReport back_report;
  Status done = MigrateRelayStorage(*pg_, **back, &back_report);
  ASSERT_TRUE(done.ok()) << done.ToString();
  EXPECT_EQ(back_report.digest, there.digest);
  EXPECT_EQ(back_report.stored_bytes, there.stored_bytes);
}

TEST_F(Migrate, RefusesANonEmptyTarget) {
  ASSERT_NO_FATAL_FAILURE(Fill(*sqlite_, f_));
  ASSERT_TRUE(pg_->AllowVault(crypto::RandomBytes(32), 0).ok());  // an allowance is enough
  EXPECT_EQ(MigrateRelayStorage(*sqlite_, *pg_, nullptr).code(), Code::kAlreadyExists);
  EXPECT_TRUE(pg_->ExportVaultIds()->empty());  // nothing written
}

}  // namespace
}  // namespace parley::relay
