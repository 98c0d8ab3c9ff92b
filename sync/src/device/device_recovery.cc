// Device: the vault's recovery key, its recovery member, and recovering a vault on a new
// device (docs/recovery.md).
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "device_impl.h"
#include "parley/core/enrolment.h"
#include "parley/core/replica_sync.h"
#include "parley/core/sqlite_util.h"
#include "parley/sync/wire_limits.h"

namespace parley {
namespace {

// The recovery invite this device keeps for publication (one row: the newest recovery
// member's), and the relays that confirmed holding it (by the relay's static key, so that
// a relay unpinned and pinned again is asked again).
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS device_recovery_parts(
  member BLOB NOT NULL,
  part INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY(member, part)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_recovery_published(
  relay_key BLOB NOT NULL,
  member BLOB NOT NULL,
  PRIMARY KEY(relay_key, member)) WITHOUT ROWID;
)sql";

// A recovery invite travels in parts, each sealed on its own to the recovery member, so
// that it fits relay envelopes however long the vault's membership history is:
//   part = "PRIP" || BLAKE2b-256(invite) || index (1 byte) || count (1 byte) || bytes
constexpr std::string_view kPartMagic = "PRIP";
constexpr std::size_t kPartHeader = 4 + crypto::kHashSize + 2;
// Envelope room left for a part's bytes (the seal adds 48 bytes; the rest is margin).
constexpr std::size_t kPartBytes = wire::kMaxEnvelopeBytes - 128 - kPartHeader;
// A relay keeps at most 14 envelopes per recipient (docs/wire-protocol.md).
constexpr std::size_t kMaxParts = 14;

// The name the recovery member has in the vault's member list.
constexpr std::string_view kRecoveryMemberName = "recovery key";

std::string Raw(crypto::ByteView b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string RandomHex(Env& env, std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  env.RandomBytes(b);
  std::string out = crypto::ToHex(b);
  std::fill(b.begin(), b.end(), std::uint8_t{0});
  return out;
}

// The kept recovery invite, if any.
struct KeptInvite {
  crypto::Bytes member;               // identity key (raw)
  std::vector<crypto::Bytes> sealed;  // its parts, each sealed to the member's sealing key
};

Result<std::optional<KeptInvite>> LoadKept(sqlite3* db) {
  PARLEY_RETURN_IF_ERROR(Exec(db, kSchema));
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db, "SELECT member, sealed FROM device_recovery_parts ORDER BY member, part"));
  KeptInvite k;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (k.member.empty()) k.member.assign(s.Blob(0).begin(), s.Blob(0).end());
    k.sealed.emplace_back(s.Blob(1).begin(), s.Blob(1).end());
  }
  if (k.member.empty()) return std::optional<KeptInvite>();
  return std::optional<KeptInvite>(std::move(k));
}

// The invite in parts sealed to `seal` (kUnsupported when it needs more than kMaxParts).
Result<std::vector<crypto::Bytes>> SealParts(crypto::ByteView seal, crypto::ByteView invite) {
  const std::size_t count = std::max<std::size_t>(1, (invite.size() + kPartBytes - 1) / kPartBytes);
  if (count > kMaxParts) {
    return DeviceError(
        Code::kUnsupported,
        "the vault's membership history is too long for a recovery invite on a relay");
  }
  crypto::Hasher h;
  const crypto::Hash digest = h.Update(invite).Final256();
  std::vector<crypto::Bytes> out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t from = i * kPartBytes;
    const std::size_t n = std::min(kPartBytes, invite.size() - from);
    crypto::Bytes part(kPartHeader + n);
    std::memcpy(part.data(), kPartMagic.data(), kPartMagic.size());
    std::memcpy(part.data() + 4, digest.data(), digest.size());
    part[4 + crypto::kHashSize] = static_cast<std::uint8_t>(i);
    part[5 + crypto::kHashSize] = static_cast<std::uint8_t>(count);
    if (n > 0) std::memcpy(part.data() + kPartHeader, invite.data() + from, n);
    out.push_back(crypto::SealTo(seal, part));
    std::fill(part.begin(), part.end(), std::uint8_t{0});
  }
  return out;
}

