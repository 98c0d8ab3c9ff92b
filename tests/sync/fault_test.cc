// Connections cut at random byte counts during sync (through a proxy of our own), 100 runs:
// every run ends converged after reconnecting, with nothing lost and nothing duplicated —
// on the devices (change counts, state dumps) and on the relay (its head sequence number
// equals the number of distinct changes).
#include <gtest/gtest.h>

#include <random>

#include "support/tcp_proxy.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

TEST(FaultInjection, HundredRunsOfRandomCutsAllConverge) {
  TempDir dir;
  FakeClock clock;
  MemoryKeyStore keys;
  // The devices here connect again at once after every cut, far more often from one address
  // than the relay's per-address connection rate lets anyone (devices back off): this test
  // is about cuts, not that limit (tests/relay/relay_limits_test.cc).
  relay::RelayOptions options;
  options.address_rate_per_s = 100'000;
  options.address_rate_burst = 100'000;
  InProcessRelay relay(dir.Sub("relay"), options);
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<std::uint64_t> cut_point(1, 6000);
  std::bernoulli_distribution cut_this(0.7);
  std::mutex rng_mu;
  TcpProxy proxy(relay.port(), [&]() -> std::uint64_t {
    std::lock_guard<std::mutex> l(rng_mu);
    return cut_this(rng) ? cut_point(rng) : 0;
  });

  auto team = MakeTeam(dir.path(), {"a", "b", "c"}, keys, clock);
  auto& a = team[0];
  auto& b = team[1];
  auto& c = team[2];
  SyncDevice* devices[] = {a.get(), b.get(), c.get()};
  for (auto* d : devices) d->Pin(relay.public_key(), proxy.port());
  const log::RecordId shared = a->Add("negotiation", "title", "start");
  std::uint64_t expected = 4;  // genesis, two invites, the negotiation
  std::uint64_t failed_attempts = 0;

  auto sync_until_ok = [&](SyncDevice& d) -> sync::SyncReport {
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto r = d.Sync();
      if (r.ok()) return *r;
      EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
      ++failed_attempts;
    }
    ADD_FAILURE() << d.name << " never synced";
    return {};
  };

  for (int round = 0; round < 2; ++round) {
    for (auto* d : devices) sync_until_ok(*d);
  }
  for (int run = 0; run < 100; ++run) {
    for (auto* d : devices) {
      d->Add("note", "text",
             d->name + " note " + std::to_string(run) + std::string(run % 7 * 300, '.'));
      ++expected;
    }
    if (run % 10 == 0) {  // a concurrent edit of one field
      a->Set(shared, "title", "a" + std::to_string(run));
      b->Set(shared, "title", "b" + std::to_string(run));
      expected += 2;
    }
    std::uint64_t head = 0;
    for (int round = 0; round < 2; ++round) {
      for (auto* d : devices) head = sync_until_ok(*d).head_seq;
    }
    const std::string dump = a->Dump();
    for (auto* d : devices) {
      ASSERT_EQ(d->Changes(), expected) << "run " << run << " " << d->name;
      ASSERT_EQ(d->Dump(), dump) << "run " << run << " " << d->name;
    }
    ASSERT_EQ(head, expected) << "run " << run << ": the relay holds each change exactly once";
  }
  EXPECT_GE(proxy.cuts(), 100u);
  EXPECT_GT(failed_attempts, 0u);
  auto conflicts = c->replica->Conflicts();
  ASSERT_TRUE(conflicts.ok());
  EXPECT_EQ(conflicts->size(), 1u);
  std::printf("cuts=%llu failed_syncs=%llu connections=%llu\n",
              static_cast<unsigned long long>(proxy.cuts()),
              static_cast<unsigned long long>(failed_attempts),
              static_cast<unsigned long long>(proxy.connections()));
}

}  // namespace
}  // namespace parley::testing
