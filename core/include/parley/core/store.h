// Store: one device's encrypted data directory and its key hierarchy.
//
// Files in the data directory:
//   keys         the key file: Argon2id parameters and salt, the master key wrapped by the
//                key-encryption key (KEK), and the key bundle (database key, device private
//                keys, vault keys) wrapped by the master key. See docs/storage-format.md.
//   parley.db    SQLite main database, every page encrypted by the Parley VFS (vfs.h).
//   parley.db-wal, parley.db-shm   SQLite's WAL (every frame encrypted) and wal-index.
//   procs/       one registration per process that has the store open (Wipe).
//   failures     the failed-unlock counter (authenticated; absent after a successful unlock).
// KEK = BLAKE2b-256(key = key-store secret, Argon2id(passphrase, salt, params)).
// The key-store secret lives in a KeyStore (outside the data directory), under the name
// "parley-<store id>" where the store id is random and recorded in the key file.
//
// Ownership: Store owns its SQLite connection and its keys (in locked memory). Lock() or
// destruction closes the connection and zeroes every key.
// Thread safety: a Store and its connection are used from one thread at a time. A Store
// opened from disk runs one thread of its own, which checkpoints the WAL through a second
// connection (core/src/store/checkpointer.h); Lock() and destruction stop it first.
// The database's page size is 4096 with 40 reserved bytes per page (SQLite's usable page size
// is 4056); the layout is fixed by the VFS and documented in docs/storage-format.md.
// Failures: Code::kWrongPassphrase (counted: see Open), Code::kThrottled (too soon after
// failed unlocks), Code::kWiped (the store wiped itself after its limit of failed unlocks),
// Code::kMissingSecret (says which), Code::kCorrupt ("tampered or corrupt": a page, WAL
// frame, key file or failure counter failed authentication), Code::kBusy (another process
// holds the store), Code::kDiskFull.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/core/recovery_key.h"
#include "parley/platform/env.h"

struct sqlite3;

namespace parley::store {

struct StoreOptions {
  std::string data_dir;
  crypto::Argon2Params argon2 = crypto::DefaultArgon2Params();  // used by Create only
  std::string device_name;                                      // used by Create only
  // Create only: wipe the store after this many consecutive failed unlocks; 0 = never.
  // Kept, authenticated, in the key file (SetWipeAfter changes it).
  std::uint32_t wipe_after = 0;
  // The SQLite VFS under the page-encrypting one; empty means SQLite's default ("unix").
  // Tests name a fault-injecting VFS here. Used by Create and by Open(options).
  std::string base_vfs;
  // Used by Create only: when set, the device keys (identity, kx, seal and the enrolment
  // secret) are the ones the recovery key derives, so the store acts as the vault's
  // recovery member (docs/recovery.md). Borrowed for the call. Otherwise they are fresh.
  const recovery::RecoveryKey* identity_from = nullptr;
};

inline constexpr std::size_t kEnrolSecretSize = 16;

// A device's long-term keys: Ed25519 identity (signs changes), X25519 `kx` (the Noise
// handshake only) and X25519 `seal` (opens invites and vault keys sealed to the device).
// `enrol_secret` is the one-time secret of the device's pairing code (docs/enrolment.md):
// kEnrolSecretSize random bytes while the store belongs to no vault, empty afterwards
// (SetVault destroys it).
struct DeviceKeys {
  crypto::SignKeyPair identity;
  crypto::DhKeyPair kx;
  crypto::DhKeyPair seal;
  crypto::SecretBytes enrol_secret;
  std::string name;
};

// One vault key epoch.
struct VaultKey {
  std::uint32_t epoch = 0;
  crypto::SecretBytes key;  // 32 bytes
};

// A vault this device belongs to, with every epoch key it holds.
struct VaultKeys {
  std::vector<std::uint8_t> vault_id;  // 32 bytes
  std::string name;
  std::vector<VaultKey> epochs;
  const VaultKey* Current() const { return epochs.empty() ? nullptr : &epochs.back(); }
  const VaultKey* Epoch(std::uint32_t e) const;
};

class Store {
 public:
  // Creates a new store: fresh master key, database key and device keys; puts a fresh
  // key-store secret in `key_store`; creates the encrypted database. Code::kAlreadyExists if
  // the directory already holds a store.
  static Status Create(Env& env, KeyStore& key_store, const StoreOptions& options,
                       std::string_view passphrase);

