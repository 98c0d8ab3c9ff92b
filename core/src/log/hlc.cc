#include "log/hlc.h"

namespace parley::log {

std::uint64_t HybridClock::Now() {
  const std::uint64_t wall = HlcFromMs(clock_.NowUnixMs());
  last_ = wall > last_ ? wall : last_ + 1;
  return last_;
}

void HybridClock::Observe(std::uint64_t remote) {
  // A device whose clock is far in the future must not drag every other clock with it:
  // remote values are believed only up to kMaxHlcDriftMs ahead of our wall clock.
  const std::uint64_t limit = HlcFromMs(clock_.NowUnixMs() + kMaxHlcDriftMs);
  if (remote > limit) remote = limit;
  if (remote > last_) last_ = remote;
}

}  // namespace parley::log
