// Tuning constants of the encrypted store, in one place.
#pragma once

namespace parley::store::tuning {

// SQLite page cache per connection, in KiB (negative cache_size means KiB). Every cache miss
// costs a page decryption, so the cache is larger than SQLite's 2 MiB default; 16 MiB is
// modest on a phone.
inline constexpr int kPageCacheKiB = 16 * 1024;

// WAL pages before an automatic checkpoint (SQLite's default is 1000).
inline constexpr int kWalAutoCheckpointPages = 1000;

}  // namespace parley::store::tuning
