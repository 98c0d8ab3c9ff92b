// Tuning constants of the sync client, in one place.
#pragma once

#include <cstddef>
#include <cstdint>

#include "parley/sync/frame_codec.h"

namespace parley::sync {

// Budget asked of the relay for one PullBatch (a relay serves at most its own cap, a frame
// less 4 KiB). The next batch is requested as soon as one arrives.
inline constexpr std::uint32_t kPullBudgetBytes = 60 * 1024;
// Pulled batches are gathered until they hold this much change data (or the relay has no
// more, or nothing more is waiting) and applied in one transaction: one commit and fsync
// per gathering. The receiving thread queues at most this much too, so the pulling device
// holds at most about twice this (plus one large change) and the batch being received.
inline constexpr std::size_t kApplyBatchBytes = 1 << 20;
// Room left in a Push frame for the frame's own fields and per-change overhead.
inline constexpr std::size_t kPushFrameSlack = 1024;
inline constexpr std::size_t kPushPerChangeOverhead = 16;
// Parts of one large change sent ahead of their answers (the relay answers each with Done).
inline constexpr std::size_t kPushPartWindow = 16;
// Held changes read from the store per push round (bounded memory).
inline constexpr std::size_t kPushScanCount = 2000;
inline constexpr std::size_t kPushScanBytes = 4 * wire::kMaxFramePlaintext;

inline constexpr std::int64_t kConnectTimeoutMs = 10'000;
// Longest wait for one answer or one message once it has started to arrive.
inline constexpr std::int64_t kIoTimeoutMs = 30'000;
// In watch mode: a Ping after this long without any frame from the relay; no Pong within
// kIoTimeoutMs ends the connection (then the client reconnects).
inline constexpr std::int64_t kPingIntervalMs = 60'000;
// Reconnection backoff (backoff.h).
inline constexpr std::int64_t kBackoffBaseMs = 500;
inline constexpr std::int64_t kBackoffCapMs = 60'000;

}  // namespace parley::sync
