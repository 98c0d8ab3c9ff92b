// Store: unlocking the key hierarchy and opening the encrypted database.
//
// Invariants on disk: the key file is written last by Create (it is the commit point of a new
// store) and rewritten only atomically (Env::WriteFileAtomic). The database file exists with
// at least one whole page whenever the key file exists. Open writes nothing of the store
// before the keys have been unlocked and the database authenticated; it only registers the
// process under procs/ (process_registry.h) for as long as the store stays open.
#include <sqlite3.h>

#include <cstring>

#include "parley/core/passphrase_policy.h"
#include "parley/core/sqlite_util.h"
#include "parley/core/store.h"
#include "store/checkpointer.h"
#include "store/database.h"
#include "store/key_file.h"
#include "store/process_registry.h"
#include "store/store_files.h"
#include "store/unlock_guard.h"
#include "store/vfs.h"

namespace parley::store {

using internal::KeyFileData;
using internal::KeyMaterial;

const VaultKey* VaultKeys::Epoch(std::uint32_t e) const {
  for (const auto& k : epochs) {
    if (k.epoch == e) return &k;
  }
  return nullptr;
}

struct Store::Impl {
  // First, so that it goes last: a wipe waiting for this process sees it once all is closed.
  std::unique_ptr<internal::ProcessRegistration> registration;
  Env* env = nullptr;
  KeyStore* key_store = nullptr;
  std::string data_dir;
  KeyFileData key_file;
  crypto::SecretBytes key_store_secret;  // MACs the key file when it is rewritten
  crypto::SecretBytes master;
  KeyMaterial keys;
  std::unique_ptr<internal::PageVfs> vfs;
  sqlite3* db = nullptr;
  std::unique_ptr<internal::Checkpointer> checkpointer;  // of `db`; destroyed before it closes
  bool locked = false;

