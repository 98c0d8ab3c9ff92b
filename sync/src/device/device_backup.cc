// Device: backup, verification and restore (docs/backup-format.md), and the integrity check.
#include <algorithm>
#include <span>

#include "device_impl.h"
#include "parley/change.pb.h"
#include "parley/core/bundle.h"
#include "parley/core/passphrase_policy.h"
#include "parley/core/replica_sync.h"
#include "parley/core/sqlite_util.h"
#include "parley/sync/auth.h"

namespace parley {
namespace {

// The change log metadata a restored device needs to hold the vault's history (the vault id
// is derived from them: docs/enrolment.md).
constexpr const char* kCarriedMeta[] = {"founder", "vault_nonce"};

std::string_view View(std::span<const std::uint8_t> b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

bool Carried(std::string_view k) {
  return std::find(std::begin(kCarriedMeta), std::end(kCarriedMeta), k) != std::end(kCarriedMeta);
}

// Gives `store` (which belongs to no vault) the backup's vault: its metadata rows, its keys
// (keeping the enrolment secret when `keep_enrol_secret`: the device is not a member yet),
// then applies every change of the backup, chunk by chunk, through a Replica reopened over
// it. `replica` is closed first and left open over the result.
Status AdoptBackup(Env& env, store::Store& store, std::unique_ptr<log::Replica>& replica,
                   const backup::Manifest& manifest, const std::string& path,
                   const backup::BackupSecret& secret, bool keep_enrol_secret,
                   std::uint64_t* restored) {
  // Opening a replica creates the change log's tables.
  if (replica == nullptr) {
    PARLEY_ASSIGN_OR_RETURN(replica, log::Replica::Open(store, env.clock()));
  }
  replica.reset();
  sqlite3* db = store.db();
  {
    PARLEY_ASSIGN_OR_RETURN(ImmediateTransaction tx,
                            ImmediateTransaction::Begin(db, Domain::kSync));
    Stmt put;
    PARLEY_RETURN_IF_ERROR(
        put.Prepare(db, "INSERT OR REPLACE INTO log_meta(k, v) VALUES (?1, ?2)"));
    for (const auto& [k, v] : manifest.meta) {
      if (!Carried(k)) continue;
      put.Reset();
      PARLEY_RETURN_IF_ERROR(
          put.Bind(1, std::string_view(k)).BindBlob(2, crypto::AsBytes(v)).Run());
    }
    PARLEY_RETURN_IF_ERROR(tx.Commit());
  }
  store::VaultKeys keys;
  keys.vault_id = manifest.vault_id;
  keys.name = manifest.vault_name;
  for (const store::VaultKey& e : manifest.epochs) {
    keys.epochs.push_back(store::VaultKey{e.epoch, crypto::SecretBytes::Copy(e.key.view())});
  }
  PARLEY_RETURN_IF_ERROR(store.SetVault(std::move(keys), keep_enrol_secret));
  PARLEY_ASSIGN_OR_RETURN(replica, log::Replica::Open(store, env.clock()));
  if (!replica->HasVault())
    return DeviceError(Code::kCorrupt, "backup refused: it does not name the vault's founder");
  std::uint64_t count = 0;
  auto applied = backup::Read(env, path, secret, {}, [&](std::vector<pb::Change>& batch) -> Status {
    PARLEY_ASSIGN_OR_RETURN(log::ApplyReport report, replica->Apply(batch));
    count += report.applied + report.duplicates + report.pending + report.quarantined +
             report.refused_revoked;
    return Status::Ok();
  });
  if (!applied.ok()) return applied.status();
  if (restored != nullptr) *restored = count;
  return Status::Ok();
}

// The backup as the recovery member's source of history (internal::RecoveryHistory): the
// recovery member's temporary device adopts the backup's vault and changes, as the restored
// device did; what it then writes goes to no relay: its admission of the restored device
// (`device`, identity key) lets the restored device's first sync publish the member list.
class BackupHistory final : public internal::RecoveryHistory {
 public:
  BackupHistory(const backup::Manifest& manifest, const std::string& path,
                const backup::BackupSecret& secret, crypto::ByteView device)
      : manifest_(manifest), path_(path), secret_(secret), device_(device.begin(), device.end()) {}

  Status Fill(Device& temp) override {
    Device::Impl& t = internal::DeviceAccess::Of(temp);
    t.Close();
    PARLEY_RETURN_IF_ERROR(
        AdoptBackup(t.env, *t.store, t.replica, manifest_, path_, secret_, false, nullptr));
    t.model = std::make_unique<model::Model>(*t.replica, t.env.clock());
    return Status::Ok();
  }

  Status Publish(Device& temp, internal::RecoveryEnrolment& out) override {
    Device::Impl& t = internal::DeviceAccess::Of(temp);
    const pb::Admission admission =
        wire::MakeAdmission(manifest_.vault_id, device_, t.store->device().identity);
    out.admission = admission.SerializeAsString();
    return Status::Ok();
  }

 private:
  const backup::Manifest& manifest_;
  const std::string& path_;
  const backup::BackupSecret& secret_;
  crypto::Bytes device_;
};

}  // namespace

Result<BackupResult> Device::Backup(const std::string& path, const backup::BackupSecret& secret,
                                    const crypto::Argon2Params& argon2) {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.RequireUnlocked());
  const auto& vault = d.store->vault();
  if (!vault.has_value())
    return DeviceError(Code::kNotFound,
                       "this device belongs to no vault: there is nothing to back up");
  if (secret.recovery_key == nullptr) {
    PARLEY_RETURN_IF_ERROR(
        store::CheckPassphraseStrength(secret.passphrase, store::kBackupPassphrase));
  }
  const std::string data_dir[] = {d.options.data_dir};
  PARLEY_RETURN_IF_ERROR(bundle::CheckBundleTarget(d.env, path, data_dir));