// Parts opened from envelopes, by the digest of the invite they belong to.
struct PartSet {
  std::vector<std::optional<crypto::Bytes>> parts;
};
struct Assembly {
  std::map<std::string, PartSet> by_digest;
  ~Assembly() {
    for (auto& [d, set] : by_digest) {
      for (auto& p : set.parts) {
        if (p.has_value()) std::fill(p->begin(), p->end(), std::uint8_t{0});
      }
    }
  }
  // Takes an opened part; false when it is not one.
  bool Add(const crypto::Bytes& opened) {
    if (opened.size() < kPartHeader ||
        std::string_view(reinterpret_cast<const char*>(opened.data()), 4) != kPartMagic) {
      return false;
    }
    const std::string digest(reinterpret_cast<const char*>(opened.data()) + 4, crypto::kHashSize);
    const std::size_t index = opened[4 + crypto::kHashSize];
    const std::size_t count = opened[5 + crypto::kHashSize];
    if (count == 0 || count > kMaxParts || index >= count) return false;
    PartSet& set = by_digest[digest];
    if (set.parts.size() != count) {
      if (!set.parts.empty()) return false;  // parts that disagree on the count
      set.parts.resize(count);
    }
    set.parts[index] =
        crypto::Bytes(opened.begin() + static_cast<std::ptrdiff_t>(kPartHeader), opened.end());
    return true;
  }
  // The complete invites whose bytes match their digest.
  std::vector<crypto::Bytes> Complete() const {
    std::vector<crypto::Bytes> out;
    for (const auto& [digest, set] : by_digest) {
      crypto::Bytes whole;
      bool complete = true;
      for (const auto& p : set.parts) {
        if (!p.has_value()) {
          complete = false;
          break;
        }
        whole.insert(whole.end(), p->begin(), p->end());
      }
      crypto::Hasher h;
      const crypto::Hash got = h.Update(whole).Final256();
      if (complete &&
          std::string(reinterpret_cast<const char*>(got.data()), got.size()) == digest) {
        out.push_back(std::move(whole));
      } else {
        std::fill(whole.begin(), whole.end(), std::uint8_t{0});
      }
    }
    return out;
  }
};

Result<bool> Confirmed(sqlite3* db, crypto::ByteView relay_key, crypto::ByteView member) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(
      db, "SELECT 1 FROM device_recovery_published WHERE relay_key = ?1 AND member = ?2"));
  s.BindBlob(1, relay_key).BindBlob(2, member);
  return s.Step();
}

// Wipes a temporary recovery store and its directory. Best effort: what fails is left for
// the next Recover, which wipes abandoned ones first.
void WipeTemp(Env& env, KeyStore& key_store, const std::string& dir) {
  (void)store::Store::Wipe(env, key_store, dir);
  auto left = env.ListDir(dir);
  if (left.ok()) {
    for (const auto& name : *left) (void)env.RemoveFile(JoinPath(dir, name));
    (void)env.RemoveDir(dir);
  }
}

}  // namespace

Result<std::string> Device::Impl::IssueRecoveryKey() {
  PARLEY_RETURN_IF_ERROR(RequireUnlocked());
  recovery::RecoveryKey key = recovery::RecoveryKey::Generate();
  const std::string code = log::RecoveryMemberPairingCode(key, kRecoveryMemberName);
  log::InviteRole role;
  role.admin = true;
  role.recovery = true;
  PARLEY_ASSIGN_OR_RETURN(log::InviteMade made, replica->InviteDevice(code, role));
  const crypto::SignKeyPair identity = key.Identity();
  const crypto::DhKeyPair seal = key.Seal();
  // Sealed to the recovery member: the relay learns nothing from it (docs/recovery.md).
  auto parts = SealParts(seal.public_key, made.invite);
  std::fill(made.invite.begin(), made.invite.end(), std::uint8_t{0});
  if (!parts.ok()) return parts.status();
  sqlite3* db = store->db();
  PARLEY_RETURN_IF_ERROR(Exec(db, kSchema));
  {
    PARLEY_ASSIGN_OR_RETURN(auto tx, ImmediateTransaction::Begin(db));
    PARLEY_RETURN_IF_ERROR(
        Exec(db, "DELETE FROM device_recovery_parts; DELETE FROM device_recovery_published;"));
    Stmt ins;
    PARLEY_RETURN_IF_ERROR(ins.Prepare(
        db, "INSERT INTO device_recovery_parts(member, part, sealed) VALUES(?1, ?2, ?3)"));
    for (std::size_t i = 0; i < parts->size(); ++i) {
      PARLEY_RETURN_IF_ERROR(ins.BindBlob(1, identity.public_key)
                                 .Bind(2, static_cast<std::int64_t>(i))
                                 .BindBlob(3, (*parts)[i])
                                 .Run());
      ins.Reset();
    }
    PARLEY_RETURN_IF_ERROR(tx.Commit());
  }
  issued_recovery_key = key.Text();
  return Raw(identity.public_key);
}

