// Reconnection delays of the sync client: exponential backoff with "equal jitter".
//
//   ceiling(attempt) = min(cap_ms, base_ms * 2^attempt)
//   delay(attempt)   = ceiling / 2 + (random mod (ceiling / 2 + 1))
// so the n-th retry waits between half and all of its ceiling: never zero (no hammering of
// a relay that just came back), never more than cap_ms, and devices that lost the network
// together spread out instead of reconnecting in lockstep. `attempt` counts failed
// connections since the last session that reached the synced state (0 for the first retry).
// Thread safety: pure functions.
#pragma once

#include <cstdint>

namespace parley::sync {

struct BackoffPolicy {
  std::int64_t base_ms = 500;
  std::int64_t cap_ms = 60'000;
};

// REQUIRES: 0 < base_ms <= cap_ms.
std::int64_t BackoffCeilingMs(const BackoffPolicy& policy, std::uint32_t attempt);
std::int64_t BackoffDelayMs(const BackoffPolicy& policy, std::uint32_t attempt,
                            std::uint64_t random);

}  // namespace parley::sync
