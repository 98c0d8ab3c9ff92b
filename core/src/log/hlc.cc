#include "log/hlc.h"

#include <algorithm>

namespace parley::log {

Result<std::uint64_t> HybridClock::Now() {
  const std::int64_t ms = clock_.NowUnixMs();
  wall_valid_ = ms >= kHlcMinWallMs && ms <= kHlcMaxWallMs;
  const std::uint64_t wall = wall_valid_ ? HlcFromMs(ms) : 0;
  if (wall > last_) {
    last_ = wall;
  } else if (last_ >= kHlcMax) {
    return Error(Domain::kLog, Code::kUnsupported,
                 "the clock has reached the largest value it can issue");
  } else {
    ++last_;
  }
  return last_;
}

void HybridClock::Observe(std::uint64_t remote) {
  // A device whose clock is far in the future must not drag every other clock with it:
  // remote values are believed only up to kMaxHlcDriftMs ahead of our wall clock (itself
  // taken into the valid range first, so the sum cannot overflow).
  const std::int64_t ms = clock_.NowUnixMs();
  wall_valid_ = ms >= kHlcMinWallMs && ms <= kHlcMaxWallMs;
  const std::int64_t bounded = std::clamp(ms, kHlcMinWallMs, kHlcMaxWallMs);
  const std::uint64_t limit =
      std::min(static_cast<std::uint64_t>(bounded + kMaxHlcDriftMs) << kHlcCounterBits, kHlcMax);
  remote = std::min(remote, limit);
  if (remote > last_) last_ = remote;
}

}  // namespace parley::log
