// Hybrid logical clock: a 64-bit timestamp, wall-clock milliseconds << 16 | a counter.
//
// Now() never returns the same value twice and never goes backwards, even when the wall
// clock does (the counter carries on from the last value, overflowing into the millisecond
// part if it must). Observe() folds in a clock read from a received change, so a local
// change made after receiving another always sorts after it.
// Thread safety: one thread at a time (owned by a Replica).
#pragma once

#include <cstdint>

#include "log/tuning.h"
#include "parley/platform/env.h"

namespace parley::log {

inline constexpr int kHlcCounterBits = 16;

inline std::uint64_t HlcFromMs(std::int64_t ms) {
  return ms <= 0 ? 0 : static_cast<std::uint64_t>(ms) << kHlcCounterBits;
}
inline std::int64_t HlcToMs(std::uint64_t hlc) { return static_cast<std::int64_t>(hlc >> kHlcCounterBits); }

class HybridClock {
 public:
  explicit HybridClock(Clock& clock, std::uint64_t last = 0) : clock_(clock), last_(last) {}

  // A fresh timestamp, strictly greater than every value returned or observed before.
  std::uint64_t Now();
  // Advances the clock to a remote timestamp, believed at most kMaxHlcDriftMs ahead of the
  // local wall clock.
  void Observe(std::uint64_t remote);
  std::uint64_t last() const { return last_; }

 private:
  Clock& clock_;
  std::uint64_t last_;
};

}  // namespace parley::log
