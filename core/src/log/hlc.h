// Hybrid logical clock: a 64-bit timestamp, wall-clock milliseconds << 16 | a counter.
//
// Now() never returns the same value twice and never goes backwards, even when the wall
// clock does (the counter carries on from the last value, overflowing into the millisecond
// part if it must). Observe() folds in a clock read from a received change, so a local
// change made after receiving another always sorts after it.
//
// Bounds (docs/change-format.md, "Clock"): a wall clock reading before kHlcMinWallMs or
// after kHlcMaxWallMs is not believed (the clock then only counts on, and
// wall_clock_valid() says so); no value above kHlcMax is ever issued, accepted or believed,
// so no arithmetic here can wrap.
// Thread safety: one thread at a time (owned by a Replica).
#pragma once

#include <algorithm>

#include <cstdint>

#include "log/tuning.h"
#include "parley/platform/env.h"
#include "parley/platform/status.h"

namespace parley::log {

inline constexpr int kHlcCounterBits = 16;
// 2020-01-01T00:00:00Z and 2200-01-01T00:00:00Z, in Unix milliseconds.
inline constexpr std::int64_t kHlcMinWallMs = 1'577'836'800'000;
inline constexpr std::int64_t kHlcMaxWallMs = 7'258'118'400'000;
// The largest clock value: the last counter value of the last valid millisecond.
inline constexpr std::uint64_t kHlcMax =
    (static_cast<std::uint64_t>(kHlcMaxWallMs) << kHlcCounterBits) |
    ((1ULL << kHlcCounterBits) - 1);

// The clock value of a wall clock reading; 0 for a reading outside [kHlcMinWallMs,
// kHlcMaxWallMs].
inline std::uint64_t HlcFromMs(std::int64_t ms) {
  return ms < kHlcMinWallMs || ms > kHlcMaxWallMs
             ? 0
             : static_cast<std::uint64_t>(ms) << kHlcCounterBits;
}
inline std::int64_t HlcToMs(std::uint64_t hlc) {
  return static_cast<std::int64_t>(hlc >> kHlcCounterBits);
}

class HybridClock {
 public:
  // `last`: the largest value issued or observed before (values above kHlcMax are taken
  // as kHlcMax).
  explicit HybridClock(Clock& clock, std::uint64_t last = 0)
      : clock_(clock), last_(last > kHlcMax ? kHlcMax : last) {}

  // A fresh timestamp, strictly greater than every value returned or observed before.
  // Code::kUnsupported when kHlcMax was reached (the clock refuses rather than wraps);
  // nothing changes then.
  Result<std::uint64_t> Now();
  // Advances the clock to a remote timestamp, believed at most kMaxHlcDriftMs ahead of the
  // local wall clock (an invalid wall clock reading counts as the nearest valid one).
  void Observe(std::uint64_t remote);
  std::uint64_t last() const { return last_; }
  // Restores the value saved with the last commit (never lowers the clock; no drift
  // bound: these are values this device issued or accepted itself).
  void Resume(std::uint64_t saved) { last_ = std::max(last_, saved > kHlcMax ? kHlcMax : saved); }
  // False when the last wall clock reading (by Now or Observe) was outside the valid
  // range: the device's clock is wrong, and its changes are dated by counting on.
  bool wall_clock_valid() const { return wall_valid_; }

 private:
  Clock& clock_;
  std::uint64_t last_;
  bool wall_valid_ = true;
};

}  // namespace parley::log
