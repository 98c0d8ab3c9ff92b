// The sync client against an in-process relay: enrollment through the relay, three devices
// with offline edits, a concurrent edit that becomes a conflict everywhere, convergence,
// watch mode receiving changes as they happen, two relays carried across by one device.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "parley/core/replica_sync.h"
#include "parley/platform/posix_env.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

class SyncClientTest : public ::testing::Test {
 protected:
  TempDir dir;
  FakeClock clock;
  MemoryKeyStore keys;

  void SyncAll(std::initializer_list<SyncDevice*> devices) {
    for (int round = 0; round < 2; ++round) {
      for (SyncDevice* d : devices) {
        auto r = d->Sync();
        ASSERT_TRUE(r.ok()) << d->name << ": " << r.status().ToString();
      }
    }
  }
};

TEST_F(SyncClientTest, EnrollThroughRelayThenConvergeWithAConflict) {
  InProcessRelay relay(dir.Sub("relay"));
  auto a = SyncDevice::Create(dir.path(), "phone1", keys, clock);
  auto b = SyncDevice::Create(dir.path(), "phone2", keys, clock);
  auto c = SyncDevice::Create(dir.path(), "office", keys, clock);
  ASSERT_TRUE(a->replica->CreateVault("team").ok());
  for (auto* d : {a.get(), b.get(), c.get()}) d->Pin(relay.public_key(), relay.port());

  // Enrollment through the relay: the sealed invite is the envelope.
  for (auto* d : {b.get(), c.get()}) {
    auto invite = a->replica->Invite(d->replica->DevicePairingCode());
    ASSERT_TRUE(invite.ok());
    auto code = log::DecodeDeviceCode(d->replica->DevicePairingCode());
    ASSERT_TRUE(code.ok());
    ASSERT_TRUE(
        a->client->PutEnvelope(a->relay, code->identity, crypto::SealTo(code->kx, *invite)).ok());
    auto vault = log::GetVaultIdentity(*a->replica);
    ASSERT_TRUE(vault.ok());
    auto envelopes = d->client->GetEnvelopes(d->relay, vault->vault);
    ASSERT_TRUE(envelopes.ok()) << envelopes.status().ToString();
    ASSERT_EQ(envelopes->size(), 1u);
    // The same envelope, listed across vaults without knowing the vault id.
    auto listed = d->client->ListEnvelopes(d->relay);
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].vault, vault->vault);
    EXPECT_EQ((*listed)[0].sealed, (*envelopes)[0]);
    auto blob = crypto::OpenSealed(d->store->device().kx, (*envelopes)[0]);
    ASSERT_TRUE(blob.ok());
    ASSERT_TRUE(d->replica->AcceptInvite(*blob).ok());
  }
  log::RecordId shared = a->Add("negotiation", "buyer", "ACME");
  SyncAll({a.get(), b.get(), c.get()});
  ASSERT_TRUE(b->replica->Get(shared).value().has_value());

  // Offline: everyone edits; a and b write the same field concurrently.
  a->Set(shared, "title", "from phone1");
  b->Set(shared, "title", "from phone2");
  a->Add("note", "text", "a's note");
  b->Add("note", "text", "b's note");
  c->Add("commitment", "text", "c's commitment");

  SyncAll({a.get(), b.get(), c.get()});
  const std::string dump = a->Dump();
  EXPECT_EQ(b->Dump(), dump);
  EXPECT_EQ(c->Dump(), dump);
  EXPECT_EQ(a->Changes(), b->Changes());
  EXPECT_EQ(a->Changes(), c->Changes());
  for (auto* d : {a.get(), b.get(), c.get()}) {
    auto conflicts = d->replica->Conflicts();
    ASSERT_TRUE(conflicts.ok());
    ASSERT_EQ(conflicts->size(), 1u) << d->name;
    EXPECT_EQ((*conflicts)[0].field, "title");
    EXPECT_EQ((*conflicts)[0].values.size(), 2u);
  }
  // A second sync moves nothing.
  auto again = c->Sync();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pushed, 0u);
  EXPECT_EQ(again->pulled, 0u);
  EXPECT_EQ(again->conflicts, 1u);
  // Every change is acknowledged: the status a user trusts.
  auto refs = log::ListChangeRefs(*c->replica);
  ASSERT_TRUE(refs.ok());
  for (const auto& r : *refs) EXPECT_TRUE(c->state->AckOf(c->relay, r.id).value().has_value());
}

TEST_F(SyncClientTest, PullsInBoundedBatchesAndResumesFromTheCursor) {
  InProcessRelay relay(dir.Sub("relay"));
  sync::SyncOptions small;
  small.pull_budget_bytes = 2048;  // many batches
  auto a = SyncDevice::Create(dir.path(), "a", keys, clock);
  auto b = SyncDevice::Create(dir.path(), "b", keys, clock, small);
  ASSERT_TRUE(a->replica->CreateVault("team").ok());
  EnrollOffline(*a, *b);
  a->Pin(relay.public_key(), relay.port());
  b->Pin(relay.public_key(), relay.port());
  for (int i = 0; i < 300; ++i)
    a->Add("note", "text", "note " + std::to_string(i) + std::string(100, 'x'));
  auto pushed = a->Sync();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->pushed, a->Changes());
  auto pulled = b->Sync();
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(b->Dump(), a->Dump());
  EXPECT_EQ(pulled->cursor, pulled->head_seq);
  auto rec = b->state->Relay(b->relay);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->cursor, pulled->head_seq);
  EXPECT_EQ(b->Sync()->pulled, 0u);
}

