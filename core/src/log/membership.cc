// Membership: who may write to the vault, and invites.
//
// The vault's founder (the device that created it) is its root admin. An AddMember op takes
// effect when its author is an admin; the member set is the closure of that rule over every
// AddMember op held, so it does not depend on the order changes arrive in. A change whose
// author is not a member is held back (pending) and applied as soon as the author's
// membership arrives.
#include <algorithm>
#include <cstring>
#include <map>

#include "log/change_codec.h"
#include "log/pairing.h"
#include "log/replica_impl.h"
#include "log/transaction.h"
#include "log/tuning.h"
#include "parley/core/enrolment.h"
#include "parley/core/replica_sync.h"
#include "parley/invite.pb.h"

namespace parley::log {
namespace {

crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }
std::string_view AsText(std::span<const std::uint8_t> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

void Scrub(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

}  // namespace

Status ReplicaImpl::InsertMemberOps(std::int64_t author_id, std::uint64_t seq, const pb::ChangeBody& body,
                                    const std::vector<std::int64_t>& author_map) {
  (void)author_map;
  for (int i = 0; i < body.ops_size(); ++i) {
    const pb::Op& op = body.ops(i);
    if (op.kind_case() != pb::Op::kAddMember) continue;
    const pb::AddMember& m = op.add_member();
    PARLEY_ASSIGN_OR_RETURN(std::int64_t target, InternAuthor(m.identity()));
    Stmt& s = st.insert_member_op;
    s.Bind(1, PackOpKey(static_cast<std::uint64_t>(author_id), seq, static_cast<std::uint64_t>(i)))
        .Bind(2, author_id)
        .Bind(3, target)
        .Bind(4, std::int64_t{m.role() == "admin" ? kRoleAdmin : kRoleMember})
        .BindBlob(5, Bv(m.kx_public()))
        .Bind(6, std::string_view(m.name()));
    Status r = s.Run();
    s.Reset();
    PARLEY_RETURN_IF_ERROR(r);
  }
  return Status::Ok();
}

Status ReplicaImpl::RecomputeMembership() {
  struct MemberOp {
    std::int64_t author, target;
    int role;
    std::string name;
  };
  std::vector<MemberOp> ops;
  {
    Stmt s;
    PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT author, target, role, name FROM log_member_ops ORDER BY op"));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ops.push_back({s.Int(0), s.Int(1), static_cast<int>(s.Int(2)), std::string(s.Text(3))});
    }
  }
  std::map<std::int64_t, int> roles;
  std::map<std::int64_t, std::string> names;
  if (!founder_.empty()) {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t f, InternAuthor(founder_));
    roles[f] = kRoleAdmin;
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const MemberOp& op : ops) {
      if (roles[op.author] != kRoleAdmin) continue;
      if (names[op.target].empty()) names[op.target] = op.name;
      if (roles[op.target] < op.role) {
        roles[op.target] = op.role;
        changed = true;
      }
    }
  }
  Stmt upd;
  PARLEY_RETURN_IF_ERROR(upd.Prepare(db_, "UPDATE log_authors SET role = ?2, name = ?3 WHERE id = ?1"));
  for (std::size_t id = 1; id < authors_.size(); ++id) {
    AuthorInfo& a = authors_[id];
    if (a.key.empty()) continue;
    const auto key = static_cast<std::int64_t>(id);
    const int role = roles.count(key) ? roles[key] : kRoleNone;
    const std::string name = names.count(key) && !names[key].empty() ? names[key] : a.name;
    if (role == a.role && name == a.name) continue;
    PARLEY_RETURN_IF_ERROR(upd.Bind(1, key).Bind(2, std::int64_t{role}).Bind(3, std::string_view(name)).Run());
    upd.Reset();
    a.role = role;
    a.name = name;
  }
  return Status::Ok();
}

