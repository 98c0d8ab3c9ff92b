// Limits and tuning constants of the change log, merge and bundles, in one place.
#pragma once

#include "parley/core/limits.h"
#include "parley/core/replica.h"

#include <cstddef>
#include <cstdint>

namespace parley::log {

// A remote clock is believed at most this far ahead of the local wall clock.
inline constexpr std::int64_t kMaxHlcDriftMs = 24LL * 3600 * 1000;

// Operation ids are packed into one SQLite integer: author (16 bits) | seq (27) | index (20).
// Changes outside these limits are refused as corrupt.
inline constexpr int kOpIndexBits = 20;
inline constexpr int kOpSeqBits = 27;
inline constexpr int kOpAuthorBits = 16;
inline constexpr std::uint64_t kMaxOpsPerChange = (1ULL << kOpIndexBits) - 1;
inline constexpr std::uint64_t kMaxSeq = (1ULL << kOpSeqBits) - 1;
inline constexpr std::uint64_t kMaxAuthors = (1ULL << kOpAuthorBits) - 1;

// kMaxChangeBodySize and kMaxChangeHeaderSize: parley/core/limits.h (shared with the wire).
// Largest field name and record type (bytes).
inline constexpr std::size_t kMaxNameSize = 256;
// Changes held back because their author is not (yet) a member; more are refused.
inline constexpr std::uint64_t kMaxPendingChanges = 100'000;
// A sealed epoch key set (NewEpoch): room for thousands of epochs of 32-byte keys.
inline constexpr std::size_t kMaxSealedEpochKeys = 64 << 10;
// Rounds of "new keys or membership ops opened, re-evaluate" in one apply.
inline constexpr int kMaxSettleRounds = 16;
// Record-id and history-head lookups remembered in memory; beyond this many entries a map
// is emptied and refilled from the tables as records are used again.
inline constexpr std::size_t kMaxCachedRecords = 1u << 18;

// A record key slot: nonce (24) || XChaCha20-Poly1305(epoch key, 32-byte record key) (16-byte tag).
inline constexpr std::size_t kKeySlotSize = kKeySlotBytes;
// A record's data key (docs/change-format.md, "Record keys").
inline constexpr std::size_t kRecordKeySize = 32;

inline std::int64_t PackOpKey(std::uint64_t author, std::uint64_t seq, std::uint64_t index) {
  return static_cast<std::int64_t>((author << (kOpSeqBits + kOpIndexBits)) | (seq << kOpIndexBits) |
                                   index);
}
inline std::uint64_t OpKeyAuthor(std::int64_t key) {
  return static_cast<std::uint64_t>(key) >> (kOpSeqBits + kOpIndexBits);
}
inline std::uint64_t OpKeySeq(std::int64_t key) {
  return (static_cast<std::uint64_t>(key) >> kOpIndexBits) & kMaxSeq;
}
inline std::uint64_t OpKeyIndex(std::int64_t key) {
  return static_cast<std::uint64_t>(key) & kMaxOpsPerChange;
}

}  // namespace parley::log
