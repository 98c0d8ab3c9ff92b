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
#include <set>

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
std::string_view AsText(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// BLAKE2b-256("parley/epoch-key-check/v1" || key): what a NewEpoch commits its key to.
crypto::Hash EpochKeyCheck(crypto::ByteView key) {
  crypto::Hasher h;
  h.Update(std::string_view("parley/epoch-key-check/v1")).Update(key);
  return h.Final256();
}

void Scrub(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

}  // namespace

Status ReplicaImpl::LoadMembership() {
  std::vector<MemberOpRow> rows;
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_,
                "SELECT c.author, c.seq, c.header, c.body, c.signature FROM log_changes c "
                "WHERE c.membership = 1 ORDER BY c.cid"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    pb::Change c;
    c.set_header(std::string(AsText(s.Blob(2))));
    c.set_body(std::string(AsText(s.Blob(3))));
    c.set_signature(std::string(AsText(s.Blob(4))));
    pb::ChangeHeader header;
    if (!header.ParseFromString(c.header()))
      return Error(Domain::kLog, Code::kCorrupt, "a held membership change");
    const store::VaultKey* key = EpochKey(header.epoch());
    if (key == nullptr) continue;  // read when its key arrives
    PARLEY_ASSIGN_OR_RETURN(pb::ChangeBody body, OpenBody(c, header, key->key.view()));
    std::vector<MemberOpRow> ops =
        MemberOpsOf(author(s.Int(0)).key, static_cast<std::uint64_t>(s.Int(1)), body);
    for (MemberOpRow& r : ops) rows.push_back(std::move(r));
  }
  membership_ = EvaluateMembership(founder_, rows);
  member_ops_ = std::move(rows);
  return Status::Ok();
}

Status ReplicaImpl::RecomputeMembership() {
  PARLEY_RETURN_IF_ERROR(LoadMembership());
  Stmt upd;
  PARLEY_RETURN_IF_ERROR(
      upd.Prepare(db_, "UPDATE log_authors SET role = ?2, name = ?3 WHERE id = ?1"));
  for (const auto& [key, d] : membership_.devices) {
    PARLEY_RETURN_IF_ERROR(InternAuthor(key).status());
  }
  for (std::size_t id = 1; id < authors_.size(); ++id) {
    AuthorInfo& a = authors_[id];
    if (a.key.empty()) continue;
    const DeviceMembership* d = membership_.Find(a.key);
    const int role = d == nullptr || d->revoked ? kRoleNone : d->admin ? kRoleAdmin : kRoleMember;
    const std::string name = d != nullptr && !d->name.empty() ? d->name : a.name;
    if (role == a.role && name == a.name) continue;
    PARLEY_RETURN_IF_ERROR(upd.Bind(1, static_cast<std::int64_t>(id))
                               .Bind(2, std::int64_t{role})
                               .Bind(3, std::string_view(name))
                               .Run());
    upd.Reset();
    a.role = role;
    a.name = name;
  }
  return ApplyPurges();
}

const store::VaultKey* ReplicaImpl::EpochKey(std::uint32_t epoch) const {
  return store_.vault().has_value() ? store_.vault()->Epoch(epoch) : nullptr;
}

const store::VaultKey* ReplicaImpl::WriteKey() const {
  // The newest effective epoch whose key this device holds.
  for (auto it = membership_.epochs.rbegin(); it != membership_.epochs.rend(); ++it) {
    if (const store::VaultKey* k = EpochKey(*it)) return k;
  }
  return store_.vault().has_value() ? store_.vault()->Current() : nullptr;
}

