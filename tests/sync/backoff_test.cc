// The reconnection schedule as a pure function, and the client's waits driven by a fake
// clock: backoff between failed connections, and the timeout of a relay that never answers.
#include <gtest/gtest.h>
#include <unistd.h>
#include <set>

#include "parley/sync/backoff.h"
#include "parley/sync/client.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

using sync::BackoffCeilingMs;
using sync::BackoffDelayMs;
using sync::BackoffPolicy;

TEST(Backoff, CeilingDoublesUpToTheCap) {
  const BackoffPolicy p{500, 60'000};
  EXPECT_EQ(BackoffCeilingMs(p, 0), 500);
  EXPECT_EQ(BackoffCeilingMs(p, 1), 1000);
  EXPECT_EQ(BackoffCeilingMs(p, 6), 32'000);
  EXPECT_EQ(BackoffCeilingMs(p, 7), 60'000);
  EXPECT_EQ(BackoffCeilingMs(p, 4'000'000'000u), 60'000);  // no overflow
}

TEST(Backoff, DelayIsBetweenHalfAndAllOfTheCeiling) {
  const BackoffPolicy p{500, 60'000};
  for (std::uint32_t attempt = 0; attempt < 20; ++attempt) {
    const std::int64_t c = BackoffCeilingMs(p, attempt);
    EXPECT_EQ(BackoffDelayMs(p, attempt, 0), c / 2);
    EXPECT_EQ(BackoffDelayMs(p, attempt, static_cast<std::uint64_t>(c / 2)), c / 2 + c / 2);
    for (std::uint64_t r : {1ULL, 77ULL, 123456789ULL, ~0ULL}) {
      const std::int64_t d = BackoffDelayMs(p, attempt, r);
      EXPECT_GE(d, c / 2);
      EXPECT_LE(d, c);
    }
  }
}

TEST(Backoff, JitterSpreadsDevicesApart) {
  const BackoffPolicy p{500, 60'000};
  std::set<std::int64_t> seen;
  for (std::uint64_t r = 0; r < 1000; r += 37) seen.insert(BackoffDelayMs(p, 5, r * 2654435761ULL));
  EXPECT_GT(seen.size(), 20u);
}

// Polls for real with a zero timeout; when nothing is ready, jumps the fake clock by the
// whole timeout instead of sleeping. Random numbers come from a fixed sequence.
class FakePoller final : public sync::Poller {
 public:
  explicit FakePoller(FakeClock& clock) : clock_(clock) {}
  int Poll(pollfd* fds, nfds_t n, std::int64_t timeout_ms) override {
    const int ready = ::poll(fds, n, 0);
    if (ready != 0 || timeout_ms == 0) return ready;
    waits.push_back(timeout_ms);
    clock_.AdvanceMs(timeout_ms < 0 ? 3'600'000 : timeout_ms);
    return 0;
  }
  Clock& clock() override { return clock_; }
  std::uint64_t Random() override { return next_random++; }
  std::vector<std::int64_t> waits;
  std::uint64_t next_random = 0;

 private:
  FakeClock& clock_;
};

class ClientClock : public ::testing::Test {
 protected:
  TempDir dir;
  FakeClock clock;
  MemoryKeyStore keys;
  LoopbackTransport net;  // nothing listens on it unless a test says so
};

TEST_F(ClientClock, WatchRetriesWithTheBackoffScheduleUntilCancelled) {
  auto d = SyncDevice::Create(dir.path(), "phone", keys, clock);
  ASSERT_TRUE(d->replica->CreateVault("team").ok());
  d->UseTransport(net);
  d->PinAddress(crypto::NewDhKeyPair().public_key, "refusing:1");
  FakePoller poller(clock);
  sync::SyncOptions options;
  options.backoff = {500, 8'000};
  sync::SyncClient client(*d->store, *d->replica, *d->state, poller, *d->transport, options);
  sync::Canceller cancel;
  std::vector<std::int64_t> delays;
  std::vector<std::int64_t> at;
  sync::WatchObserver obs;
  obs.disconnected = [&](const std::string&, const Status& why, std::int64_t retry_ms) {
    EXPECT_EQ(why.code(), Code::kUnavailable) << why.ToString();
    delays.push_back(retry_ms);
    at.push_back(clock.MonotonicNs() / 1'000'000);
    if (delays.size() == 8) cancel.Cancel();
  };
  ASSERT_TRUE(client.Watch({d->relay}, cancel, obs).ok());
  ASSERT_EQ(delays.size(), 8u);
  // Random() yields 0, 1, 2, ...: delay(n) = ceiling(n)/2 + n mod (ceiling(n)/2 + 1).
  for (std::size_t n = 0; n < delays.size(); ++n) {
    EXPECT_EQ(delays[n], BackoffDelayMs(options.backoff, static_cast<std::uint32_t>(n), n)) << n;
  }
  // Each retry happened exactly when its delay ran out: the client waited, never spun.
  for (std::size_t n = 1; n < at.size(); ++n) EXPECT_EQ(at[n] - at[n - 1], delays[n - 1]) << n;
}

TEST_F(ClientClock, SilentRelayTimesOutWithoutRealWaiting) {
  auto d = SyncDevice::Create(dir.path(), "phone", keys, clock);
  ASSERT_TRUE(d->replica->CreateVault("team").ok());
  // Accepts (so the connection is made) but never says a word.
  std::vector<int> held;
  net.Listen("silent:1", [&](int fd) { held.push_back(fd); });
  d->UseTransport(net);
  d->PinAddress(crypto::NewDhKeyPair().public_key, "silent:1");
  FakePoller poller(clock);
  sync::SyncOptions options;
  options.io_timeout_ms = 30'000;
  sync::SyncClient client(*d->store, *d->replica, *d->state, poller, *d->transport, options);
  const std::int64_t before = clock.MonotonicNs() / 1'000'000;
  auto r = client.SyncOnce(d->relay);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_GE(clock.MonotonicNs() / 1'000'000 - before, 30'000);
  for (int fd : held) ::close(fd);
}

TEST_F(ClientClock, CancelBeforeConnectingStopsAtOnce) {
  auto d = SyncDevice::Create(dir.path(), "phone", keys, clock);
  ASSERT_TRUE(d->replica->CreateVault("team").ok());
  d->UseTransport(net);
  d->PinAddress(crypto::NewDhKeyPair().public_key, "refusing:1");
  sync::Canceller cancel;
  cancel.Cancel();
  EXPECT_TRUE(cancel.cancelled());
  EXPECT_TRUE(d->client->Watch({d->relay}, cancel).ok());
}

}  // namespace
}  // namespace parley::testing