Result<std::vector<InvitePublication>> Device::Impl::PublishRecoveryInvite(
    const std::vector<sync::RelayRecord>& relays, sync::Canceller& canceller) {
  std::vector<InvitePublication> out;
  if (store == nullptr || !store->vault().has_value()) return out;
  PARLEY_RETURN_IF_ERROR(OpenSync());
  sqlite3* db = store->db();
  PARLEY_ASSIGN_OR_RETURN(auto kept, LoadKept(db));
  if (!kept.has_value()) return out;
  for (const auto& r : relays) {
    PARLEY_ASSIGN_OR_RETURN(bool done, Confirmed(db, r.public_key, kept->member));
    if (done) continue;
    Status st = Status::Ok();
    for (const auto& part : kept->sealed) {
      st = client->PutEnvelope(r.id, kept->member, part, &canceller);
      if (!st.ok()) break;
    }
    if (st.code() == Code::kCancelled) return st;
    if (st.ok()) {
      Stmt ins;
      PARLEY_RETURN_IF_ERROR(ins.Prepare(
          db, "INSERT OR IGNORE INTO device_recovery_published(relay_key, member) VALUES(?1, ?2)"));
      PARLEY_RETURN_IF_ERROR(ins.BindBlob(1, r.public_key).BindBlob(2, kept->member).Run());
    }
    out.push_back(InvitePublication{r.label(), st});
  }
  return out;
}

Status Device::Impl::ForgetRecoveryInviteAt(crypto::ByteView relay_key) {
  sqlite3* db = store->db();
  PARLEY_RETURN_IF_ERROR(Exec(db, kSchema));
  Stmt del;
  PARLEY_RETURN_IF_ERROR(
      del.Prepare(db, "DELETE FROM device_recovery_published WHERE relay_key = ?1"));
  return del.BindBlob(1, relay_key).Run();
}

Result<std::string> Device::TakeRecoveryKey() {
  Impl& d = *impl_;
  if (d.issued_recovery_key.empty()) {
    return DeviceError(Code::kNotFound,
                       "no recovery key is waiting to be shown: a key is shown once, when it is "
                       "issued; issue a new one with `parley vault recovery-key --rotate`");
  }
  std::string out = std::move(d.issued_recovery_key);
  std::fill(d.issued_recovery_key.begin(), d.issued_recovery_key.end(), '\0');
  d.issued_recovery_key.clear();
  return out;
}

Result<RecoveryKeyRotation> Device::RotateRecoveryKey() {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.OpenSync());
  if (!d.store->vault().has_value()) {
    return DeviceError(Code::kNotFound, "this device belongs to no vault yet");
  }
  PARLEY_ASSIGN_OR_RETURN(auto members, Members());
  bool admin = false;
  for (const auto& m : members) admin = admin || (m.is_self && m.admin);
  if (!admin)
    return DeviceError(Code::kPermissionDenied,
                       "only an admin device can issue a new recovery key");
  RecoveryKeyRotation out;
  PARLEY_ASSIGN_OR_RETURN(std::string fresh, d.IssueRecoveryKey());
  out.recovery_key = std::move(d.issued_recovery_key);
  d.issued_recovery_key.clear();
  // Every earlier recovery member goes: its key is no longer a way in (docs/recovery.md).
  for (const auto& m : members) {
    if (!m.recovery || m.revoked) continue;
    PARLEY_ASSIGN_OR_RETURN(crypto::Bytes raw, crypto::FromHex(m.id));
    if (Raw(raw) == fresh) continue;
    PARLEY_RETURN_IF_ERROR(d.replica->Revoke(Raw(raw)));
    if (out.revoked.empty()) out.revoked = m.id;
  }
  PARLEY_ASSIGN_OR_RETURN(auto relays, d.state->Relays());
  if (relays.empty()) return out;
  auto synced = Sync();
  if (!synced.ok()) {
    if (revoked_and_wiped().has_value()) return synced.status();
    return DeviceError(synced.status().code(),
                       "the new recovery key is committed here but was not published: " +
                           synced.status().message());
  }
  out.synced = std::move(synced->relays);
  PARLEY_ASSIGN_OR_RETURN(auto kept, LoadKept(d.store->db()));
  for (const auto& r : relays) {
    Status st = Status::Ok();
    if (kept.has_value()) {
      PARLEY_ASSIGN_OR_RETURN(bool done, Confirmed(d.store->db(), r.public_key, kept->member));
      if (!done) {
        st = DeviceError(
            Code::kUnavailable,
            "the relay did not take the recovery invite yet; the next sync puts it there");
      }
    }
    out.published.push_back(InvitePublication{r.label(), st});
  }
  return out;
}