Status ReplicaImpl::ApplyPending(const std::map<std::int64_t, const pb::ChangeBody*>& opened, std::size_t* applied) {
  struct Row {
    std::int64_t cid, author;
    std::uint64_t seq;
    pb::Change change;
  };
  std::vector<Row> rows;
  {
    PARLEY_RETURN_IF_ERROR(st.pending_changes.ForEach([&](const Stmt& s) {
      rows.push_back(Row{s.Int(0), s.Int(1), static_cast<std::uint64_t>(s.Int(2)), {}});
      return true;
    }));
  }
  // Only bodies not opened in this batch are read back.
  for (Row& r : rows) {
    if (opened.find(r.cid) != opened.end()) continue;
    Stmt& q = st.pending_change;
    q.Bind(1, r.cid);
    auto row = q.Step();
    if (row.ok() && *row) {
      r.change.set_header(std::string(AsText(q.Blob(0))));
      r.change.set_body(std::string(AsText(q.Blob(1))));
      r.change.set_signature(std::string(AsText(q.Blob(2))));
    }
    q.Reset();
    if (!row.ok()) return row.status();
  }
  for (const Row& r : rows) {
    auto it = opened.find(r.cid);
    if (it != opened.end()) {
      PARLEY_RETURN_IF_ERROR(ApplyBody(r.author, r.seq, *it->second));
    } else {
      pb::ChangeHeader header;
      if (!header.ParseFromString(r.change.header())) return Error(Domain::kLog, Code::kCorrupt, "a held change");
      const store::VaultKey* key = store_.vault().has_value() ? store_.vault()->Epoch(header.epoch()) : nullptr;
      if (key == nullptr) return Error(Domain::kLog, Code::kPermissionDenied, "no key for a held change's epoch");
      PARLEY_ASSIGN_OR_RETURN(pb::ChangeBody body, OpenBody(r.change, key->key.view()));
      PARLEY_RETURN_IF_ERROR(ApplyBody(r.author, r.seq, body));
    }
    Status m = st.mark_applied.Bind(1, r.cid).Run();
    st.mark_applied.Reset();
    PARLEY_RETURN_IF_ERROR(m);
    ++*applied;
  }
  return Status::Ok();
}

Status ReplicaImpl::SetRole(std::string_view, bool) {
  return Error(Domain::kLog, Code::kUnsupported, "roles cannot change yet");
}
Status ReplicaImpl::Revoke(std::string_view) { return Error(Domain::kLog, Code::kUnsupported, "revocation is not built yet"); }
bool ReplicaImpl::Revoked() const { return false; }
Result<bool> ReplicaImpl::HealEpoch() { return false; }

