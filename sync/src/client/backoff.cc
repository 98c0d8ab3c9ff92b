#include "parley/sync/backoff.h"

#include <algorithm>

namespace parley::sync {

std::int64_t BackoffCeilingMs(const BackoffPolicy& policy, std::uint32_t attempt) {
  std::int64_t c = policy.base_ms;
  for (std::uint32_t i = 0; i < attempt && c < policy.cap_ms; ++i)
    c *= 2;  // no overflow: stops at the cap
  return std::min(c, policy.cap_ms);
}

std::int64_t BackoffDelayMs(const BackoffPolicy& policy, std::uint32_t attempt,
                            std::uint64_t random) {
  const std::int64_t ceiling = BackoffCeilingMs(policy, attempt);
  const std::int64_t half = ceiling / 2;
  return half + static_cast<std::int64_t>(random % static_cast<std::uint64_t>(half + 1));
}

}  // namespace parley::sync