namespace internal {
namespace {

class Relays final : public RecoveryHistory {
 public:
  explicit Relays(std::vector<std::string> codes) : codes_(std::move(codes)) {}

  Status Fill(Device& temp) override {
    for (const auto& code : codes_) {
      auto added = temp.AddRelay(code);
      if (!added.ok() && added.status().code() != Code::kAlreadyExists) return added.status();
    }
    Device::Impl& t = DeviceAccess::Of(temp);
    PARLEY_RETURN_IF_ERROR(t.OpenSync());
    // The parts of the invite sealed to the recovery member, from every relay.
    Assembly assembly;
    Status relay_error = Status::Ok();
    bool revoked = false;
    {
      PARLEY_ASSIGN_OR_RETURN(auto relays, t.state->Relays());
      sync::Canceller& cancel = t.FreshCanceller();
      for (const auto& r : relays) {
        auto envelopes = t.client->ListEnvelopes(r.id, &cancel);
        revoked = revoked || t.client->last_revocation().has_value();
        if (!envelopes.ok()) {
          if (envelopes.status().code() == Code::kCancelled) return envelopes.status();
          if (relay_error.ok()) relay_error = envelopes.status();
          continue;
        }
        for (const auto& e : *envelopes) {
          auto opened = crypto::OpenSealed(t.store->device().seal, e.sealed);
          if (!opened.ok()) continue;
          (void)assembly.Add(*opened);
          std::fill(opened->begin(), opened->end(), std::uint8_t{0});
        }
      }
    }
    if (revoked) {
      return DeviceError(
          Code::kPermissionDenied,
          "this recovery key was replaced by a newer one (`parley vault recovery-key --rotate`); "
          "use the newest recovery key of the vault");
    }
    bool joined = false;
    Status refused = Status::Ok();
    for (auto& invite : assembly.Complete()) {
      auto accepted = temp.JoinWithInvite(invite);
      std::fill(invite.begin(), invite.end(), std::uint8_t{0});
      if (accepted.ok()) {
        joined = true;
        break;
      }
      if (refused.ok()) refused = accepted.status();
    }
    if (!joined) {
      if (!refused.ok()) return refused;
      if (!relay_error.ok()) return relay_error;
      return DeviceError(
          Code::kNotFound,
          "no relay holds a vault for this recovery key; check the key, and that the vault's relay "
          "is pinned (`parley relay list`)");
    }
    // The vault's whole history, and the epoch keys sealed to the recovery member since.
    PARLEY_ASSIGN_OR_RETURN(SyncResult history, temp.Sync());
    if (!history.any_ok()) {
      return history.relays.empty() ? DeviceError(Code::kUnavailable, "no relay answered")
                                    : history.relays.front().status;
    }
    return Status::Ok();
  }

  // The recovery member's change must reach the relays: they take the enrolled device as a
  // member only from it.
  Status Publish(Device& temp, RecoveryEnrolment&) override {
    PARLEY_ASSIGN_OR_RETURN(SyncResult synced, temp.Sync());
    if (!synced.any_ok()) {
      return synced.relays.empty()
                 ? DeviceError(Code::kUnavailable, "no relay took the recovery member's change")
                 : synced.relays.front().status;
    }
    for (const auto& r : synced.relays) {
      if (!r.refusals.empty()) {
        return DeviceError(Code::kConflict,
                           "a relay refused the recovery member's change (" +
                               std::string(RefusalCodeName(r.refusals.front().code)) +
                               "): another recovery with this key got in first; try again");
      }
    }
    PARLEY_ASSIGN_OR_RETURN(DeviceStatus status, temp.SyncStatus());
    if (status.own_unacknowledged() > 0) {
      return DeviceError(Code::kUnavailable,
                         "no relay acknowledged the recovery member's change; try again");
    }
    return Status::Ok();
  }

 private:
  std::vector<std::string> codes_;
};

}  // namespace

std::unique_ptr<RecoveryHistory> RelayHistory(std::vector<std::string> relay_codes) {
  return std::make_unique<Relays>(std::move(relay_codes));
}

Result<RecoveryEnrolment> EnrolThroughRecoveryMember(const DeviceOptions& base,
                                                     const std::string& parent_dir,
                                                     const recovery::RecoveryKey& key,
                                                     RecoveryHistory& history,
                                                     std::string_view pairing_code) {
  Env& env = *base.env;
  KeyStore& key_store = *base.key_store;
  DeviceOptions options = base;
  options.data_dir = JoinPath(parent_dir, std::string(kRecoveryTempPrefix) + RandomHex(env, 8));
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<Device> temp, Device::Open(options));
  // Whatever happens from here, the temporary store goes (its keys first).
  struct Cleanup {
    Env& env;
    KeyStore& key_store;
    std::string dir;
    std::unique_ptr<Device>& device;
    ~Cleanup() {
      if (device != nullptr) (void)device->Lock();
      device.reset();
      WipeTemp(env, key_store, dir);
    }
  } cleanup{env, key_store, options.data_dir, temp};