Result<bool> ReplicaImpl::AbsorbEpochKeys() {
  if (!store_.vault().has_value()) return false;
  const std::string self = author(self_id_).key;
  const store::DeviceKeys& me = store_.device();
  std::vector<store::VaultKey> found;
  auto held = [&](std::uint32_t e) {
    if (EpochKey(e) != nullptr) return true;
    for (const auto& k : found) {
      if (k.epoch == e) return true;
    }
    return false;
  };
  // A key is taken only when it matches the commitment of the operation that created its
  // epoch, in a change its author was entitled to: a revoked admin cannot plant a wrong key
  // for an epoch it saw named in change headers.
  std::map<std::uint32_t, std::set<std::string>> checks;
  for (const MemberOpRow& op : member_ops_) {
    if (op.kind != MemberOpRow::Kind::kNewEpoch || !membership_.Entitled(op.author, op.seq))
      continue;
    const DeviceMembership* by = membership_.Find(op.author);
    if (by != nullptr && by->ever_admin && op.key_check.size() == crypto::kHashSize)
      checks[op.epoch].insert(op.key_check);
  }
  auto committed = [&](std::uint32_t epoch, std::string_view key) {
    auto it = checks.find(epoch);
    if (it == checks.end()) return false;
    const crypto::Hash c = EpochKeyCheck(Bv(key));
    return it->second.count(std::string(reinterpret_cast<const char*>(c.data()), c.size())) != 0;
  };
  for (const MemberOpRow& op : member_ops_) {
    if (op.kind != MemberOpRow::Kind::kNewEpoch || held(op.epoch)) continue;
    // Only keys an admin (or a device that was one) handed out are taken.
    const DeviceMembership* by = membership_.Find(op.author);
    if (by == nullptr || !by->ever_admin) continue;
    for (std::size_t i = 0; i < op.recipients.size(); ++i) {
      if (op.recipients[i] != self) continue;
      auto opened = crypto::OpenSealed(me.seal, Bv(op.sealed[i]));
      if (!opened.ok()) continue;
      pb::SealedVaultKeys keys;
      const bool parsed = keys.ParseFromArray(opened->data(), static_cast<int>(opened->size()));
      std::fill(opened->begin(), opened->end(), std::uint8_t{0});
      if (parsed) {
        for (const pb::EpochKey& k : keys.keys()) {
          if (k.key().size() == crypto::kAeadKeySize && !held(k.epoch()) &&
              committed(k.epoch(), k.key())) {
            found.push_back(store::VaultKey{k.epoch(), crypto::SecretBytes::Copy(Bv(k.key()))});
          }
        }
      }
      for (auto& k : *keys.mutable_keys()) Scrub(*k.mutable_key());
    }
  }
  if (found.empty()) return false;
  PARLEY_RETURN_IF_ERROR(AddEpochKeys(std::move(found)));
  return true;
}

Status ReplicaImpl::AddEpochKeys(std::vector<store::VaultKey> keys) {
  const store::VaultKeys& current = *store_.vault();
  store::VaultKeys next;
  next.vault_id = current.vault_id;
  next.name = current.name;
  for (const store::VaultKey& k : current.epochs)
    next.epochs.push_back({k.epoch, crypto::SecretBytes::Copy(k.key.view())});
  for (store::VaultKey& k : keys) next.epochs.push_back(std::move(k));
  return store_.SetVault(std::move(next));
}

std::vector<const store::VaultKey*> ReplicaImpl::EpochKeysByNumber() const {
  std::vector<const store::VaultKey*> out;
  for (const store::VaultKey& k : store_.vault()->epochs) out.push_back(&k);
  std::sort(out.begin(), out.end(),
            [](const store::VaultKey* a, const store::VaultKey* b) { return a->epoch < b->epoch; });
  return out;
}

Result<bool> ReplicaImpl::AppliedButVoid() {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT author, max(seq) FROM log_changes WHERE NOT pending GROUP BY author"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (!membership_.Entitled(author(s.Int(0)).key, static_cast<std::uint64_t>(s.Int(1))))
      return true;
  }
  if (membership_.void_epochs.empty()) return false;
  Stmt e;
  PARLEY_RETURN_IF_ERROR(e.Prepare(
      db_, "SELECT DISTINCT epoch FROM log_changes WHERE NOT pending AND membership != 3"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, e.Step());
    if (!row) break;
    if (membership_.void_epochs.count(static_cast<std::uint32_t>(e.Int(0))) != 0) return true;
  }
  return false;
}

Status ReplicaImpl::Rematerialize() {
  PARLEY_RETURN_IF_ERROR(
      Exec(db_,
           "DELETE FROM log_records; DELETE FROM log_ops; DELETE FROM log_live; "
           "DELETE FROM log_superseded; UPDATE log_changes SET pending = 1 WHERE membership != 3;",
           Domain::kLog));
  PARLEY_RETURN_IF_ERROR(ClearTextIndex());
  record_rids_.clear();
  created_rids_.clear();
  last_ops_.clear();
  superseded_rows_ = 0;
  return Status::Ok();
}