  // Unlocks and opens an existing store. While open, the process is registered under procs/
  // so that a wipe elsewhere can stop it (Wipe). Code::kBusy when a wipe holds the store
  // for more than 30 s.
  // A key bundle of format 1 (before sealing keys) is upgraded on its first open: a sealing
  // key (and, without a vault, an enrolment secret) is generated and the key file rewritten
  // atomically once the database has been authenticated (docs/storage-format.md); a key
  // file of format 1 is rewritten as format 2 in the same write.
  // Failed unlocks (docs/storage-format.md, "Failed unlocks"): the key file is
  // authenticated first (any change: kCorrupt, before Argon2id runs and without counting).
  // Attempts on one data directory take turns (an exclusive lock across the attempt). Every
  // kWrongPassphrase adds one to the counter in DATA/failures (the only file a failed Open
  // writes; it is authenticated with a key from the key-store secret, so an edited counter
  // is kCorrupt). After 2 failures each attempt must wait 1 s, 2 s, 4 s, ... (at most
  // 5 minutes, measured on the Env's wall clock) after the last failure: an earlier attempt
  // is refused with kThrottled saying how long to wait, without trying the passphrase.
  // When the count reaches the key file's wipe_after (if set), the store is wiped (Wipe)
  // and Open returns kWiped. The right passphrase removes the counter.
  static Result<std::unique_ptr<Store>> Open(Env& env, KeyStore& key_store,
                                             const std::string& data_dir,
                                             std::string_view passphrase);
  // The same, with options: `data_dir` and `base_vfs` are used; the rest is ignored.
  static Result<std::unique_ptr<Store>> Open(Env& env, KeyStore& key_store,
                                             const StoreOptions& options,
                                             std::string_view passphrase);

  // Panic wipe: first stops every other process that has the store open (each open store
  // registers its process under procs/ until Lock(); docs/storage-format.md): SIGTERM, then
  // SIGKILL to those still holding it after 5 s, waiting until each has let go. Then shreds
  // the key file (crypto-erase), erases the key-store secret and deletes every other file
  // of the store. Needs no passphrase. OK if nothing is there; kBusy naming the pids of
  // processes that never let go (everything is destroyed all the same). Own process's other
  // open stores of the same directory are not stopped.
  static Status Wipe(Env& env, KeyStore& key_store, const std::string& data_dir);

  // A store with fresh device keys over an in-memory, unencrypted SQLite database and no
  // files at all: for merge tests that run thousands of replicas. Never used by apps.
  static Result<std::unique_ptr<Store>> CreateInMemoryForTesting(std::string_view device_name);

  // True when `data_dir` holds a key file.
  static bool Exists(Env& env, const std::string& data_dir);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The open SQLite connection (WAL, temp_store=MEMORY, secure_delete=ON). Owned by Store;
  // invalid after Lock(). Code in core/ creates its own tables through it.
  sqlite3* db() const;

  const DeviceKeys& device() const;

  // Vault keys held by this device (at most one vault per store today).
  const std::optional<VaultKeys>& vault() const;
  // Adds or replaces the vault and its keys, rewriting the key file durably. The enrolment
  // secret is destroyed in the same write (device().enrol_secret becomes empty). On failure
  // nothing changes. `keep_enrol_secret`: the enrolment secret stays (a device restored from
  // a backup holds the vault's keys and history but is not enrolled yet: docs/backup-format.md).
  Status SetVault(VaultKeys vault, bool keep_enrol_secret = false);

  // Replaces the passphrase: `current` must open the key file as it is on disk
  // (kWrongPassphrase otherwise, not counted as a failed unlock: the store is open);
  // `next` must pass CheckPassphraseStrength (kInvalidArgument with its message). A fresh
  // salt and KEK wrap the same master key, the bundle is sealed again with a fresh nonce,
  // and the key file is replaced atomically and durably (Env::WriteFileAtomic: temporary,
  // fsync, rename, directory fsync). The database and every record are untouched. On
  // failure the old passphrase still opens the store. Costs two Argon2id runs.
  Status ChangePassphrase(std::string_view current, std::string_view next);

  // Consecutive failed unlocks after which the store wipes itself (0: never).
  std::uint32_t wipe_after() const;
  // Changes it, rewriting the key file atomically. On failure nothing changes.
  Status SetWipeAfter(std::uint32_t failed_unlocks);

  // Checkpoints and truncates the WAL, closes the connection, unregisters the store's VFS and
  // zeroes every key. Afterwards only the destructor may be called. Idempotent.
  // REQUIRES: every statement prepared on db() is finalized first. If one is not, the keys are
  // still zeroed; the connection closes itself when the last statement is finalized and can
  // read or write nothing meanwhile. Returns the checkpoint's status (nothing is lost if it
  // fails: the WAL is recovered at the next Open).
  Status Lock();

  const std::string& data_dir() const;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::store
