// Backup files: an encrypted snapshot of a vault, as `parley backup` writes it
// (docs/backup-format.md). This is the file format only; Device::Backup / VerifyBackup /
// RestoreBackup (parley/device.h) read the store and build the restored device.
//
// A backup is a clear header (magic, version, which kind of secret, Argon2id parameters and
// salt, the secretstream header, a key check and a hash of all that) followed by frames
// encrypted with libsodium's crypto_secretstream_xchacha20poly1305 under the file key: the
// recovery key's backup key (recovery::RecoveryKey::BackupKey) or Argon2id of a backup
// passphrase. Every frame is authenticated in order and the last one carries the FINAL tag,
// so a changed, removed, reordered or truncated frame is detected.
//
// Ownership: the calls borrow what they are given. Threads: a Writer is used from one thread;
// Read may run on any thread. Failures (Domain::kLog):
//   kCorrupt         not a backup, truncated, tampered or damaged (the file is refused whole)
//   kWrongPassphrase the secret given is not the one the backup was made with ("this backup
//                    was not made with this recovery key" / "wrong backup passphrase")
//   kInvalidArgument the kind of secret given is not the kind the backup needs, or a backup
//                    passphrase that is too short
//   kNotFound, kIoError, kDiskFull from the files (a failed write leaves no file behind).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/core/passphrase_policy.h"
#include "parley/core/recovery_key.h"
#include "parley/core/store.h"
#include "parley/platform/env.h"

namespace parley::pb {
class Change;
}

namespace parley::backup {

enum class SecretKind : std::uint8_t { kRecoveryKey = 1, kPassphrase = 2 };
std::string_view SecretKindName(SecretKind kind);  // "recovery_key", "passphrase"

// The secret a backup is made with or opened with. Borrows: the key or the passphrase must
// outlive the calls it is given to.
struct BackupSecret {
  const recovery::RecoveryKey* recovery_key = nullptr;  // set: the recovery key
  std::string_view passphrase;                          // otherwise: a backup passphrase
  static BackupSecret Recovery(const recovery::RecoveryKey& key) { return BackupSecret{&key, {}}; }
  static BackupSecret Passphrase(std::string_view p) { return BackupSecret{nullptr, p}; }
  SecretKind kind() const {
    return recovery_key != nullptr ? SecretKind::kRecoveryKey : SecretKind::kPassphrase;
  }
};

// A backup passphrase meets store::kBackupPassphrase (passphrase_policy.h): Writer::Create
// refuses one that does not (kInvalidArgument, the policy's message).
// A chunk of changes is closed once its plaintext reaches this size (a larger change gets a
// chunk of its own); a reader refuses frames larger than kMaxFrame.
inline constexpr std::size_t kChunkTarget = 1u << 20;
inline constexpr std::size_t kMaxFrame = (72u << 20);
// Argon2id parameters read from a header are refused above these (a hostile file could
// otherwise ask for any amount of memory).
inline constexpr std::uint64_t kMaxArgon2Ops = 64;
inline constexpr std::uint64_t kMaxArgon2Mem = 4ull << 30;

// Everything but the changes.
struct Manifest {
  std::vector<std::uint8_t> vault_id;  // 32 bytes
  std::string vault_name;
  std::vector<store::VaultKey> epochs;                    // oldest first
  std::vector<std::pair<std::string, std::string>> meta;  // change log metadata rows
  std::string device_name;                                // the device the backup was taken from
  std::vector<std::uint8_t> device;                       // its identity key
  std::int64_t created_unix_ms = 0;
};

struct Summary {
  SecretKind kind = SecretKind::kRecoveryKey;
  std::uint64_t changes = 0;
  std::uint64_t chunks = 0;
  std::uint64_t bytes = 0;  // the file's size
};

class Writer {
 public:
  // Starts `path` (its temporary, path + ".tmp"): derives the file key (Argon2id with
  // `argon2`, at least crypto::MinimumArgon2Params, and a fresh salt for a passphrase) and
  // writes the header and the manifest. The caller has checked what `path` is
  // (bundle::CheckBundleTarget).
  static Result<std::unique_ptr<Writer>> Create(Env& env, const std::string& path,
                                                const BackupSecret& secret,
                                                const crypto::Argon2Params& argon2,
                                                const Manifest& manifest);
  ~Writer();
  // Adds one change (its three parts exactly as held) with the record key slots this device
  // keeps for it (Change.key_slots; outside the change id, so a purge may have dropped them).
  Status Add(std::string_view header, std::string_view body, std::string_view signature,
             std::span<const std::string_view> key_slots = {});
  // Writes the last chunks and publishes the file (fsync, rename, directory fsync).
  Result<Summary> Finish();

  struct Impl;

 private:
  explicit Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The kind of secret the backup at `path` needs, from its clear header (checked by its hash).
Result<SecretKind> ReadKind(Env& env, const std::string& path);

// Reads the whole backup, authenticating every frame: `on_manifest` receives the manifest,
// `on_changes` each chunk of changes in order (either may be empty). Their results are
// returned as they are when not OK. A caller that must not act on a backup that later
// turns out truncated or tampered reads it twice: once with no callbacks, then for real.
Result<Summary> Read(Env& env, const std::string& path, const BackupSecret& secret,
                     const std::function<Status(Manifest&)>& on_manifest,
                     const std::function<Status(std::vector<pb::Change>&)>& on_changes);

}  // namespace parley::backup