Status ReplicaImpl::Settle(const std::map<std::int64_t, const pb::ChangeBody*>& opened,
                           bool membership_dirty, std::size_t* applied) {
  for (int round = 0; round < kMaxSettleRounds; ++round) {
    if (membership_dirty) {
      PARLEY_RETURN_IF_ERROR(RecomputeMembership());
      PARLEY_ASSIGN_OR_RETURN(bool keys, AbsorbEpochKeys());
      if (keys)
        PARLEY_RETURN_IF_ERROR(RecomputeMembership());  // membership changes under the new keys
      PARLEY_ASSIGN_OR_RETURN(bool void_applied, AppliedButVoid());
      if (void_applied) PARLEY_RETURN_IF_ERROR(Rematerialize());
    }
    bool opened_membership = false;
    PARLEY_RETURN_IF_ERROR(ApplyPending(opened, applied, &opened_membership));
    if (!opened_membership) return Status::Ok();
    membership_dirty = true;
  }
  return Status::Ok();
}

Status ReplicaImpl::ApplyPending(const std::map<std::int64_t, const pb::ChangeBody*>& opened,
                                 std::size_t* applied, bool* opened_membership) {
  struct Row {
    std::int64_t cid, author;
    std::uint64_t seq;
    std::int64_t membership;  // kMembershipNone / kMembershipOps / kMembershipUnknown
    std::uint32_t epoch;
  };
  std::vector<Row> rows;
  {
    PARLEY_RETURN_IF_ERROR(st.pending_changes.ForEach([&](const Stmt& s) {
      rows.push_back(Row{s.Int(0), s.Int(1), static_cast<std::uint64_t>(s.Int(2)), s.Int(3),
                         static_cast<std::uint32_t>(s.Int(4))});
      return true;
    }));
  }
  for (const Row& r : rows) {
    // A change under a void epoch is not applied anywhere (membership_rules.h, void_epochs).
    const bool entitled = membership_.Entitled(author(r.author).key, r.seq) &&
                          membership_.void_epochs.count(r.epoch) == 0;
    auto it = opened.find(r.cid);
    const pb::ChangeBody* body = it != opened.end() ? it->second : nullptr;
    pb::ChangeBody read;
    if (body == nullptr) {
      // Read back only what can now be used: an entitled change, or one whose membership
      // operations are not known yet (its key had not arrived).
      if (!entitled && r.membership != kMembershipUnknown) continue;
      Stmt& q = st.pending_change;
      q.Bind(1, r.cid);
      pb::Change change;
      auto row = q.Step();
      if (row.ok() && *row) {
        change.set_header(std::string(AsText(q.Blob(0))));
        change.set_body(std::string(AsText(q.Blob(1))));
        change.set_signature(std::string(AsText(q.Blob(2))));
      }
      q.Reset();
      if (!row.ok()) return row.status();
      pb::ChangeHeader header;
      if (!header.ParseFromString(change.header()))
        return Error(Domain::kLog, Code::kCorrupt, "a held change");
      const store::VaultKey* key = EpochKey(header.epoch());
      if (key == nullptr) continue;  // its epoch key has not arrived yet
      auto opened_body = OpenBody(change, header, key->key.view());
      if (!opened_body.ok()) {
        // Authenticated when stored, unreadable now that its key is here: quarantined.
        Status marked = st.mark_quarantined.Bind(1, r.cid).Run();
        st.mark_quarantined.Reset();
        PARLEY_RETURN_IF_ERROR(marked);
        continue;
      }
      read = std::move(opened_body).value();
      body = &read;
      if (r.membership == kMembershipUnknown) {
        const bool has = std::any_of(read.ops().begin(), read.ops().end(), IsMembershipOp);
        Status m = st.mark_membership.Bind(1, r.cid)
                       .Bind(2, has ? kMembershipOps : kMembershipNone)
                       .Bind(3, static_cast<std::int64_t>(read.hlc()))
                       .Run();
        st.mark_membership.Reset();
        PARLEY_RETURN_IF_ERROR(m);
        *opened_membership = *opened_membership || has;
      }
    }
    if (!entitled) continue;
    // The slots kept while the body could not be read, or before a purge: those still wanted.
    PARLEY_ASSIGN_OR_RETURN(std::string stored_slots, SlotsOf(r.cid));
    std::string slots = KeptSlots(body, stored_slots);
    if (slots != stored_slots) PARLEY_RETURN_IF_ERROR(StoreSlots(r.cid, slots));
    const store::VaultKey* slot_key = nullptr;
    if (!slots.empty()) {
      PARLEY_ASSIGN_OR_RETURN(std::uint32_t epoch, EpochOf(r.cid));
      slot_key = EpochKey(epoch);
    }
    const SlotSource source{r.cid, slots, slot_key};
    PARLEY_RETURN_IF_ERROR(ApplyBody(r.author, r.seq, *body, &source));
    PARLEY_RETURN_IF_ERROR(RecordSeen(r.author, r.seq, *body));
    Status m = st.mark_applied.Bind(1, r.cid).Run();
    st.mark_applied.Reset();
    PARLEY_RETURN_IF_ERROR(m);
    ++*applied;
  }
  return Status::Ok();
}

