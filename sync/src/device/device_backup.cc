// Device: backup, verification and restore (docs/backup-format.md), and the integrity check.
#include <sqlite3.h>

#include <algorithm>

#include "device_impl.h"
#include "parley/change.pb.h"
#include "parley/core/bundle.h"
#include "parley/core/passphrase_policy.h"
#include "parley/core/replica_sync.h"

namespace parley {
namespace {

// The change log metadata a restored device needs to hold the vault's history (the vault id
// is derived from them: docs/enrolment.md).
constexpr const char* kCarriedMeta[] = {"founder", "vault_nonce"};

Status SqlError(sqlite3* db, std::string_view what) {
  return DeviceError(Code::kIoError, std::string(what) + ": " + sqlite3_errmsg(db));
}

struct RawStmt {
  sqlite3_stmt* s = nullptr;
  ~RawStmt() { sqlite3_finalize(s); }
};

std::string_view Blob(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  const int n = sqlite3_column_bytes(s, i);
  return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

// Gives `store` (which belongs to no vault) the backup's vault: its metadata rows, its keys
// (keeping the enrolment secret when `keep_enrol_secret`: the device is not a member yet),
// then applies every change of the backup, chunk by chunk, through a Replica reopened over
// it. `replica` is closed first and left open over the result.
Status AdoptBackup(Env& env, store::Store& store, std::unique_ptr<log::Replica>& replica, const backup::Manifest& manifest,
                   const std::string& path, const backup::BackupSecret& secret, bool keep_enrol_secret,
                   std::uint64_t* restored) {
  // Opening a replica creates the change log's tables.
  if (replica == nullptr) {
    PARLEY_ASSIGN_OR_RETURN(replica, log::Replica::Open(store, env.clock()));
  }
  replica.reset();
  sqlite3* db = store.db();
  {
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, "restoring");
    RawStmt put;
    bool ok = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO log_meta(k, v) VALUES (?1, ?2)", -1, &put.s, nullptr) ==
              SQLITE_OK;
    for (const auto& [k, v] : manifest.meta) {
      if (!ok) break;
      if (std::find(std::begin(kCarriedMeta), std::end(kCarriedMeta), k) == std::end(kCarriedMeta)) continue;
      sqlite3_reset(put.s);
      sqlite3_bind_text(put.s, 1, k.data(), static_cast<int>(k.size()), SQLITE_TRANSIENT);
      sqlite3_bind_blob(put.s, 2, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      ok = sqlite3_step(put.s) == SQLITE_DONE;
    }
    if (!ok || sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      Status s = SqlError(db, "restoring the vault's metadata");
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
  }
  store::VaultKeys keys;
  keys.vault_id = manifest.vault_id;
  keys.name = manifest.vault_name;
  for (const store::VaultKey& e : manifest.epochs) {
    keys.epochs.push_back(store::VaultKey{e.epoch, crypto::SecretBytes::Copy(e.key.view())});
  }
  PARLEY_RETURN_IF_ERROR(store.SetVault(std::move(keys), keep_enrol_secret));
  PARLEY_ASSIGN_OR_RETURN(replica, log::Replica::Open(store, env.clock()));
  if (!replica->HasVault()) return DeviceError(Code::kCorrupt, "backup refused: it does not name the vault's founder");
  std::uint64_t count = 0;
  auto applied = backup::Read(env, path, secret, {}, [&](std::vector<pb::Change>& batch) -> Status {
    PARLEY_ASSIGN_OR_RETURN(log::ApplyReport report, replica->Apply(batch));
    count += report.applied + report.duplicates + report.pending + report.quarantined + report.refused_revoked;
    return Status::Ok();
  });
  if (!applied.ok()) return applied.status();
  if (restored != nullptr) *restored = count;
  return Status::Ok();
}

// A passphrase nobody types: the temporary recovery-member store is wiped within the call.
std::string ThrowawayPassphrase(Env& env) {
  std::uint8_t raw[24];
  env.RandomBytes(raw);
  return crypto::ToHex(crypto::ByteView(raw, sizeof raw));
}

}  // namespace

Result<BackupResult> Device::Backup(const std::string& path, const backup::BackupSecret& secret,
                                    const crypto::Argon2Params& argon2) {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.RequireUnlocked());
  const auto& vault = d.store->vault();
  if (!vault.has_value()) return DeviceError(Code::kNotFound, "this device belongs to no vault: there is nothing to back up");
  if (secret.recovery_key == nullptr && secret.passphrase.size() < backup::kMinPassphraseChars) {
    return DeviceError(Code::kInvalidArgument, "a backup passphrase needs at least " +
                                                   std::to_string(backup::kMinPassphraseChars) + " characters");
  }
  if (secret.recovery_key == nullptr) PARLEY_RETURN_IF_ERROR(store::CheckPassphraseStrength(secret.passphrase));
  const std::string data_dir[] = {d.options.data_dir};
  PARLEY_RETURN_IF_ERROR(bundle::CheckBundleTarget(d.env, path, data_dir));

  sqlite3* db = d.store->db();
  // One read transaction: the snapshot is taken by the first read and holds, whatever
  // other processes commit meanwhile (WAL).
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return SqlError(db, "starting the backup");
  struct End {
    sqlite3* db;
    ~End() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end{db};

  backup::Manifest manifest;
  {
    RawStmt meta;
    if (sqlite3_prepare_v2(db, "SELECT k, v FROM log_meta", -1, &meta.s, nullptr) != SQLITE_OK) {
      return SqlError(db, "reading the change log");
    }
    for (;;) {
      const int rc = sqlite3_step(meta.s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqlError(db, "reading the change log");
      const std::string k(reinterpret_cast<const char*>(sqlite3_column_text(meta.s, 0)));
      if (std::find(std::begin(kCarriedMeta), std::end(kCarriedMeta), k) == std::end(kCarriedMeta)) continue;
      manifest.meta.emplace_back(k, std::string(Blob(meta.s, 1)));
    }
  }
  manifest.vault_id = vault->vault_id;
  manifest.vault_name = vault->name;
  for (const store::VaultKey& e : vault->epochs) {
    manifest.epochs.push_back(store::VaultKey{e.epoch, crypto::SecretBytes::Copy(e.key.view())});
  }
  manifest.device_name = d.store->device().name;
  manifest.device = d.store->device().identity.public_key;
  manifest.created_unix_ms = d.env.clock().NowUnixMs();

  PARLEY_ASSIGN_OR_RETURN(auto writer, backup::Writer::Create(d.env, path, secret, argon2, manifest));
  RawStmt changes;
  if (sqlite3_prepare_v2(db, "SELECT c.header, c.body, c.signature, k.slots FROM log_changes c "
                         "LEFT JOIN log_slots k ON k.cid = c.cid ORDER BY c.cid", -1, &changes.s, nullptr) !=
      SQLITE_OK) {
    return SqlError(db, "reading the change log");
  }
  for (;;) {
    const int rc = sqlite3_step(changes.s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqlError(db, "reading the change log");
    // The slots this device keeps for the change (log_slots: kKeySlotBytes each, joined).
    const std::string_view joined = Blob(changes.s, 3);
    std::vector<std::string_view> slots;
    for (std::size_t at = 0; at + log::kKeySlotBytes <= joined.size(); at += log::kKeySlotBytes) {
      slots.push_back(joined.substr(at, log::kKeySlotBytes));
    }
    PARLEY_RETURN_IF_ERROR(writer->Add(Blob(changes.s, 0), Blob(changes.s, 1), Blob(changes.s, 2), slots));
  }
  BackupResult out;
  PARLEY_ASSIGN_OR_RETURN(out.summary, writer->Finish());
  out.vault = VaultSummary{crypto::ToHex(vault->vault_id), vault->name};
  return out;
}

Result<BackupInfo> Device::VerifyBackup(Env& env, const std::string& path, const backup::BackupSecret& secret) {
  PARLEY_RETURN_IF_ERROR(Initialize());
  if (!env.FileExists(path)) return DeviceError(Code::kNotFound, "no backup file " + path);
  BackupInfo info;
  PARLEY_ASSIGN_OR_RETURN(info.summary, backup::Read(env, path, secret, [&](backup::Manifest& m) -> Status {
                            info.vault = VaultSummary{crypto::ToHex(m.vault_id), m.vault_name};
                            info.device_name = m.device_name;
                            info.created_unix_ms = m.created_unix_ms;
                            info.epochs = m.epochs.size();
                            return Status::Ok();
                          }, {}));
  return info;
}

Result<RestoreResult> Device::RestoreBackup(const std::string& path, const backup::BackupSecret& secret,
                                            const RestoreOptions& options, std::string_view passphrase) {
  Impl& d = *impl_;
  const std::string& dir = d.options.data_dir;
  if (d.store != nullptr || store::Store::Exists(d.env, dir)) {
    return DeviceError(Code::kAlreadyExists, "a Parley store already exists in " + dir + "; restore into an empty data directory");
  }
  if (d.env.FileExists(dir)) {
    auto entries = d.env.ListDir(dir);
    if (entries.ok() && !entries->empty()) {
      return DeviceError(Code::kAlreadyExists, dir + " is not empty; restore into an empty data directory");
    }
  }
  if (!d.env.FileExists(path)) return DeviceError(Code::kNotFound, "no backup file " + path);
  // Everything is checked before anything is created.
  backup::Manifest manifest;
  PARLEY_ASSIGN_OR_RETURN(backup::Summary summary,
                          backup::Read(d.env, path, secret, [&](backup::Manifest& m) -> Status {
                            manifest = std::move(m);
                            return Status::Ok();
                          }, {}));
  (void)summary;
  CreateOptions create = options.create;
  create.vault_name.clear();
  create.identity_from = nullptr;
  if (create.device_name.empty()) create.device_name = manifest.device_name + " (restored)";
  PARLEY_RETURN_IF_ERROR(Create(create, passphrase));

  RestoreResult out;
  out.from_device = manifest.device_name;
  auto built = [&]() -> Status {
    d.Close();
    PARLEY_RETURN_IF_ERROR(AdoptBackup(d.env, *d.store, d.replica, manifest, path, secret, true, &out.changes));
    d.model = std::make_unique<model::Model>(*d.replica, d.env.clock());
    if (options.enrol_with == nullptr) {
      out.not_enrolled_reason = "no recovery key was given";
      return Status::Ok();
    }
    // Enrolment through the recovery member: a temporary store with the recovery key's
    // identity, holding the same vault and history, invites this device; this device joins
    // with that invite offline; the temporary store is wiped.
    const recovery::RecoveryKey& key = *options.enrol_with;
    const std::string recovery_id = crypto::ToHex(key.Identity().public_key);
    PARLEY_ASSIGN_OR_RETURN(auto members, Members());
    const auto member = std::find_if(members.begin(), members.end(), [&](const MemberSummary& m) {
      return m.id == recovery_id && m.admin && !m.revoked;
    });
    if (member == members.end()) {
      out.not_enrolled_reason = "the vault has no recovery member for this recovery key";
      return Status::Ok();
    }
    const std::string temp_dir = dir + ".recovery-member";
    PARLEY_RETURN_IF_ERROR(store::Store::Wipe(d.env, d.key_store, temp_dir));
    PARLEY_RETURN_IF_ERROR(d.env.CreateDirs(temp_dir));
    const std::string temp_pass = ThrowawayPassphrase(d.env);
    store::StoreOptions so;
    so.data_dir = temp_dir;
    so.base_vfs = d.options.base_vfs;
    so.argon2 = crypto::MinimumArgon2Params();
    so.device_name = member->name;
    so.identity_from = &key;
    Status made = [&]() -> Status {
      PARLEY_RETURN_IF_ERROR(store::Store::Create(d.env, d.key_store, so, temp_pass));
      PARLEY_ASSIGN_OR_RETURN(auto temp, store::Store::Open(d.env, d.key_store, so, temp_pass));
      std::unique_ptr<log::Replica> temp_replica;
      Status invited = [&]() -> Status {
        PARLEY_RETURN_IF_ERROR(AdoptBackup(d.env, *temp, temp_replica, manifest, path, secret, false, nullptr));
        PARLEY_ASSIGN_OR_RETURN(log::InviteMade made_invite, temp_replica->InviteDevice(d.replica->DevicePairingCode()));
        auto joined = d.replica->JoinVault(made_invite.invite);
        std::fill(made_invite.invite.begin(), made_invite.invite.end(), std::uint8_t{0});
        PARLEY_RETURN_IF_ERROR(joined.status());
        // An admin, like the device it replaces: the recovery member promotes it, and this
        // device takes that change too.
        const crypto::Bytes& self = d.store->device().identity.public_key;
        PARLEY_RETURN_IF_ERROR(temp_replica->SetRole(std::string(self.begin(), self.end()), true));
        PARLEY_ASSIGN_OR_RETURN(log::VersionVector known, d.replica->Known());
        PARLEY_ASSIGN_OR_RETURN(std::vector<pb::Change> promotion, temp_replica->ChangesSince(known));
        return d.replica->Apply(promotion).status();
      }();
      temp_replica.reset();
      (void)temp->Lock();
      return invited;
    }();
    Status wiped = store::Store::Wipe(d.env, d.key_store, temp_dir);
    (void)d.env.RemoveDir(temp_dir);
    PARLEY_RETURN_IF_ERROR(made);
    PARLEY_RETURN_IF_ERROR(wiped);
    out.enrolled = true;
    return Status::Ok();
  }();
  if (!built.ok()) {
    (void)Wipe();
    return built;
  }
  PARLEY_ASSIGN_OR_RETURN(auto vault, Vault());
  if (vault.has_value()) out.vault = *vault;
  if (!out.enrolled) {
    PARLEY_ASSIGN_OR_RETURN(out.pairing_code, PairingCode());
  }
  return out;
}

Result<log::IntegrityReport> Device::CheckIntegrity() {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return log::CheckIntegrity(*impl_->store);
}

}  // namespace parley