  {
    CreateOptions create;
    create.device_name = std::string(kRecoveryMemberName);
    create.argon2 = crypto::MinimumArgon2Params();  // wiped within this call
    create.identity_from = &key;
    create.issue_recovery_key = false;
    const std::string passphrase = RandomHex(env, 32);
    PARLEY_RETURN_IF_ERROR(temp->Create(create, passphrase));
  }
  PARLEY_RETURN_IF_ERROR(history.Fill(*temp));
  Device::Impl& t = DeviceAccess::Of(*temp);
  PARLEY_ASSIGN_OR_RETURN(std::optional<VaultSummary> vault, temp->Vault());
  if (!vault.has_value()) return DeviceError(Code::kNotFound, "the recovery member holds no vault");
  RecoveryEnrolment out;
  out.vault_id = vault->id;
  out.recovery_member = crypto::ToHex(key.Identity().public_key);
  {
    log::InviteRole role;
    role.admin = true;
    PARLEY_ASSIGN_OR_RETURN(log::InviteMade made, t.replica->InviteDevice(pairing_code, role));
    out.invite = std::move(made.invite);
    out.safety_code = std::move(made.safety_code);
  }
  PARLEY_RETURN_IF_ERROR(history.Publish(*temp, out));
  return out;
}

}  // namespace internal

Result<RecoveryResult> Device::Recover(std::string_view recovery_key) {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.OpenSync());
  PARLEY_ASSIGN_OR_RETURN(recovery::RecoveryKey key, recovery::RecoveryKey::Parse(recovery_key));
  if (d.store->vault().has_value()) {
    return DeviceError(Code::kAlreadyExists,
                       "this device already belongs to vault \"" + d.store->vault()->name +
                           "\"; recover on a device that belongs to no vault");
  }
  PARLEY_ASSIGN_OR_RETURN(auto relays, d.state->Relays());
  if (relays.empty()) {
    return DeviceError(
        Code::kNotFound,
        "no relay pinned: pin the vault's relay first with `parley relay add PAIRING_CODE`");
  }
  // Temporary stores a crash left behind (their keys are in them: they go first).
  if (auto names = d.env.ListDir(d.options.data_dir); names.ok()) {
    for (const auto& name : *names) {
      if (name.rfind(internal::kRecoveryTempPrefix, 0) == 0) {
        WipeTemp(d.env, d.key_store, JoinPath(d.options.data_dir, name));
      }
    }
  }
  std::vector<std::string> codes;
  codes.reserve(relays.size());
  for (const auto& r : relays) codes.push_back(r.pairing_code);
  PARLEY_ASSIGN_OR_RETURN(std::string pairing, PairingCode());
  auto relay_history = internal::RelayHistory(std::move(codes));
  PARLEY_ASSIGN_OR_RETURN(internal::RecoveryEnrolment enrolment,
                          internal::EnrolThroughRecoveryMember(d.options, d.options.data_dir, key,
                                                               *relay_history, pairing));
  PARLEY_ASSIGN_OR_RETURN(JoinResult joined, JoinWithInvite(enrolment.invite));
  RecoveryResult out;
  out.vault = joined.vault;
  out.recovery_member = enrolment.recovery_member;
  out.safety_code = enrolment.safety_code;
  PARLEY_ASSIGN_OR_RETURN(SyncResult synced, Sync());
  out.synced = std::move(synced.relays);
  PARLEY_ASSIGN_OR_RETURN(auto heads, log::ListDeviceHeads(*d.replica));
  for (const auto& h : heads) out.changes += h.held;
  PARLEY_ASSIGN_OR_RETURN(auto records, d.replica->List(""));
  out.records = records.size();
  PARLEY_ASSIGN_OR_RETURN(auto conflicts, d.replica->Conflicts());
  out.conflicts = conflicts.size();
  PARLEY_ASSIGN_OR_RETURN(auto members, Members());
  for (const auto& m : members) out.members += m.revoked ? 0 : 1;
  return out;
}

}  // namespace parley