Status ReplicaImpl::CheckAdmin() const {
  if (!HasVault()) return Error(Domain::kLog, Code::kNotFound, "no vault");
  if (Revoked())
    return Error(Domain::kLog, Code::kPermissionDenied, "this device was revoked from the vault");
  if (!membership_.IsAdmin(author(self_id_).key)) {
    return Error(Domain::kLog, Code::kPermissionDenied, "only an admin device can do this");
  }
  return Status::Ok();
}

Result<const DeviceMembership*> ReplicaImpl::CurrentMember(std::string_view identity) const {
  const DeviceMembership* d = membership_.Find(identity);
  if (d == nullptr)
    return Error(Domain::kLog, Code::kNotFound, "that device is not a member of this vault");
  if (d->revoked)
    return Error(Domain::kLog, Code::kNotFound, "that device was already revoked from this vault");
  return d;
}

Status ReplicaImpl::SetRole(std::string_view identity, bool admin) {
  PARLEY_RETURN_IF_ERROR(CheckAdmin());
  PARLEY_ASSIGN_OR_RETURN(const DeviceMembership* d, CurrentMember(identity));
  if (d->admin == admin) {
    return Error(Domain::kLog, Code::kAlreadyExists,
                 admin ? "that device is already an admin" : "that device is not an admin");
  }
  if (d->recovery) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "the recovery key is always an admin; replace it with `parley vault recovery-key "
                 "--rotate`");
  }
  if (!admin && (membership_.AdminCount() == 1 || membership_.DeviceAdminCount() == 1)) {
    return Error(Domain::kLog, Code::kConflict,
                 "the vault's last admin cannot be demoted; promote another device first");
  }
  PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
  PARLEY_RETURN_IF_ERROR(tx->SetRole(identity, admin));
  return tx->Commit().status();
}

Result<std::uint32_t> ReplicaImpl::StartEpoch(LocalTransaction& tx, std::string_view excluded) {
  std::set<std::uint32_t> used{0};
  for (const store::VaultKey& k : store_.vault()->epochs) used.insert(k.epoch);
  for (const MemberOpRow& op : member_ops_) {
    if (op.kind == MemberOpRow::Kind::kNewEpoch) used.insert(op.epoch);
  }
  std::uint32_t epoch = 0;
  while (used.count(epoch) != 0) {
    std::uint8_t b[4];
    crypto::RandomBytes(b);
    epoch = std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
            std::uint32_t{b[3]};
  }
  store::VaultKey fresh{epoch, crypto::SecretBytes::Random(crypto::kAeadKeySize)};
  const crypto::Hash check = EpochKeyCheck(fresh.key.view());
  // The whole key set: a member that missed an epoch (enrolled concurrently with it) gets it.
  pb::SealedVaultKeys keys;
  std::vector<const store::VaultKey*> all = EpochKeysByNumber();
  all.push_back(&fresh);
  for (const store::VaultKey* k : all) {
    pb::EpochKey* e = keys.add_keys();
    e->set_epoch(k->epoch);
    e->set_key(k->key.data(), k->key.size());
  }
  std::vector<std::uint32_t> shared;
  shared.reserve(all.size());
  for (const store::VaultKey* k : all) shared.push_back(k->epoch);
  std::string plain;
  const bool ok = keys.SerializeToString(&plain);
  for (auto& e : *keys.mutable_keys()) Scrub(*e.mutable_key());
  if (!ok) return Error(Domain::kLog, Code::kInternal, "encoding the epoch keys");
  std::vector<std::string> recipients;
  std::vector<crypto::Bytes> sealed;
  for (const auto& [id, d] : membership_.devices) {
    if (d.revoked || id == excluded || d.seal.size() != crypto::kDhSize) continue;
    recipients.push_back(id);
    sealed.push_back(crypto::SealTo(Bv(d.seal), Bv(plain)));
  }
  Scrub(plain);
  // The key is kept before the change that hands it out commits: a key kept for a change
  // that then fails is never used.
  std::vector<store::VaultKey> kept;
  kept.push_back(std::move(fresh));
  PARLEY_RETURN_IF_ERROR(AddEpochKeys(std::move(kept)));
  PARLEY_RETURN_IF_ERROR(tx.NewEpoch(epoch, recipients, sealed, shared, check));
  return epoch;
}

