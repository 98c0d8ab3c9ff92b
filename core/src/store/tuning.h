// Tuning constants of the encrypted store, in one place.
#pragma once

#include <cstdint>

namespace parley::store::tuning {

// SQLite page cache per connection, in KiB (negative cache_size means KiB). Every cache miss
// costs a page decryption, so the cache is larger than SQLite's 2 MiB default; 8 MiB keeps a
// phone syncing 100,000 updates under 32 MB in all (`parley-bench --filter capi_sync`: 26 MB
// with 8 MiB, 34 MB with 16 MiB, 22 MB with 4 MiB).
inline constexpr int kPageCacheKiB = 8 * 1024;

// WAL frames after which a commit asks the background checkpoint thread for a checkpoint
// (checkpointer.h); SQLite's own automatic checkpoint uses the same figure (its default).
inline constexpr int kWalAutoCheckpointPages = 1000;
// WAL frames after which the committing thread checkpoints itself: the background thread is
// behind. Bounds the WAL (about 66 MB of 4,160-byte frames).
inline constexpr int kWalForegroundCheckpointPages = 16 * kWalAutoCheckpointPages;

}  // namespace parley::store::tuning

namespace parley::store::tuning {

// Longest wait for the process registry's gate (process_registry.h): Open holds it shared
// for a moment, a wipe exclusively while it stops the other processes.
inline constexpr int kGateWaitMs = 30'000;
// A wipe gives each process of the data directory this long to stop after SIGTERM, then
// sends SIGKILL and waits at most kKillWaitMs more.
inline constexpr int kStopGraceMs = 5'000;
inline constexpr int kKillWaitMs = 2'000;

}  // namespace parley::store::tuning

namespace parley::store::tuning {

// Failed unlocks (unlock_guard.h): the first kFreeUnlockFailures cost no wait; after that the
// next attempt waits 1 s, then 2 s, 4 s, ... at most kMaxUnlockDelayMs (5 minutes).
inline constexpr std::uint32_t kFreeUnlockFailures = 2;
inline constexpr std::int64_t kFirstUnlockDelayMs = 1'000;
inline constexpr std::int64_t kMaxUnlockDelayMs = 5 * 60'000;

}  // namespace parley::store::tuning
