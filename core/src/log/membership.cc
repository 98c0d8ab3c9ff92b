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
#include "parley/invite.pb.h"

namespace parley::log {
namespace {

constexpr std::string_view kInviteLabel = "parley/invite/v1";

crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }
std::string_view AsText(std::span<const std::uint8_t> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

crypto::Bytes InviteMessage(std::string_view body) {
  crypto::Bytes m(kInviteLabel.size() + body.size());
  std::memcpy(m.data(), kInviteLabel.data(), kInviteLabel.size());
  if (!body.empty()) std::memcpy(m.data() + kInviteLabel.size(), body.data(), body.size());
  return m;
}

void Scrub(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

Status BadInvite(std::string msg) { return Error(Domain::kLog, Code::kCorrupt, "invite rejected: " + std::move(msg)); }

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

Result<std::vector<std::uint8_t>> ReplicaImpl::Invite(std::string_view pairing_code) {
  PARLEY_ASSIGN_OR_RETURN(PairingInfo info, DecodePairingCode(pairing_code));
  if (!HasVault()) return Error(Domain::kLog, Code::kNotFound, "no vault to invite to");
  if (author(self_id_).role != kRoleAdmin) {
    return Error(Domain::kLog, Code::kPermissionDenied, "only an admin device can invite");
  }
  if (Bv(author(self_id_).key).size() == info.identity.size() &&
      crypto::ConstantTimeEqual(Bv(author(self_id_).key), info.identity)) {
    return Error(Domain::kLog, Code::kInvalidArgument, "that is this device's own pairing code");
  }
  {
    PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
    PARLEY_RETURN_IF_ERROR(tx->AddMember(info.identity, info.kx, kRoleMember, info.name));
    PARLEY_ASSIGN_OR_RETURN(ChangeId id, tx->Commit());
    (void)id;
  }
  const store::VaultKeys& vault = *store_.vault();
  pb::InviteBody body;
  body.set_vault(vault_id_);
  body.set_vault_name(vault.name);
  body.set_founder(founder_);
  body.set_inviter(author(self_id_).key);
  body.set_recipient(info.identity.data(), info.identity.size());
  body.set_recipient_kx(info.kx.data(), info.kx.size());
  body.set_created_unix_ms(hlc_.last() >> kHlcCounterBits);
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
    crypto::Bytes sealed = crypto::SealTo(info.kx, Bv(plain));
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
  crypto::Bytes sig = crypto::Sign(store_.device().identity.secret_key, InviteMessage(invite.body()));
  invite.set_signature(sig.data(), sig.size());
  std::string out;
  if (!invite.SerializeToString(&out)) return Error(Domain::kLog, Code::kInternal, "encoding invite");
  return std::vector<std::uint8_t>(out.begin(), out.end());
}

Status ReplicaImpl::AcceptInvite(std::span<const std::uint8_t> blob) {
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is open");
  pb::Invite invite;
  if (!invite.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) return BadInvite("it does not parse");
  pb::InviteBody body;
  if (!body.ParseFromString(invite.body())) return BadInvite("its body does not parse");
  if (body.vault().size() != 32 || body.founder().size() != 32 || body.inviter().size() != 32 ||
      body.recipient().size() != 32 || body.recipient_kx().size() != 32) {
    return BadInvite("malformed keys");
  }
  if (!crypto::Verify(Bv(body.inviter()), InviteMessage(invite.body()), Bv(invite.signature())).ok()) {
    return BadInvite("the signature does not verify (tampered?)");
  }
  const store::DeviceKeys& me = store_.device();
  if (!crypto::ConstantTimeEqual(Bv(body.recipient()), me.identity.public_key) ||
      !crypto::ConstantTimeEqual(Bv(body.recipient_kx()), me.kx.public_key)) {
    return Error(Domain::kLog, Code::kPermissionDenied, "this invite is for another device");
  }
  if (store_.vault().has_value()) {
    return Error(Domain::kLog, Code::kAlreadyExists, "this store already belongs to a vault");
  }
  auto opened = crypto::OpenSealed(me.kx, Bv(body.sealed_keys()));
  if (!opened.ok()) return BadInvite("the vault keys do not open");
  pb::SealedVaultKeys keys;
  const bool parsed = keys.ParseFromArray(opened->data(), static_cast<int>(opened->size()));
  std::fill(opened->begin(), opened->end(), 0);
  if (!parsed || keys.keys_size() == 0) return BadInvite("the vault keys are malformed");
  store::VaultKeys vault;
  vault.vault_id.assign(body.vault().begin(), body.vault().end());
  vault.name = body.vault_name();
  std::uint32_t last_epoch = 0;
  for (int i = 0; i < keys.keys_size(); ++i) {
    pb::EpochKey* k = keys.mutable_keys(i);
    if (k->key().size() != crypto::kAeadKeySize || (i > 0 && k->epoch() <= last_epoch)) {
      return BadInvite("the vault keys are malformed");
    }
    last_epoch = k->epoch();
    store::VaultKey vk;
    vk.epoch = k->epoch();
    vk.key = crypto::SecretBytes::Copy(Bv(k->key()));
    Scrub(*k->mutable_key());
    vault.epochs.push_back(std::move(vk));
  }
  // The invite must carry the inviter's change that adds this device.
  bool adds_me = false;
  for (const pb::Change& c : body.membership()) {
    auto checked = CheckChange(c, Bv(body.vault()));
    if (!checked.ok()) return BadInvite(checked.status().message());
    const store::VaultKey* key = vault.Epoch(checked->header.epoch());
    if (key == nullptr) return BadInvite("a membership change is under an unknown key");
    auto b = OpenBody(c, key->key.view());
    if (!b.ok()) return BadInvite(b.status().message());
    if (checked->header.author() != body.inviter()) continue;
    for (const pb::Op& op : b->ops()) {
      if (op.kind_case() == pb::Op::kAddMember && op.add_member().identity() == body.recipient()) adds_me = true;
    }
  }
  if (!adds_me) return BadInvite("it does not carry the change that adds this device");

  PARLEY_RETURN_IF_ERROR(InTransaction([&] { return SetMeta("founder", body.founder()); }));
  founder_ = body.founder();
  PARLEY_RETURN_IF_ERROR(store_.SetVault(std::move(vault)));
  vault_id_ = body.vault();
  std::vector<pb::Change> changes(body.membership().begin(), body.membership().end());
  PARLEY_ASSIGN_OR_RETURN(ApplyReport report, Apply(changes));
  (void)report;
  return Status::Ok();
}

}  // namespace parley::log