Status ReplicaImpl::Revoke(std::string_view identity) {
  PARLEY_RETURN_IF_ERROR(CheckAdmin());
  if (identity == author(self_id_).key) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "a device cannot revoke itself; revoke it from another admin device (or wipe it)");
  }
  PARLEY_ASSIGN_OR_RETURN(const DeviceMembership* d, CurrentMember(identity));
  if (d->admin &&
      (membership_.AdminCount() == 1 || (!d->recovery && membership_.DeviceAdminCount() == 1))) {
    return Error(Domain::kLog, Code::kConflict, "the vault's last admin cannot be revoked");
  }
  std::uint64_t after_seq = 0;
  if (const std::int64_t aid = FindAuthor(identity); aid != 0) {
    Scoped g(st.max_seq);
    st.max_seq.Bind(1, aid);
    PARLEY_ASSIGN_OR_RETURN(bool row, st.max_seq.Step());
    if (row) after_seq = static_cast<std::uint64_t>(st.max_seq.Int(0));
  }
  PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
  PARLEY_RETURN_IF_ERROR(tx->RevokeMember(identity, after_seq));
  PARLEY_RETURN_IF_ERROR(StartEpoch(*tx, identity).status());
  return tx->Commit().status();
}

bool ReplicaImpl::Revoked() const {
  if (self_id_ == 0) return false;
  const DeviceMembership* d = membership_.Find(author(self_id_).key);
  return d != nullptr && d->revoked;
}

Result<bool> ReplicaImpl::HealEpoch() {
  if (!HasVault() || Revoked() || !membership_.IsAdmin(author(self_id_).key)) return false;
  // Heal when the current key reached a revoked device, or when a member was never handed
  // a key this device holds (it can hand that one out).
  bool heal = membership_.reaches_revoked;
  for (std::uint32_t e : membership_.uncovered) heal = heal || EpochKey(e) != nullptr;
  if (!heal) return false;
  PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
  PARLEY_RETURN_IF_ERROR(StartEpoch(*tx, {}).status());
  PARLEY_RETURN_IF_ERROR(tx->Commit().status());
  return true;
}