Result<InviteMade> ReplicaImpl::InviteDevice(std::string_view pairing_code) {
  PARLEY_ASSIGN_OR_RETURN(PairingInfo info, DecodePairingCode(pairing_code));
  struct ScrubSecret {
    crypto::Bytes& b;
    ~ScrubSecret() { std::fill(b.begin(), b.end(), std::uint8_t{0}); }
  } scrub_secret{info.secret};
  if (!HasVault()) return Error(Domain::kLog, Code::kNotFound, "no vault to invite to");
  if (author(self_id_).role != kRoleAdmin) {
    return Error(Domain::kLog, Code::kPermissionDenied, "only an admin device can invite");
  }
  if (Bv(author(self_id_).key).size() == info.identity.size() &&
      crypto::ConstantTimeEqual(Bv(author(self_id_).key), info.identity)) {
    return Error(Domain::kLog, Code::kInvalidArgument, "that is this device's own pairing code");
  }
  if (info.version < 2) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "that pairing code is from an older version of Parley and carries no enrolment secret; "
                 "update the new device and show its pairing code again");
  }
  if (std::all_of(info.secret.begin(), info.secret.end(), [](std::uint8_t b) { return b == 0; })) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "that pairing code is of a device that already belongs to a vault");
  }
  const std::string recipient(info.identity.begin(), info.identity.end());
  if (const std::int64_t known = FindAuthor(recipient); known != 0 && author(known).role != kRoleNone) {
    return Error(Domain::kLog, Code::kAlreadyExists,
                 "that device is already a member of this vault" +
                     (author(known).name.empty() ? std::string() : " (as \"" + author(known).name + "\")"));
  }
  PARLEY_ASSIGN_OR_RETURN(VaultIdentity identity, GetVaultIdentity(*this));
  if (identity.nonce.size() != 32) {
    return Error(Domain::kLog, Code::kUnsupported,
                 "this device cannot show how the vault's id was derived (a vault made before derived ids, "
                 "or joined before invites carried the nonce); invite from the founding device");
  }
  {
    PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
    PARLEY_RETURN_IF_ERROR(tx->AddMember(info.identity, info.kx, kRoleMember, info.name, info.seal, info.seal_cert));
    PARLEY_ASSIGN_OR_RETURN(ChangeId id, tx->Commit());
    (void)id;
  }
  const store::VaultKeys& vault = *store_.vault();
  pb::InviteBody body;
  body.set_vault(vault_id_);
  body.set_vault_name(vault.name);
  body.set_founder(founder_);
  body.set_inviter(author(self_id_).key);
  body.set_recipient(recipient);
  body.set_recipient_seal(info.seal.data(), info.seal.size());
  body.set_created_unix_ms(static_cast<std::int64_t>(hlc_.last() >> kHlcCounterBits));
  body.set_vault_nonce(identity.nonce.data(), identity.nonce.size());
  {
    pb::SealedVaultKeys keys;
    for (const store::VaultKey& k : vault.epochs) {
      pb::EpochKey* e = keys.add_keys();
      e->set_epoch(k.epoch);
      e->set_key(k.key.data(), k.key.size());
    }
    std::string plain;
    const bool ok = keys.SerializeToString(&plain);
    for (auto& e : *keys.mutable_keys()) Scrub(*e.mutable_key());
    if (!ok) return Error(Domain::kLog, Code::kInternal, "encoding the invite keys");
    crypto::Bytes sealed = crypto::SealTo(info.seal, Bv(plain));
    Scrub(plain);
    body.set_sealed_keys(sealed.data(), sealed.size());
  }
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT header, body, signature FROM log_changes WHERE membership ORDER BY author, seq"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    pb::Change* c = body.add_membership();
    c->set_header(std::string(AsText(s.Blob(0))));
    c->set_body(std::string(AsText(s.Blob(1))));
    c->set_signature(std::string(AsText(s.Blob(2))));
  }
  pb::Invite invite;
  if (!body.SerializeToString(invite.mutable_body())) return Error(Domain::kLog, Code::kInternal, "encoding invite");
  crypto::Bytes sig = crypto::Sign(store_.device().identity.secret_key, InviteSignedMessage(invite.body()));
  invite.set_signature(sig.data(), sig.size());
  const crypto::Hash mac = InviteMac(info.secret, invite.body(), invite.signature());
  invite.set_mac(mac.data(), mac.size());
  std::string out;
  if (!invite.SerializeToString(&out)) return Error(Domain::kLog, Code::kInternal, "encoding invite");
  InviteMade made;
  made.invite.assign(out.begin(), out.end());
  made.safety_code = SafetyCode(Bv(vault_id_), Bv(author(self_id_).key), info.identity, info.secret);
  return made;
}

Result<Joined> ReplicaImpl::JoinVault(std::span<const std::uint8_t> blob) {
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is open");
  if (store_.vault().has_value()) {
    return Error(Domain::kLog, Code::kAlreadyExists,
                 "this device already belongs to vault \"" + store_.vault()->name +
                     "\"; a device belongs to one vault (join another from a new data directory)");
  }
  PARLEY_ASSIGN_OR_RETURN(CheckedInvite checked, CheckInvite(blob, store_.device()));
  Joined joined;
  joined.vault = checked.vault;
  joined.vault_name = checked.vault_name;
  joined.inviter = checked.inviter;
  joined.inviter_name = checked.inviter_name;
  joined.safety_code = checked.safety_code;

  Status stored = InTransaction([&]() -> Status {
    PARLEY_RETURN_IF_ERROR(SetMeta("founder", checked.founder));
    return SetMeta("vault_nonce", checked.vault_nonce);
  });
  PARLEY_RETURN_IF_ERROR(stored);
  founder_ = checked.founder;
  // Stores the keys and destroys the enrolment secret in one write of the key file.
  PARLEY_RETURN_IF_ERROR(store_.SetVault(std::move(checked.keys)));
  vault_id_ = checked.vault;
  PARLEY_ASSIGN_OR_RETURN(ApplyReport report, Apply(checked.membership));
  (void)report;
  return joined;
}

}  // namespace parley::log