TEST_F(SyncClientTest, WatchAppliesChangesAsTheyHappenAndStopsCleanly) {
  InProcessRelay relay(dir.Sub("relay"));
  auto team = MakeTeam(dir.path(), {"a", "b"}, keys, clock);
  auto& a = team[0];
  auto& b = team[1];
  a->Pin(relay.public_key(), relay.port());
  b->Pin(relay.public_key(), relay.port());
  ASSERT_TRUE(a->Sync().ok());

  sync::Canceller cancel;
  std::mutex mu;
  std::condition_variable cv;
  int connected = 0;
  std::uint64_t pulled = 0;
  sync::WatchObserver obs;
  obs.connected = [&](const std::string&) {
    std::lock_guard<std::mutex> l(mu);
    ++connected;
    cv.notify_all();
  };
  obs.synced = [&](const sync::SyncReport& r) {
    std::lock_guard<std::mutex> l(mu);
    pulled += r.pulled;
    cv.notify_all();
  };
  Status watch_status;
  // b's store belongs to the watching thread until it returns.
  std::thread watcher([&] { watch_status = b->client->Watch({b->relay}, cancel, obs); });
  std::uint64_t before = 0;  // `pulled` is written by the watching thread: read it under mu
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(30), [&] { return connected == 1; }));
    before = pulled;
  }
  a->Add("note", "text", "live");
  ASSERT_TRUE(a->Sync().ok());
  {
    std::unique_lock<std::mutex> l(mu);
    EXPECT_TRUE(cv.wait_for(l, std::chrono::seconds(30), [&] { return pulled > before; }));
  }
  cancel.Cancel();
  watcher.join();
  EXPECT_TRUE(watch_status.ok()) << watch_status.ToString();
  EXPECT_EQ(b->Dump(), a->Dump());
}

TEST_F(SyncClientTest, ADeviceCarriesChangesBetweenTwoRelays) {
  InProcessRelay r1(dir.Sub("relay1")), r2(dir.Sub("relay2"));
  auto team = MakeTeam(dir.path(), {"a", "b", "c"}, keys, clock);
  auto& a = team[0];
  auto& b = team[1];
  auto& c = team[2];
  a->Pin(r1.public_key(), r1.port());
  a->Pin(r2.public_key(), r2.port());
  b->Pin(r1.public_key(), r1.port());
  c->Pin(r2.public_key(), r2.port());
  // a registers the vault on both relays (one session each).
  ASSERT_TRUE(a->client->SyncOnce(a->relay).ok());
  ASSERT_TRUE(a->client->SyncOnce(a->relay + 1).ok());
  b->Add("note", "text", "only on relay 1");
  ASSERT_TRUE(b->Sync().ok());
  ASSERT_TRUE(a->client->SyncOnce(a->relay).ok());
  auto to2 = a->client->SyncOnce(a->relay + 1);
  ASSERT_TRUE(to2.ok()) << to2.status().ToString();
  EXPECT_GE(to2->pushed, 1u);
  ASSERT_TRUE(c->Sync().ok());
  EXPECT_EQ(c->Dump(), b->Dump());
}

TEST_F(SyncClientTest, NonMemberIsRefusedAndNothingMoves) {
  InProcessRelay relay(dir.Sub("relay"));
  auto a = SyncDevice::Create(dir.path(), "a", keys, clock);
  auto stranger = SyncDevice::Create(dir.path(), "stranger", keys, clock);
  ASSERT_TRUE(a->replica->CreateVault("team").ok());
  ASSERT_TRUE(stranger->replica->CreateVault("other").ok());
  a->Pin(relay.public_key(), relay.port());
  ASSERT_TRUE(a->Sync().ok());
  auto vault = log::GetVaultIdentity(*a->replica);
  stranger->Pin(relay.public_key(), relay.port());
  auto got = stranger->client->GetEnvelopes(stranger->relay, vault->vault);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kPermissionDenied) << got.status().ToString();
}

// The relay holds a newer member list than this device recorded: its ERROR_CONFLICT carries
// the version it holds (Error.membership_version) and the next publication follows it.
TEST_F(SyncClientTest, StaleMembershipVersionIsTakenFromTheRelaysAnswer) {
  InProcessRelay relay(dir.Sub("relay"));
  auto a = SyncDevice::Create(dir.path(), "admin", keys, clock);
  auto b = SyncDevice::Create(dir.path(), "member", keys, clock);
  ASSERT_TRUE(a->replica->CreateVault("team").ok());
  a->Pin(relay.public_key(), relay.port());
  b->Pin(relay.public_key(), relay.port());
  auto first = a->Sync();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->published_members);
  ASSERT_EQ(a->state->Relay(a->relay)->members_version, 1u);
  // This device's record of the relay's list goes back to nothing (as after restoring an
  // older copy of its data): it will offer version 1, which the relay already holds.
  ASSERT_TRUE(a->state->SetMembers(a->relay, 0, {}).ok());
  EnrollOffline(*a, *b);
  auto second = a->Sync();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->published_members);
  EXPECT_EQ(a->state->Relay(a->relay)->members_version, 2u);
  // The relay enforces the new list: the enrolled device may sync.
  auto joined = b->Sync();
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
}

TEST_F(SyncClientTest, WrongPinnedKeyFailsTheHandshake) {
  InProcessRelay relay(dir.Sub("relay"));
  auto a = SyncDevice::Create(dir.path(), "a", keys, clock);
  ASSERT_TRUE(a->replica->CreateVault("team").ok());
  a->Pin(crypto::NewDhKeyPair().public_key, relay.port());
  auto r = a->Sync();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), Code::kOk);
  EXPECT_EQ(a->state->Relay(a->relay)->cursor, 0u);
}

}  // namespace
}  // namespace parley::testing
