// The sync client against a relay's admission and quota (in-process relay over SQLite): a
// vault over its quota keeps its changes on the device, says why, and pushes them once the
// relay has room; a vault the relay has not admitted gets an error that names it and says
// how the operator admits it.
#include <gtest/gtest.h>

#include "parley/core/replica_sync.h"
#include "parley/wire.pb.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

class RelayLimitsClient : public ::testing::Test {
 protected:
  // The relay's storage, opened as the operator's command does (another object over the
  // same file, while the relay runs).
  std::unique_ptr<relay::RelayStorage> OperatorStorage() {
    auto s = relay::OpenSqliteRelayStorage(dir.Sub("relay") + "/relay.db");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::uint64_t Acked(SyncDevice& d) {
    auto refs = log::ListChangeRefs(*d.replica);
    EXPECT_TRUE(refs.ok());
    std::uint64_t n = 0;
    for (const auto& r : *refs) n += d.state->AckOf(d.relay, r.id).value().has_value() ? 1 : 0;
    return n;
  }

  TempDir dir;
  FakeClock clock;
  MemoryKeyStore keys;
};

TEST_F(RelayLimitsClient, OverTheQuotaChangesStayOnTheDeviceAndArePushedOnceThereIsRoom) {
  relay::RelayOptions o;
  o.vault_quota_bytes = 20'000;
  InProcessRelay relay(dir.Sub("relay"), o);
  auto team = MakeTeam(dir.path(), {"a", "b"}, keys, clock);
  auto& a = team[0];
  auto& b = team[1];
  a->Pin(relay.public_key(), relay.port());
  b->Pin(relay.public_key(), relay.port());
  for (int i = 0; i < 60; ++i)
    a->Add("note", "text", "note " + std::to_string(i) + std::string(600, 'x'));
  const std::uint64_t made = a->Changes();
  auto first = a->Sync();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_GT(first->refused, 0u);
  ASSERT_FALSE(first->refusals.empty());
  EXPECT_EQ(first->refusals[0].refusal, pb::REFUSAL_QUOTA_EXCEEDED);
  EXPECT_NE(first->refusals[0].reason.find("of its 20000 bytes on this relay"), std::string::npos)
      << first->refusals[0].Describe();
  EXPECT_LT(Acked(*a), made);
  // Nothing is lost: every change is still held here, and a second sync offers them again.
  EXPECT_EQ(a->Changes(), made);
  auto again = a->Sync();
  ASSERT_TRUE(again.ok());
  EXPECT_GT(again->refused, 0u);
  // The operator gives the vault room; the next sync pushes the rest and b gets it all.
  auto vault = log::GetVaultIdentity(*a->replica);
  ASSERT_TRUE(vault.ok());
  auto op = OperatorStorage();
  ASSERT_NE(op, nullptr);
  ASSERT_TRUE(op->AllowVault(vault->vault, 10'000'000).ok());
  auto after = a->Sync();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->refused, 0u);
  EXPECT_EQ(Acked(*a), made);
  ASSERT_TRUE(b->Sync().ok());
  EXPECT_EQ(b->Dump(), a->Dump());
}

TEST_F(RelayLimitsClient, AVaultTheRelayHasNotAdmittedIsAClearError) {
  relay::RelayOptions o;
  o.admission = relay::Admission::kAllowlist;
  InProcessRelay relay(dir.Sub("relay"), o);
  auto a = SyncDevice::Create(dir.path(), "a", keys, clock);
  ASSERT_TRUE(a->replica->CreateVault("team").ok());
  a->Pin(relay.public_key(), relay.port());
  a->Add("note", "text", "kept");
  auto refused = a->Sync();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  auto vault = log::GetVaultIdentity(*a->replica);
  ASSERT_TRUE(vault.ok());
  const std::string hex = crypto::ToHex(vault->vault);
  EXPECT_NE(refused.status().message().find("parley-relay vault allow " + hex), std::string::npos)
      << refused.status().message();
  auto op = OperatorStorage();
  ASSERT_NE(op, nullptr);
  ASSERT_TRUE(op->AllowVault(vault->vault, 0).ok());
  auto admitted = a->Sync();
  ASSERT_TRUE(admitted.ok()) << admitted.status().ToString();
  EXPECT_TRUE(admitted->registered_vault);
  EXPECT_EQ(Acked(*a), a->Changes());
}

}  // namespace
}  // namespace parley::testing
