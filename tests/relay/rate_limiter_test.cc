// The relay's token buckets (sync/relay/src/rate_limiter.h): limiting, refill, and the bound
// on how many buckets are kept whatever the number of keys.
#include <gtest/gtest.h>

#include <string>

#include "rate_limiter.h"

namespace parley::relay {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Key(std::uint64_t i) {
  std::string k(32, '\0');
  for (int b = 0; b < 8; ++b) k[b] = static_cast<char>((i >> (8 * b)) & 0xff);
  return k;
}

TEST(RateLimiter, TakesUpToTheBurstThenAnswersHowLongToWait) {
  RateLimiter l(10, 5, 100);
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.TakeAt("a", 1, t0), 0u);
  const std::uint32_t wait = l.TakeAt("a", 1, t0);
  EXPECT_GT(wait, 0u);
  EXPECT_LE(wait, 101u);                                    // one token at 10/s
  EXPECT_EQ(l.TakeAt("b", 1, t0), 0u);                      // another key has its own bucket
  EXPECT_EQ(l.TakeAt("a", 1, t0 + milliseconds(100)), 0u);  // refilled one token
  // A cost over the burst costs the burst (it can be paid once the bucket is full).
  EXPECT_EQ(l.TakeAt("c", 50, t0), 0u);
  EXPECT_GT(l.TakeAt("c", 1, t0), 0u);
}

TEST(RateLimiter, MemoryStaysBoundedAfterAMillionIdentities) {
  constexpr std::size_t kMax = 65'536;
  RateLimiter l(20'000, 40'000, kMax);
  Clock::time_point t = Clock::now();
  for (std::uint64_t i = 0; i < 1'000'000; ++i) {
    // Each new identity spends a little: none of their buckets is full again at once.
    ASSERT_EQ(l.TakeAt(Key(i), 1000, t), 0u);
    if (i % 1000 == 0) t += milliseconds(1);
  }
  EXPECT_LE(l.size(), kMax);
  EXPECT_GE(l.size(), kMax / 2);
}

TEST(RateLimiter, RefilledBucketsGoFirstThenTheLeastRecentlyUsed) {
  RateLimiter l(1, 10, 3);  // refills in 10 s
  const Clock::time_point t0 = Clock::now();
  // "busy" spends everything; "idle" spends a little and then waits long enough to refill.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(l.TakeAt("busy", 1, t0), 0u);
  ASSERT_EQ(l.TakeAt("idle", 1, t0), 0u);
  ASSERT_EQ(l.TakeAt("third", 5, t0 + seconds(9)), 0u);  // not refilled by t0 + 11 s
  // At t0 + 11 s "busy" (10 tokens short at t0) is full again too; "third" is not.
  const Clock::time_point t1 = t0 + seconds(11);
  ASSERT_EQ(l.TakeAt("new", 1, t1), 0u);
  // The sweep dropped both refilled buckets; "third" kept its debt (5 + 2 s of refill).
  EXPECT_EQ(l.size(), 2u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(l.TakeAt("third", 1, t1), 0u) << i;
  EXPECT_GT(l.TakeAt("third", 1, t1), 0u);
  // A table of busy buckets only: the least recently used one goes.
  RateLimiter busy(1, 10, 2);
  ASSERT_EQ(busy.TakeAt("x", 10, t0), 0u);
  ASSERT_EQ(busy.TakeAt("y", 10, t0), 0u);
  ASSERT_GT(busy.TakeAt("x", 1, t0), 0u);   // x used last
  ASSERT_EQ(busy.TakeAt("z", 10, t0), 0u);  // y (least recently used) goes
  EXPECT_EQ(busy.size(), 2u);
  EXPECT_GT(busy.TakeAt("x", 1, t0), 0u);  // x is still limited
  EXPECT_EQ(busy.TakeAt("y", 1, t0), 0u);  // y starts again with a full bucket
}

}  // namespace
}  // namespace parley::relay