Result<InviteMade> ReplicaImpl::InviteDevice(std::string_view pairing_code, InviteRole role) {
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
    return Error(
        Domain::kLog, Code::kInvalidArgument,
        "that pairing code is from an older version of Parley and carries no enrolment secret; "
        "update the new device and show its pairing code again");
  }
  if (std::all_of(info.secret.begin(), info.secret.end(), [](std::uint8_t b) { return b == 0; })) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "that pairing code is of a device that already belongs to a vault");
  }
  const std::string recipient(info.identity.begin(), info.identity.end());
  if (const DeviceMembership* d = membership_.Find(recipient); d != nullptr && d->revoked) {
    return Error(Domain::kLog, Code::kPermissionDenied,
                 "that device was revoked from this vault and cannot join it again; wipe it and "
                 "enrol it afresh");
  }
  if (const std::int64_t known = FindAuthor(recipient);
      known != 0 && author(known).role != kRoleNone) {
    return Error(
        Domain::kLog, Code::kAlreadyExists,
        "that device is already a member of this vault" +
            (author(known).name.empty() ? std::string() : " (as \"" + author(known).name + "\")"));
  }
  PARLEY_ASSIGN_OR_RETURN(VaultIdentity identity, GetVaultIdentity(*this));
  if (identity.nonce.size() != 32) {
    return Error(
        Domain::kLog, Code::kUnsupported,
        "this device cannot show how the vault's id was derived (a vault made before derived ids, "
        "or joined before invites carried the nonce); invite from the founding device");
  }
  {
    PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
    std::vector<std::uint32_t> epochs;
    for (const store::VaultKey& k : store_.vault()->epochs) epochs.push_back(k.epoch);
    PARLEY_RETURN_IF_ERROR(tx->AddMember(
        info.identity, info.kx, role.admin || role.recovery ? kRoleAdmin : kRoleMember, info.name,
        info.seal, info.seal_cert, epochs, role.recovery));
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
    for (const store::VaultKey* kp : EpochKeysByNumber()) {
      const store::VaultKey& k = *kp;
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
  PARLEY_RETURN_IF_ERROR(s.Prepare(
      db_,
      "SELECT header, body, signature FROM log_changes WHERE membership = 1 ORDER BY author, seq"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    pb::Change* c = body.add_membership();
    c->set_header(std::string(AsText(s.Blob(0))));
    c->set_body(std::string(AsText(s.Blob(1))));
    c->set_signature(std::string(AsText(s.Blob(2))));
  }
  pb::Invite invite;
  if (!body.SerializeToString(invite.mutable_body()))
    return Error(Domain::kLog, Code::kInternal, "encoding invite");
  crypto::Bytes sig =
      crypto::Sign(store_.device().identity.secret_key, InviteSignedMessage(invite.body()));
  invite.set_signature(sig.data(), sig.size());
  const crypto::Hash mac = InviteMac(info.secret, invite.body(), invite.signature());
  invite.set_mac(mac.data(), mac.size());
  std::string out;
  if (!invite.SerializeToString(&out))
    return Error(Domain::kLog, Code::kInternal, "encoding invite");
  InviteMade made;
  made.invite.assign(out.begin(), out.end());
  made.safety_code =
      SafetyCode(Bv(vault_id_), Bv(author(self_id_).key), info.identity, info.secret);
  return made;
}

Result<Joined> ReplicaImpl::JoinVault(std::span<const std::uint8_t> blob) {
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is open");
  // A device restored from a backup holds the vault's keys and history and still its
  // enrolment secret, but is not a member: it may join that vault (docs/backup-format.md).
  const bool restored =
      store_.vault().has_value() && store_.device().enrol_secret.size() == store::kEnrolSecretSize;
  if (store_.vault().has_value() && !restored) {
    return Error(Domain::kLog, Code::kAlreadyExists,
                 "this device already belongs to vault \"" + store_.vault()->name +
                     "\"; a device belongs to one vault (join another from a new data directory)");
  }
  PARLEY_ASSIGN_OR_RETURN(CheckedInvite checked, CheckInvite(blob, store_.device()));
  if (restored) {
    PARLEY_RETURN_IF_ERROR(RevalidateCaches());
    if (!crypto::ConstantTimeEqual(crypto::AsBytes(checked.vault), store_.vault()->vault_id)) {
      return Error(Domain::kLog, Code::kAlreadyExists,
                   "this device was restored from a backup of vault \"" + store_.vault()->name +
                       "\" and can join only that vault");
    }
    if (author(self_id_).role != kRoleNone) {
      return Error(Domain::kLog, Code::kAlreadyExists,
                   "this device is already a member of the vault");
    }
    // The keys the backup brought and those the invite brings, each epoch once.
    for (const store::VaultKey& held : store_.vault()->epochs) {
      if (checked.keys.Epoch(held.epoch) == nullptr) {
        checked.keys.epochs.push_back(
            store::VaultKey{held.epoch, crypto::SecretBytes::Copy(held.key.view())});
      }
    }
    std::sort(checked.keys.epochs.begin(), checked.keys.epochs.end(),
              [](const store::VaultKey& a, const store::VaultKey& b) { return a.epoch < b.epoch; });
  }
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
