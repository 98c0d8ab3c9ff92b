// Device: lifecycle, this device and its vault, records and bundles (parley/device.h).
#include <algorithm>
#include <cctype>

#include "device_impl.h"
#include "parley/core/passphrase_policy.h"
#include "parley/core/replica_sync.h"

namespace parley {

Status Initialize() { return crypto::InitCrypto(); }

bool Device::Exists(Env& env, const std::string& data_dir) {
  return store::Store::Exists(env, data_dir);
}

Result<std::unique_ptr<Device>> Device::Open(DeviceOptions options) {
  if (options.env == nullptr || options.key_store == nullptr) {
    return DeviceError(Code::kInvalidArgument, "a device needs an Env and a KeyStore");
  }
  if (options.data_dir.empty())
    return DeviceError(Code::kInvalidArgument, "a device needs a data directory");
  PARLEY_RETURN_IF_ERROR(Initialize());
  return std::unique_ptr<Device>(new Device(std::make_unique<Impl>(std::move(options))));
}

Device::Device(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Device::~Device() { (void)Lock(); }

Status Device::Impl::RequireUnlocked() const {
  if (store == nullptr) return DeviceError(Code::kLocked, "the device is locked");
  return Status::Ok();
}

void Device::Impl::Close() {
  client.reset();
  poller.reset();
  state.reset();
  model.reset();
  replica.reset();
  conflicts.reset();
}

void Device::Impl::Emit(const DeviceEvent& event) {
  if (handler) handler(event);
}

void Device::Impl::NoteConflicts(std::uint64_t now) {
  if (conflicts.has_value() && *conflicts == now) return;
  const bool first = !conflicts.has_value();
  conflicts = now;
  if (first && now == 0) return;  // nothing to announce on a device without conflicts
  DeviceEvent e;
  e.kind = DeviceEvent::Kind::kConflictsChanged;
  e.count = now;
  Emit(e);
}

Status Device::Create(const CreateOptions& create, std::string_view passphrase) {
  Impl& d = *impl_;
  if (store::Store::Exists(d.env, d.options.data_dir)) {
    return DeviceError(Code::kAlreadyExists,
                       "a Parley store already exists in " + d.options.data_dir);
  }
  PARLEY_RETURN_IF_ERROR(store::CheckPassphraseStrength(passphrase));
  PARLEY_RETURN_IF_ERROR(d.env.CreateDirs(d.options.data_dir));
  store::StoreOptions options;
  options.data_dir = d.options.data_dir;
  options.argon2 = create.argon2;
  options.identity_from = create.identity_from;
  options.device_name = create.device_name;
  options.wipe_after = create.wipe_after;
  options.base_vfs = d.options.base_vfs;
  PARLEY_RETURN_IF_ERROR(store::Store::Create(d.env, d.key_store, options, passphrase));
  PARLEY_RETURN_IF_ERROR(Unlock(passphrase));
  d.issue_recovery_key = create.issue_recovery_key;
  if (!create.vault_name.empty()) return CreateVault(create.vault_name);
  return Status::Ok();
}

Status Device::Unlock(std::string_view passphrase) {
  Impl& d = *impl_;
  if (d.store != nullptr) return Status::Ok();
  if (!store::Store::Exists(d.env, d.options.data_dir)) {
    return DeviceError(Code::kNotFound,
                       "no Parley store in " + d.options.data_dir + " (run parley init)");
  }
  store::StoreOptions options;
  options.data_dir = d.options.data_dir;
  options.base_vfs = d.options.base_vfs;
  PARLEY_ASSIGN_OR_RETURN(d.store, store::Store::Open(d.env, d.key_store, options, passphrase));
  auto replica = log::Replica::Open(*d.store, d.env.clock());
  if (!replica.ok()) {
    (void)Lock();
    return replica.status();
  }
  d.replica = std::move(replica).value();
  d.model = std::make_unique<model::Model>(*d.replica, d.env.clock());
  // A revocation applied before a crash that stopped the wipe.
  return d.CheckRevoked();
}

Status Device::ChangePassphrase(std::string_view current, std::string_view next) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return impl_->store->ChangePassphrase(current, next);
}

Result<std::uint32_t> Device::WipeAfter() {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return impl_->store->wipe_after();
}

Status Device::SetWipeAfter(std::uint32_t failed_unlocks) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return impl_->store->SetWipeAfter(failed_unlocks);
}

Status Device::Impl::LockStore() {
  std::fill(issued_recovery_key.begin(), issued_recovery_key.end(), '\0');
  issued_recovery_key.clear();
  Close();
  if (store == nullptr) return Status::Ok();
  Status s = store->Lock();
  store.reset();
  return s;
}

Status Device::Lock() { return impl_->LockStore(); }

