// RecoveryKey: the printable secret that restores a vault's keys on a new device
// (docs/recovery.md).
//
// Text form: the 20-byte secret in Crockford base32 (32 characters), then 4 check characters
// (the first 20 bits of BLAKE2b-256("parley/recovery-key-check/v1" || secret)), written as
// 9 groups of 4 separated by '-': "7K3M-0QXH-...". Parsing ignores case, spaces and '-', and
// reads O as 0 and I or L as 1 (Crockford's aliases), so that a key copied from paper reads
// back; every single mistyped character is caught by the check.
//
// Everything a recovery needs is derived from the secret (docs/recovery.md lists the labels):
// the identity, handshake and sealing keys of the vault's *recovery member* (an admin that
// exists only on paper), its one-time enrolment secret, and the key that encrypts backups.
//
// Ownership: a RecoveryKey owns its secret in locked memory, zeroed on destruction.
// Threads: any; a RecoveryKey is an immutable value after construction.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::recovery {

inline constexpr std::size_t kSecretSize = 20;
inline constexpr std::size_t kTextChars = 36;  // without the separators
inline constexpr std::size_t kGroupChars = 4;

class RecoveryKey {
 public:
  // A fresh random key.
  static RecoveryKey Generate();
  // From its text form. Code::kInvalidArgument naming what is wrong: a character that is not
  // in the alphabet, the wrong number of characters, or check characters that do not match
  // ("mistyped").
  static Result<RecoveryKey> Parse(std::string_view text);
  // From the raw secret (kSecretSize bytes). Code::kInvalidArgument for another size.
  static Result<RecoveryKey> FromSecret(crypto::ByteView secret);

  // The grouped text form (44 characters with the separators).
  std::string Text() const;

  // Keys of the vault's recovery member, the same for every call.
  crypto::SignKeyPair Identity() const;
  crypto::DhKeyPair Kx() const;
  crypto::DhKeyPair Seal() const;
  crypto::SecretBytes EnrolSecret() const;  // 16 bytes (store::kEnrolSecretSize)
  // The key of backups encrypted under the recovery key (32 bytes).
  crypto::SecretBytes BackupKey() const;

  const crypto::SecretBytes& secret() const { return secret_; }

 private:
  explicit RecoveryKey(crypto::SecretBytes secret) : secret_(std::move(secret)) {}
  crypto::SecretBytes Derive(std::uint64_t id, std::size_t size) const;
  crypto::SecretBytes secret_;
};

}  // namespace parley::recovery