  sqlite3* db = d.store->db();
  // One read transaction: the snapshot is taken by the first read and holds, whatever
  // other processes commit meanwhile (WAL).
  PARLEY_ASSIGN_OR_RETURN(ReadTransaction snapshot, ReadTransaction::Begin(db, Domain::kSync));

  backup::Manifest manifest;
  {
    Stmt meta;
    PARLEY_RETURN_IF_ERROR(meta.Prepare(db, "SELECT k, v FROM log_meta"));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, meta.Step());
      if (!row) break;
      const std::string k(meta.Text(0));
      if (!Carried(k)) continue;
      manifest.meta.emplace_back(k, std::string(View(meta.Blob(1))));
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

  PARLEY_ASSIGN_OR_RETURN(auto writer,
                          backup::Writer::Create(d.env, path, secret, argon2, manifest));
  {
    Stmt changes;
    PARLEY_RETURN_IF_ERROR(
        changes.Prepare(db,
                        "SELECT c.header, c.body, c.signature, k.slots FROM log_changes c "
                        "LEFT JOIN log_slots k ON k.cid = c.cid ORDER BY c.cid"));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, changes.Step());
      if (!row) break;
      // The slots this device keeps for the change (log_slots: kKeySlotBytes each, joined).
      const std::string_view joined = View(changes.Blob(3));
      std::vector<std::string_view> slots;
      for (std::size_t at = 0; at + log::kKeySlotBytes <= joined.size(); at += log::kKeySlotBytes) {
        slots.push_back(joined.substr(at, log::kKeySlotBytes));
      }
      PARLEY_RETURN_IF_ERROR(
          writer->Add(View(changes.Blob(0)), View(changes.Blob(1)), View(changes.Blob(2)), slots));
    }
  }
  PARLEY_RETURN_IF_ERROR(snapshot.End());
  BackupResult out;
  PARLEY_ASSIGN_OR_RETURN(out.summary, writer->Finish());
  out.vault = VaultSummary{crypto::ToHex(vault->vault_id), vault->name};
  return out;
}

Result<BackupInfo> Device::VerifyBackup(Env& env, const std::string& path,
                                        const backup::BackupSecret& secret) {
  PARLEY_RETURN_IF_ERROR(Initialize());
  if (!env.FileExists(path)) return DeviceError(Code::kNotFound, "no backup file " + path);
  BackupInfo info;
  PARLEY_ASSIGN_OR_RETURN(
      info.summary,
      backup::Read(env, path, secret,
                   [&](backup::Manifest& m) -> Status {
                     info.vault = VaultSummary{crypto::ToHex(m.vault_id), m.vault_name};
                     info.device_name = m.device_name;
                     info.created_unix_ms = m.created_unix_ms;
                     info.epochs = m.epochs.size();
                     return Status::Ok();
                   },
                   {}));
  return info;
}

Result<RestoreResult> Device::RestoreBackup(const std::string& path,
                                            const backup::BackupSecret& secret,
                                            const RestoreOptions& options,
                                            std::string_view passphrase) {
  Impl& d = *impl_;
  const std::string& dir = d.options.data_dir;
  if (d.store != nullptr || store::Store::Exists(d.env, dir)) {
    return DeviceError(Code::kAlreadyExists, "a Parley store already exists in " + dir +
                                                 "; restore into an empty data directory");
  }
  if (d.env.FileExists(dir)) {
    auto entries = d.env.ListDir(dir);
    if (entries.ok() && !entries->empty()) {
      return DeviceError(Code::kAlreadyExists,
                         dir + " is not empty; restore into an empty data directory");
    }
  }
  if (!d.env.FileExists(path)) return DeviceError(Code::kNotFound, "no backup file " + path);
  // Everything is checked before anything is created.
  backup::Manifest manifest;
  PARLEY_ASSIGN_OR_RETURN(backup::Summary summary, backup::Read(d.env, path, secret,
                                                                [&](backup::Manifest& m) -> Status {
                                                                  manifest = std::move(m);
                                                                  return Status::Ok();
                                                                },
                                                                {}));
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
    PARLEY_RETURN_IF_ERROR(
        AdoptBackup(d.env, *d.store, d.replica, manifest, path, secret, true, &out.changes));
    d.model = std::make_unique<model::Model>(*d.replica, d.env.clock());
    if (options.enrol_with == nullptr) {
      out.not_enrolled_reason = "no recovery key was given";
      return Status::Ok();
    }
    // Enrolment through the recovery member, as Recover does, with the backup as its source
    // of history: a temporary device with the recovery key's keys adopts the backup, invites
    // this device as an admin and admits it (the admission this device keeps for its first
    // sync: the relays take its member list on the recovery member's word); this device
    // joins with that invite offline; the temporary device is wiped.
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
    BackupHistory history(manifest, path, secret, d.store->device().identity.public_key);
    const std::string pairing = d.replica->DevicePairingCode();
    PARLEY_ASSIGN_OR_RETURN(
        internal::RecoveryEnrolment enrolment,
        internal::EnrolThroughRecoveryMember(d.options, dir, key, history, pairing));
    PARLEY_RETURN_IF_ERROR(d.replica->JoinVault(enrolment.invite).status());
    PARLEY_RETURN_IF_ERROR(d.OpenSync());
    PARLEY_RETURN_IF_ERROR(d.state->SetAdmission(enrolment.admission));
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
