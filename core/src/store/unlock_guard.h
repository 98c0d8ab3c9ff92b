// Failed unlocks: the authenticated counter in the data directory, the growing delay between
// attempts, and the lock that makes concurrent attempts take turns.
//
// File DATA/failures (72 bytes, replaced atomically through Env::WriteFileAtomic):
//   "PRLYFAIL" || format (u32 LE, 1) || store id (16) || failures (u32 LE)
//   || last failure (i64 LE, Unix ms, Env clock) || MAC (32)
//   MAC = BLAKE2b-256(key = BLAKE2b-256(key = key-store secret, "parley unlock failures mac"),
//                     every byte before it)
// No file means no failure. Editing the file reads as Code::kCorrupt; deleting it (or
// restoring an older copy) resets the count: the counter limits guessing through the
// device, while a copy of the files is protected by Argon2id and the key-store secret.
// Internal to the store; docs/storage-format.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "parley/core/crypto.h"
#include "parley/platform/env.h"

namespace parley::store::internal {

inline constexpr char kFailuresFileName[] = "failures";

struct FailureCount {
  std::uint32_t failures = 0;
  std::int64_t last_failure_unix_ms = 0;
};

// The wait (ms) required after `failures` consecutive failed unlocks before the next attempt:
// none for the first tuning::kFreeUnlockFailures, then 1 s doubling to tuning::kMaxUnlockDelayMs.
std::int64_t UnlockDelayMs(std::uint32_t failures);

// How long (ms) an attempt at `now_unix_ms` must still wait; 0 when it may go ahead. A wall
// clock set back before the last failure waits the whole delay again, never longer.
std::int64_t RemainingDelayMs(const FailureCount& count, std::int64_t now_unix_ms);

// The counter of `data_dir`: zero when there is no file; Code::kCorrupt when the file fails
// authentication (edited, or of another store).
Result<FailureCount> ReadFailures(Env& env, const std::string& data_dir, crypto::ByteView store_id,
                                  const crypto::SecretBytes& key_store_secret);
// Writes the counter durably and atomically.
Status WriteFailures(Env& env, const std::string& data_dir, crypto::ByteView store_id,
                     const crypto::SecretBytes& key_store_secret, const FailureCount& count);
// Removes the counter (a successful unlock). OK when absent.
Status ClearFailures(Env& env, const std::string& data_dir);

// An exclusive flock on the data directory held across one unlock attempt (counter check,
// Argon2id, counter update), so that parallel attempts cannot each read the same count.
// Code::kBusy after tuning::kGateWaitMs.
class UnlockLock {
 public:
  static Result<std::unique_ptr<UnlockLock>> Acquire(const std::string& data_dir);
  ~UnlockLock();
  UnlockLock(const UnlockLock&) = delete;
  UnlockLock& operator=(const UnlockLock&) = delete;

 private:
  explicit UnlockLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace parley::store::internal