Status Device::Wipe() {
  Impl& d = *impl_;
  (void)d.LockStore();  // the keys go first; a failed checkpoint does not matter to a wipe
  return store::Store::Wipe(d.env, d.key_store, d.options.data_dir);
}

bool Device::unlocked() const { return impl_->store != nullptr; }
const std::string& Device::data_dir() const { return impl_->options.data_dir; }

Result<std::string> Device::DeviceName() {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return impl_->store->device().name;
}

Result<std::string> Device::PairingCode() {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return impl_->replica->DevicePairingCode();
}

Result<std::optional<VaultSummary>> Device::Vault() {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  const auto& keys = impl_->store->vault();
  if (!keys.has_value()) return std::optional<VaultSummary>();
  VaultSummary v;
  v.name = keys->name;
  auto identity = log::GetVaultIdentity(*impl_->replica);
  v.id = identity.ok() ? crypto::ToHex(identity->vault) : crypto::ToHex(keys->vault_id);
  return std::optional<VaultSummary>(std::move(v));
}

Status Device::CreateVault(std::string_view name) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  PARLEY_RETURN_IF_ERROR(impl_->replica->CreateVault(name));
  // The vault's recovery member (docs/recovery.md); its key waits for TakeRecoveryKey().
  if (impl_->issue_recovery_key) PARLEY_RETURN_IF_ERROR(impl_->IssueRecoveryKey().status());
  return Status::Ok();
}

model::Model& Device::model() { return *impl_->model; }

Result<log::RecordId> Device::ResolveId(std::string_view prefix) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  std::string lower(prefix);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.size() < 4) {
    return Error(Domain::kModel, Code::kInvalidArgument,
                 "id prefix '" + lower + "' too short: give at least 4 characters");
  }
  auto id = impl_->replica->ResolvePrefix(lower);
  if (id.ok() || id.status().code() != Code::kInvalidArgument) return id;
  auto candidates = IdCandidates(lower);
  if (!candidates.ok() || candidates->size() < 2) return id;
  std::string names;
  for (const auto& c : *candidates) {
    names += (names.empty() ? "" : ", ") +
             (c.type.empty() ? std::string("purged record") : c.type) + " " +
             log::ToString(c.id).substr(0, 8);
  }
  const bool more = candidates->size() >= kMaxIdCandidates;
  return Error(id.status().domain(), Code::kInvalidArgument,
               "record id prefix " + lower + " is ambiguous: it starts " +
                   (more ? "at least " : "") + std::to_string(candidates->size()) + " records (" +
                   names + (more ? ", ..." : "") + "); give more characters");
}

Result<std::vector<IdCandidate>> Device::IdCandidates(std::string_view prefix) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  PARLEY_ASSIGN_OR_RETURN(auto ids, impl_->replica->MatchPrefix(prefix, kMaxIdCandidates));
  std::vector<IdCandidate> out;
  for (const auto& id : ids) {
    PARLEY_ASSIGN_OR_RETURN(auto record, impl_->replica->Get(id));
    IdCandidate c;
    c.id = id;
    if (record.has_value()) {
      c.type = record->type;
      c.label = model::RecordLabel(*record);
    }
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<log::Record>> Device::GetRecord(const log::RecordId& id) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  return impl_->replica->Get(id);
}

Result<std::string> Device::BundleState() {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  PARLEY_ASSIGN_OR_RETURN(log::VersionVector known, impl_->replica->Known());
  return bundle::EncodeStateCode(known);
}

Result<bundle::ExportSummary> Device::ExportBundle(const std::string& path,
                                                   std::string_view since_state) {
  PARLEY_RETURN_IF_ERROR(impl_->RequireUnlocked());
  log::VersionVector known;
  if (!since_state.empty()) {
    PARLEY_ASSIGN_OR_RETURN(known, bundle::DecodeStateCode(since_state));
  }
  return bundle::ExportBundle(*impl_->replica, *impl_->store, impl_->env, path, known);
}

Result<ImportResult> Device::ImportBundle(const std::string& path) {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.RequireUnlocked());
  if (!d.env.FileExists(path)) return DeviceError(Code::kNotFound, "no bundle file " + path);
  ImportResult out;
  PARLEY_ASSIGN_OR_RETURN(out.report, bundle::ImportBundle(*d.replica, *d.store, d.env, path));
  PARLEY_RETURN_IF_ERROR(d.CheckRevoked());
  PARLEY_ASSIGN_OR_RETURN(auto conflicts, d.replica->Conflicts());
  out.conflicts = conflicts.size();
  if (out.report.applied > 0) {
    DeviceEvent e;
    e.kind = DeviceEvent::Kind::kChangesArrived;
    e.count = out.report.applied;
    d.Emit(e);
  }
  d.NoteConflicts(out.conflicts);
  return out;
}

void Device::SetEventHandler(EventHandler handler) { impl_->handler = std::move(handler); }

}  // namespace parley