  void WipeKeys() {
    key_store_secret.Wipe();
    master.Wipe();
    keys.database_key.Wipe();
    keys.device.identity.secret_key.Wipe();
    keys.device.kx.secret_key.Wipe();
    keys.device.seal.secret_key.Wipe();
    keys.device.enrol_secret.Wipe();
    if (keys.vault) {
      for (auto& e : keys.vault->epochs) e.key.Wipe();
    }
  }
};

namespace {

Status StoreError(Code code, std::string msg) {
  return Status(Domain::kStore, code, std::move(msg));
}

crypto::SecretBytes TakeSecret(std::vector<std::uint8_t>& v) {
  crypto::SecretBytes s = crypto::SecretBytes::Copy(v);
  if (!v.empty()) internal::Scrub(v.data(), v.size());
  v.clear();
  return s;
}

Result<crypto::SecretBytes> LoadKeyStoreSecret(KeyStore& key_store, const std::string& name,
                                               const std::string& data_dir) {
  auto got = key_store.Get(name);
  if (!got.ok()) {
    const Status& s = got.status();
    if (s.code() == Code::kMissingSecret || s.code() == Code::kNotFound) {
      return StoreError(Code::kMissingSecret,
                        "the key-store secret \"" + name + "\" of the store in " + data_dir +
                            " is missing from the platform key store (" + s.message() +
                            "); without it the store cannot be unlocked");
    }
    return s;
  }
  if (got->size() != 32) {
    TakeSecret(*got);
    return StoreError(Code::kCorrupt,
                      "the key-store secret \"" + name + "\" is tampered or corrupt (bad size)");
  }
  return TakeSecret(*got);
}

// Opens the database through a fresh page-encrypting VFS holding `db_key`.
Status OpenEncrypted(Store::Impl& impl, const std::string& base_vfs, bool create) {
  const char* base = base_vfs.empty() ? nullptr : base_vfs.c_str();
  PARLEY_ASSIGN_OR_RETURN(impl.vfs, internal::PageVfs::Register(impl.keys.database_key, base));
  auto db = internal::OpenDatabase(JoinPath(impl.data_dir, internal::kDatabaseFileName),
                                   impl.vfs->name(), create, impl.key_file.header.store_id);
  if (!db.ok()) return db.status();  // the caller drops impl.vfs
  impl.db = *db;
  if (create) return Status::Ok();  // closed again at once
  // Without the background thread the connection keeps SQLite's automatic checkpoint.
  auto checkpointer = internal::Checkpointer::Start(
      impl.db, JoinPath(impl.data_dir, internal::kDatabaseFileName), impl.vfs->name());
  if (checkpointer.ok()) impl.checkpointer = std::move(checkpointer).value();
  return Status::Ok();
}

Status CheckDatabaseFile(Env& env, const std::string& data_dir) {
  const std::string path = JoinPath(data_dir, internal::kDatabaseFileName);
  auto size = env.FileSize(path);
  if (!size.ok()) {
    return StoreError(Code::kCorrupt, "the database file " + path +
                                          " is missing (the store is tampered or corrupt)");
  }
  if (*size < static_cast<std::uint64_t>(internal::kPageSize) || *size % internal::kPageSize != 0) {
    return StoreError(Code::kCorrupt, "the database file " + path +
                                          " is truncated (the store is tampered or corrupt)");
  }
  return Status::Ok();
}

// A format 1 key file is rewritten as format 2 (its master key wrapped again under the same
// KEK, with the format 2 header as associated data, and a MAC over the whole file). A format 1
// bundle has no sealing key and no enrolment secret: both are made now, so the device's
// pairing code is stable from here on. A store without a vault whose secret is gone gets a
// fresh one the same way. One atomic rewrite does all of it.
Status UpgradeKeyFile(Store::Impl& impl, const crypto::SecretBytes& kek) {
  DeviceKeys& d = impl.keys.device;
  const bool old_file = impl.key_file.header.format != internal::kKeyFileFormat;
  const bool needs_seal = d.seal.public_key.empty();
  const bool needs_secret = !impl.keys.vault.has_value() && d.enrol_secret.empty();
  if (!old_file && !needs_seal && !needs_secret &&
      impl.keys.bundle_format == internal::kKeyBundleFormat) {
    return Status::Ok();
  }
  if (needs_seal) d.seal = crypto::NewDhKeyPair();
  if (needs_secret) d.enrol_secret = crypto::SecretBytes::Random(kEnrolSecretSize);
  KeyFileData updated = impl.key_file;
  if (old_file) {
    updated.header.format = internal::kKeyFileFormat;
    internal::WrapMaster(updated, impl.key_store_secret, kek, impl.master);
  }
  internal::WrapBundle(updated, impl.master, impl.keys);
  Status s = impl.env->WriteFileAtomic(JoinPath(impl.data_dir, internal::kKeyFileName),
                                       internal::EncodeKeyFile(updated, impl.key_store_secret));
  if (!s.ok()) {
    if (impl.checkpointer) impl.checkpointer.reset();
    if (impl.db != nullptr) (void)internal::CloseDatabase(impl.db);
    impl.db = nullptr;
    impl.vfs.reset();
    impl.WipeKeys();
    return s.Annotate("upgrading the key file to format 2");
  }
  impl.key_file = std::move(updated);
  impl.keys.bundle_format = internal::kKeyBundleFormat;
  return Status::Ok();
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() { (void)Lock(); }

Status Store::Create(Env& env, KeyStore& key_store, const StoreOptions& options,
                     std::string_view passphrase) {
  PARLEY_RETURN_IF_ERROR(crypto::InitCrypto());
  if (options.data_dir.empty())
    return StoreError(Code::kInvalidArgument, "no data directory given");
  const crypto::Argon2Params floor = crypto::MinimumArgon2Params();
  if (options.argon2.ops_limit < floor.ops_limit || options.argon2.mem_limit < floor.mem_limit) {
    return StoreError(Code::kInvalidArgument, "Argon2id parameters below the floor");
  }
  PARLEY_RETURN_IF_ERROR(env.CreateDirs(options.data_dir));
  if (Exists(env, options.data_dir)) {
    return StoreError(Code::kAlreadyExists, "a store already exists in " + options.data_dir);
  }
  // Leftovers of a Create that never reached its commit point hold nothing readable.
  PARLEY_RETURN_IF_ERROR(internal::RemoveDatabaseFiles(env, options.data_dir));

  auto impl = std::make_unique<Impl>();
  impl->env = &env;
  impl->key_store = &key_store;
  impl->data_dir = options.data_dir;
  KeyFileData& kf = impl->key_file;
  kf.header.store_id = crypto::RandomBytes(internal::kStoreIdSize);
  kf.header.argon2 = options.argon2;
  kf.header.salt = crypto::RandomBytes(crypto::kArgon2SaltSize);
  kf.wipe_after = options.wipe_after;
  impl->master = crypto::SecretBytes::Random(32);
  impl->keys.database_key = crypto::SecretBytes::Random(32);
  if (options.identity_from != nullptr) {
    impl->keys.device.identity = options.identity_from->Identity();
    impl->keys.device.kx = options.identity_from->Kx();
    impl->keys.device.seal = options.identity_from->Seal();
    impl->keys.device.enrol_secret = options.identity_from->EnrolSecret();
  } else {
    impl->keys.device.identity = crypto::NewSignKeyPair();
    impl->keys.device.kx = crypto::NewDhKeyPair();
    impl->keys.device.seal = crypto::NewDhKeyPair();
    impl->keys.device.enrol_secret = crypto::SecretBytes::Random(kEnrolSecretSize);
  }
  impl->keys.device.name = options.device_name;

  const std::string secret_name = internal::KeyStoreName(kf.header.store_id);
  crypto::SecretBytes secret = crypto::SecretBytes::Random(32);
  PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes kek,
                          internal::DeriveKek(passphrase, kf.header, secret));
  internal::WrapMaster(kf, secret, kek, impl->master);
  internal::WrapBundle(kf, impl->master, impl->keys);
  kek.Wipe();
  const crypto::Bytes key_file = internal::EncodeKeyFile(kf, secret);
  PARLEY_RETURN_IF_ERROR(key_store.Put(secret_name, secret.view()));
  secret.Wipe();
  // A counter left by a store that was here before (its files deleted by hand) is not ours.
  PARLEY_RETURN_IF_ERROR(internal::ClearFailures(env, options.data_dir));

  auto undo = [&](Status s) {
    if (impl->db != nullptr) sqlite3_close_v2(impl->db);
    impl->db = nullptr;
    impl->vfs.reset();
    (void)internal::RemoveDatabaseFiles(env, options.data_dir);
    (void)key_store.Erase(secret_name);
    return s;
  };
  // An empty 0600 file: SQLite gives the WAL and shared-memory files the same mode.
  Status s = env.WriteFileAtomic(JoinPath(options.data_dir, internal::kDatabaseFileName), {});
  if (s.ok()) s = OpenEncrypted(*impl, options.base_vfs, /*create=*/true);
  if (s.ok()) s = internal::CloseDatabase(impl->db);
  if (!s.ok() && s.code() != Code::kDiskFull && impl->vfs && impl->vfs->saw_disk_full()) {
    s = StoreError(Code::kDiskFull, "the disk is full (" + s.message() + ")");
  }
  impl->db = nullptr;
  impl->vfs.reset();
  if (s.ok()) s = env.WriteFileAtomic(JoinPath(options.data_dir, internal::kKeyFileName), key_file);
  if (!s.ok()) return undo(s.Annotate("creating the store"));
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::Open(Env& env, KeyStore& key_store,
                                           const std::string& data_dir,
                                           std::string_view passphrase) {
  StoreOptions options;
  options.data_dir = data_dir;
  return Open(env, key_store, options, passphrase);
}

Result<std::unique_ptr<Store>> Store::Open(Env& env, KeyStore& key_store,
                                           const StoreOptions& options,
                                           std::string_view passphrase) {
  PARLEY_RETURN_IF_ERROR(crypto::InitCrypto());
  const std::string& data_dir = options.data_dir;
  const std::string key_path = JoinPath(data_dir, internal::kKeyFileName);
  auto no_store = [&] {
    return StoreError(Code::kNotFound,
                      "no store in " + data_dir + " (no key file " + key_path + ")");
  };
  if (!env.FileExists(key_path)) return no_store();
  auto impl = std::make_unique<Impl>();
  // Registered before the key file is read, under the gate: a wipe either sees this process
  // and stops it, or has destroyed the key file before this reads it.
  auto gate = internal::RegistryGate::Enter(data_dir, /*exclusive=*/false);
  if (!gate.ok()) return gate.status().code() == Code::kNotFound ? no_store() : gate.status();
  PARLEY_ASSIGN_OR_RETURN(impl->registration, internal::ProcessRegistration::Register(data_dir));
  auto file = env.ReadFile(key_path);
  gate->reset();
  if (!file.ok()) {
    if (file.status().code() == Code::kNotFound) return no_store();
    return file.status();
  }
  impl->env = &env;
  impl->key_store = &key_store;
  impl->data_dir = data_dir;
  PARLEY_ASSIGN_OR_RETURN(impl->key_file, internal::ParseKeyFile(*file));
  const KeyFileData& kf = impl->key_file;
  PARLEY_ASSIGN_OR_RETURN(
      impl->key_store_secret,
      LoadKeyStoreSecret(key_store, internal::KeyStoreName(kf.header.store_id), data_dir));
  const crypto::SecretBytes& secret = impl->key_store_secret;
  // Everything in the key file is authentic from here on (format 2: every byte).
  PARLEY_RETURN_IF_ERROR(internal::VerifyKeyFile(kf, secret));

  // One attempt at a time per data directory (held until the passphrase's verdict is
  // recorded), and none before the delay earned by the failures before it has passed
  // (docs/storage-format.md, "Failed unlocks").
  PARLEY_ASSIGN_OR_RETURN(auto attempt, internal::UnlockLock::Acquire(data_dir));
  PARLEY_ASSIGN_OR_RETURN(internal::FailureCount failures,
                          internal::ReadFailures(env, data_dir, kf.header.store_id, secret));
  const std::int64_t now = env.clock().NowUnixMs();
  if (const std::int64_t wait = internal::RemainingDelayMs(failures, now); wait > 0) {
    return StoreError(Code::kThrottled,
                      std::to_string(failures.failures) + " failed unlocks in a row: wait " +
                          std::to_string((wait + 999) / 1000) +
                          " s before the next attempt (the passphrase was not tried)");
  }
  PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes kek,
                          internal::DeriveKek(passphrase, kf.header, secret));
  auto master = internal::UnwrapMaster(kf, kek);
  if (!master.ok()) {
    if (master.status().code() != Code::kWrongPassphrase) return master.status();
    kek.Wipe();
    failures.failures += 1;
    failures.last_failure_unix_ms = env.clock().NowUnixMs();  // the delay runs from the failure
    const std::uint32_t limit = kf.wipe_after;
    if (limit > 0 && failures.failures >= limit) {
      // Everything of this attempt lets go of the directory before the wipe removes it.
      impl.reset();
      attempt.reset();
      Status wiped = Wipe(env, key_store, data_dir);
      std::string msg = "wrong passphrase; the store in " + data_dir + " was wiped after " +
                        std::to_string(limit) +
                        " failed unlocks: its keys and every record on this device are destroyed";
      if (!wiped.ok()) msg += " (" + wiped.message() + ")";
      return StoreError(Code::kWiped, std::move(msg));
    }
    PARLEY_RETURN_IF_ERROR(
        internal::WriteFailures(env, data_dir, kf.header.store_id, secret, failures)
            .Annotate("counting a failed unlock"));
    std::string msg = master.status().message() + " (" + std::to_string(failures.failures) +
                      " failed unlock" + (failures.failures == 1 ? "" : "s") + " in a row";
    if (limit > 0) msg += "; the store wipes itself after " + std::to_string(limit);
    if (const std::int64_t next = internal::UnlockDelayMs(failures.failures); next > 0) {
      msg += "; the next attempt must wait " + std::to_string(next / 1000) + " s";
    }
    return StoreError(Code::kWrongPassphrase, msg + ")");
  }
  impl->master = std::move(master).value();
  // The passphrase is right: the count starts again, and the next attempt may go ahead.
  if (failures.failures > 0) {
    PARLEY_RETURN_IF_ERROR(
        internal::ClearFailures(env, data_dir).Annotate("resetting the failed-unlock counter"));
  }
  attempt.reset();
  PARLEY_ASSIGN_OR_RETURN(impl->keys, internal::UnwrapBundle(kf, impl->master));
  PARLEY_RETURN_IF_ERROR(CheckDatabaseFile(env, data_dir));
  PARLEY_RETURN_IF_ERROR(OpenEncrypted(*impl, options.base_vfs, /*create=*/false));
  PARLEY_RETURN_IF_ERROR(UpgradeKeyFile(*impl, kek));
  kek.Wipe();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<std::unique_ptr<Store>> Store::CreateInMemoryForTesting(std::string_view device_name) {
  PARLEY_RETURN_IF_ERROR(crypto::InitCrypto());
  auto impl = std::make_unique<Impl>();
  impl->keys.database_key = crypto::SecretBytes::Random(32);
  impl->keys.device.identity = crypto::NewSignKeyPair();
  impl->keys.device.kx = crypto::NewDhKeyPair();
  impl->keys.device.seal = crypto::NewDhKeyPair();
  impl->keys.device.enrol_secret = crypto::SecretBytes::Random(kEnrolSecretSize);
  impl->keys.device.name = std::string(device_name);
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(":memory:", &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, db, "opening an in-memory database");
    sqlite3_close(db);
    return s;
  }
  impl->db = db;
  PARLEY_RETURN_IF_ERROR(Exec(db, "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

bool Store::Exists(Env& env, const std::string& data_dir) {
  return env.FileExists(JoinPath(data_dir, internal::kKeyFileName));
}

sqlite3* Store::db() const { return impl_->db; }
const DeviceKeys& Store::device() const { return impl_->keys.device; }
const std::optional<VaultKeys>& Store::vault() const { return impl_->keys.vault; }
const std::string& Store::data_dir() const { return impl_->data_dir; }

Status Store::SetVault(VaultKeys vault, bool keep_enrol_secret) {
  Impl& impl = *impl_;
  if (impl.locked) return StoreError(Code::kLocked, "the store is locked");
  if (vault.vault_id.size() != 32)
    return StoreError(Code::kInvalidArgument, "a vault id is 32 bytes");
  for (const auto& e : vault.epochs) {
    if (e.key.size() != 32)
      return StoreError(Code::kInvalidArgument, "a vault epoch key is 32 bytes");
  }
  std::optional<VaultKeys> previous = std::move(impl.keys.vault);
  crypto::SecretBytes previous_secret;
  if (keep_enrol_secret) {
    if (impl.keys.device.enrol_secret.size() > 0) {
      previous_secret = crypto::SecretBytes::Copy(impl.keys.device.enrol_secret.view());
    }
  } else {
    previous_secret = std::move(impl.keys.device.enrol_secret);
  }
  impl.keys.vault = std::move(vault);
  if (impl.env == nullptr) return Status::Ok();  // in-memory store: nothing to persist
  KeyFileData updated = impl.key_file;
  internal::WrapBundle(updated, impl.master, impl.keys);
  Status s = impl.env->WriteFileAtomic(JoinPath(impl.data_dir, internal::kKeyFileName),
                                       internal::EncodeKeyFile(updated, impl.key_store_secret));
  if (!s.ok()) {
    impl.keys.vault = std::move(previous);
    impl.keys.device.enrol_secret = std::move(previous_secret);
    return s.Annotate("saving the vault keys");
  }
  impl.key_file = std::move(updated);
  return Status::Ok();
}

Status Store::ChangePassphrase(std::string_view current, std::string_view next) {
  Impl& impl = *impl_;
  if (impl.locked) return StoreError(Code::kLocked, "the store is locked");
  if (impl.env == nullptr)
    return StoreError(Code::kUnsupported, "an in-memory store has no passphrase");
  PARLEY_RETURN_IF_ERROR(CheckPassphraseStrength(next));
  // The current passphrase must open the key file as it is on disk now (another process
  // may have rewritten it since this store was opened: its bundle is the one kept).
  const std::string key_path = JoinPath(impl.data_dir, internal::kKeyFileName);
  PARLEY_ASSIGN_OR_RETURN(auto file, impl.env->ReadFile(key_path));
  PARLEY_ASSIGN_OR_RETURN(KeyFileData updated, internal::ParseKeyFile(file));
  PARLEY_RETURN_IF_ERROR(internal::VerifyKeyFile(updated, impl.key_store_secret));
  if (!crypto::ConstantTimeEqual(updated.header.store_id, impl.key_file.header.store_id)) {
    return StoreError(Code::kCorrupt, "the key file " + key_path + " belongs to another store");
  }
  KeyMaterial material;
  {
    PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes kek,
                            internal::DeriveKek(current, updated.header, impl.key_store_secret));
    PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes master, internal::UnwrapMaster(updated, kek));
    if (!crypto::ConstantTimeEqual(master.view(), impl.master.view())) {
      return StoreError(Code::kCorrupt,
                        "the key file " + key_path + " does not hold this store's master key");
    }
    PARLEY_ASSIGN_OR_RETURN(material, internal::UnwrapBundle(updated, impl.master));
  }
  updated.header.format = internal::kKeyFileFormat;
  updated.header.salt = crypto::RandomBytes(crypto::kArgon2SaltSize);
  PARLEY_ASSIGN_OR_RETURN(crypto::SecretBytes kek,
                          internal::DeriveKek(next, updated.header, impl.key_store_secret));
  internal::WrapMaster(updated, impl.key_store_secret, kek, impl.master);
  kek.Wipe();
  // The bundle's associated data holds the salt: sealed again, same master key, same keys.
  internal::WrapBundle(updated, impl.master, material);
  PARLEY_RETURN_IF_ERROR(
      impl.env
          ->WriteFileAtomic(JoinPath(impl.data_dir, internal::kKeyFileName),
                            internal::EncodeKeyFile(updated, impl.key_store_secret))
          .Annotate("changing the passphrase"));
  impl.key_file = std::move(updated);
  return Status::Ok();
}

std::uint32_t Store::wipe_after() const { return impl_->key_file.wipe_after; }

Status Store::SetWipeAfter(std::uint32_t failed_unlocks) {
  Impl& impl = *impl_;
  if (impl.locked) return StoreError(Code::kLocked, "the store is locked");
  if (impl.env == nullptr)
    return StoreError(Code::kUnsupported, "an in-memory store cannot be unlocked");
  KeyFileData updated = impl.key_file;
  updated.wipe_after = failed_unlocks;
  PARLEY_RETURN_IF_ERROR(
      impl.env
          ->WriteFileAtomic(JoinPath(impl.data_dir, internal::kKeyFileName),
                            internal::EncodeKeyFile(updated, impl.key_store_secret))
          .Annotate("saving the failed-unlock wipe setting"));
  impl.key_file = std::move(updated);
  return Status::Ok();
}

Status Store::Lock() {
  Impl& impl = *impl_;
  if (impl.locked) return Status::Ok();
  impl.locked = true;
  Status s;
  impl.checkpointer.reset();  // before its database closes
  if (impl.db != nullptr) {
    s = impl.vfs ? internal::CloseDatabase(impl.db) : Status::Ok();
    if (!impl.vfs && sqlite3_close(impl.db) != SQLITE_OK) sqlite3_close_v2(impl.db);
    impl.db = nullptr;
  }
  impl.vfs.reset();  // unregisters and zeroes the VFS copy of the database key
  impl.WipeKeys();
  impl.registration.reset();  // last: a wipe waiting for this process may go on
  return s;
}

}  // namespace parley::store
