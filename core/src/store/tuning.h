// Tuning constants of the encrypted store, in one place.
#pragma once

namespace parley::store::tuning {

// SQLite page cache per connection, in KiB (negative cache_size means KiB). Every cache miss
// costs a page decryption, so the cache is larger than SQLite's 2 MiB default; 16 MiB is
// modest on a phone.
inline constexpr int kPageCacheKiB = 16 * 1024;

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
