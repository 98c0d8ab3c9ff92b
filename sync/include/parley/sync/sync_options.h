// The sync client's timeouts, backoff and pull budget (defaults from client_tuning.h).
#pragma once

#include <cstdint>

#include "parley/sync/backoff.h"
#include "parley/sync/client_tuning.h"

namespace parley::sync {

struct SyncOptions {
  BackoffPolicy backoff{kBackoffBaseMs, kBackoffCapMs};
  std::int64_t connect_timeout_ms = kConnectTimeoutMs;
  std::int64_t io_timeout_ms = kIoTimeoutMs;
  std::int64_t ping_interval_ms = kPingIntervalMs;
  std::uint32_t pull_budget_bytes = kPullBudgetBytes;
};

}  // namespace parley::sync
