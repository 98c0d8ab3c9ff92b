#include "log/transaction.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "log/change_codec.h"
#include "log/record_identity.h"
#include "log/record_keys.h"
#include "log/tuning.h"

namespace parley::log {
namespace {
crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }
std::string_view RecordBytes(const RecordId& id) {
  return {reinterpret_cast<const char*>(id.data()), id.size()};
}
}  // namespace

Result<std::unique_ptr<Transaction>> ReplicaImpl::Begin() {
  PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
  return std::unique_ptr<Transaction>(std::move(tx));
}

Result<std::unique_ptr<LocalTransaction>> ReplicaImpl::BeginLocal(bool require_member) {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  if (!HasVault())
    return Error(Domain::kLog, Code::kNotFound, "no vault: create one or accept an invite first");
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is already open");
  if (require_member && author(self_id_).role == kRoleNone) {
    if (Revoked())
      return Error(Domain::kLog, Code::kPermissionDenied, "this device was revoked from the vault");
    return Error(Domain::kLog, Code::kPermissionDenied,
                 "this device is not (yet) a member of the vault");
  }
  PARLEY_ASSIGN_OR_RETURN(ImmediateTransaction tx, ImmediateTransaction::Begin(db_, Domain::kLog));
  Status st_ok = RevalidateCaches();
  std::uint64_t seq = 0;
  if (st_ok.ok()) {
    Stmt& s = st.max_seq;
    s.Bind(1, self_id_);
    auto row = s.Step();
    if (!row.ok()) st_ok = row.status();
    if (row.ok() && *row) seq = static_cast<std::uint64_t>(s.Int(0));
    s.Reset();
  }
  std::string prev;
  if (st_ok.ok() && seq > 0) {
    auto held = Held(self_id_, seq);
    if (!held.ok()) st_ok = held.status();
    if (held.ok() && held->has_value())
      prev.assign(reinterpret_cast<const char*>((*held)->link.data()), 32);
  }
  if (st_ok.ok() && seq + 1 > kMaxSeq) {
    st_ok = Error(Domain::kLog, Code::kUnsupported,
                  "this device has written the most changes a device can");
  }
  std::uint64_t hlc = 0;
  if (st_ok.ok()) {
    auto now = hlc_.Now();  // refuses rather than wraps at the end of the clock's range
    if (now.ok()) hlc = *now;
    if (!now.ok()) st_ok = now.status();
  }
  if (!st_ok.ok()) {
    (void)tx.Rollback();
    (void)ReloadAfterRollback();
    return st_ok;
  }
  tx_open_ = true;
  return std::make_unique<LocalTransaction>(*this, std::move(tx), hlc, seq + 1, std::move(prev));
}

namespace {
google::protobuf::ArenaOptions BodyArenaOptions() {
  google::protobuf::ArenaOptions o;
  o.start_block_size = 16 << 10;
  o.max_block_size = 1 << 20;
  return o;
}
}  // namespace

LocalTransaction::LocalTransaction(ReplicaImpl& replica, ImmediateTransaction tx, std::uint64_t hlc,
                                   std::uint64_t seq, std::string prev)
    : r_(replica),
      tx_(std::move(tx)),
      arena_(BodyArenaOptions()),
      body_(*google::protobuf::Arena::CreateMessage<pb::ChangeBody>(&arena_)),
      hlc_(hlc),
      seq_(seq),
      prev_(std::move(prev)) {}

LocalTransaction::~LocalTransaction() {
  if (!done_) {
    (void)tx_.Rollback();
    (void)r_.ReloadAfterRollback();
    r_.set_tx_open(false);
  }
}

Status LocalTransaction::Usable() const {
  if (done_) return Error(Domain::kLog, Code::kInvalidArgument, "the transaction is finished");
  if (!failed_.ok()) return failed_;
  if (static_cast<std::uint64_t>(body_.ops_size()) >= kMaxOpsPerChange) {
    return Error(Domain::kLog, Code::kInvalidArgument, "too many operations in one change");
  }
  return Status::Ok();
}

Status LocalTransaction::Poison(Status s) {
  if (!s.ok() && failed_.ok()) failed_ = s;
  return s;
}

std::int64_t LocalTransaction::NextOpKey() const {
  return PackOpKey(static_cast<std::uint64_t>(r_.self_id()), seq_,
                   static_cast<std::uint64_t>(body_.ops_size()));
}

void LocalTransaction::AddOpIds(std::span<const std::int64_t> keys,
                                google::protobuf::RepeatedPtrField<pb::OpId>* out) {
  for (std::int64_t k : keys) {
    const auto author = static_cast<std::int64_t>(OpKeyAuthor(k));
    std::uint32_t a = 0;
    if (author != r_.self_id()) {
      auto it = author_index_.find(author);
      if (it == author_index_.end()) {
        body_.add_authors(r_.author(author).key);
        it = author_index_.emplace(author, static_cast<std::uint32_t>(body_.authors_size())).first;
      }
      a = it->second;
    }
    pb::OpId* id = out->Add();
    id->set_author(a);
    id->set_seq(OpKeySeq(k));
    id->set_index(static_cast<std::uint32_t>(OpKeyIndex(k)));
  }
}

Status LocalTransaction::TakeLive(std::int64_t rid, const std::string_view* field) {
  PARLEY_RETURN_IF_ERROR(r_.TakeLiveOps(rid, field, &live_));
  std::sort(live_.begin(), live_.end());  // the body lists them in key order
  return Status::Ok();
}

Result<std::int64_t> LocalTransaction::KnownRecord(const RecordId& record) {
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, r_.CreatedRecord(record));
  if (rid == 0) return Error(Domain::kLog, Code::kNotFound, "no record " + ToString(record));
  return rid;
}

Result<RecordId> LocalTransaction::Create(std::string_view type) {
  PARLEY_RETURN_IF_ERROR(Usable());
  if (type.empty() || type.size() > kMaxNameSize) {
    return Error(Domain::kLog, Code::kInvalidArgument, "a record type is 1 to 256 bytes");
  }
  // The id is bound to this device: derived from its identity key and a random origin.
  std::array<std::uint8_t, kRecordOriginSize> origin{};
  crypto::RandomBytes(origin);
  const std::string_view origin_bytes(reinterpret_cast<const char*>(origin.data()), origin.size());
  const auto& self = r_.store().device().identity.public_key;
  const RecordId id = DeriveRecordId(
      std::string_view(reinterpret_cast<const char*>(self.data()), self.size()), origin_bytes);
  auto rid = r_.InternRecord(RecordBytes(id));
  if (!rid.ok()) return Poison(rid.status());
  // The record's key: its slot is sealed at Commit (docs/change-format.md, "Record keys").
  {
    const RecordKeyBytes key = RecordKeyBytes::Random();
    Stmt k;
    PARLEY_RETURN_IF_ERROR(Poison(k.Prepare(r_.db(),
                                            "INSERT OR REPLACE INTO log_record_keys(record, key, "
                                            "cid, slot_hash) VALUES (?1, ?2, 0, x'')")));
    PARLEY_RETURN_IF_ERROR(Poison(
        k.BindBlob(1, crypto::ByteView(id.data(), id.size())).BindBlob(2, key.view()).Run()));
  }
  pending_slots_.push_back({body_.ops_size(), id});
  PARLEY_RETURN_IF_ERROR(Poison(r_.WriteOp(NextOpKey(), *rid, kOpCreate, "", type, hlc_, {})));
  pb::Op* op = body_.add_ops();
  op->set_record(id.data(), id.size());
  op->mutable_create()->set_type(std::string(type));
  op->mutable_create()->set_origin(origin_bytes.data(), origin_bytes.size());
  return id;
}

Status LocalTransaction::Set(const RecordId& record, std::string_view field,
                             std::string_view value) {
  PARLEY_RETURN_IF_ERROR(Usable());
  if (field.empty() || field.size() > kMaxNameSize) {
    return Error(Domain::kLog, Code::kInvalidArgument, "a field name is 1 to 256 bytes");
  }
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, KnownRecord(record));
  // The value is sealed under the record's key.
  PARLEY_ASSIGN_OR_RETURN(std::optional<RecordKeyBytes> key, r_.RecordKey(record));
  if (!key.has_value()) {
    return Error(Domain::kLog, Code::kUnsupported,
                 "the key of record " + ToString(record) +
                     " is not held here (its key slot did not arrive)");
  }
  const std::string sealed = SealValue(key->view(), record, field, value);
  PARLEY_RETURN_IF_ERROR(Poison(TakeLive(rid, &field)));
  PARLEY_RETURN_IF_ERROR(Poison(r_.WriteOp(NextOpKey(), rid, kOpSet, field, sealed, hlc_, {})));
  pb::Op* op = body_.add_ops();
  op->set_record(record.data(), record.size());
  pb::SetField* set = op->mutable_set();
  set->set_field(field.data(), field.size());
  set->set_value(sealed);
  AddOpIds(live_, set->mutable_supersedes());
  return Status::Ok();
}

Status LocalTransaction::Delete(const RecordId& record) {
  PARLEY_RETURN_IF_ERROR(Usable());
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, KnownRecord(record));
  // The tombstone supersedes every value seen.
  PARLEY_RETURN_IF_ERROR(Poison(TakeLive(rid, nullptr)));
  PARLEY_RETURN_IF_ERROR(Poison(r_.WriteOp(NextOpKey(), rid, kOpDelete, "", {}, hlc_, {})));
  pb::Op* op = body_.add_ops();
  op->set_record(record.data(), record.size());
  AddOpIds(live_, op->mutable_remove()->mutable_supersedes());
  return Status::Ok();
}

Status LocalTransaction::Restore(const RecordId& record) {
  PARLEY_RETURN_IF_ERROR(Usable());
  std::string type;
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, r_.FindRecord(record, &type));
  if (rid == 0 || type.empty())
    return Error(Domain::kLog, Code::kNotFound, "no record " + ToString(record));
  const std::string_view existence;  // the existence register only
  PARLEY_RETURN_IF_ERROR(Poison(TakeLive(rid, &existence)));
  // A restore carries no origin and never sets the type (an empty value to WriteOp).
  PARLEY_RETURN_IF_ERROR(Poison(r_.WriteOp(NextOpKey(), rid, kOpCreate, "", {}, hlc_, {})));
  pb::Op* op = body_.add_ops();
  op->set_record(record.data(), record.size());
  op->mutable_create()->set_type(type);
  AddOpIds(live_, op->mutable_create()->mutable_supersedes());
  return Status::Ok();
}

Status LocalTransaction::Purge(const RecordId& record) {
  PARLEY_RETURN_IF_ERROR(Usable());
  pb::Op* op = body_.add_ops();
  op->set_record(record.data(), record.size());
  op->mutable_purge();
  membership_ = true;  // evaluated by the membership rules (membership_rules.h)
  return Status::Ok();
}

Status LocalTransaction::AddMember(crypto::ByteView identity, crypto::ByteView kx, int role,
                                   std::string_view name, crypto::ByteView seal,
                                   crypto::ByteView seal_certificate,
                                   const std::vector<std::uint32_t>& epochs, bool recovery) {
  PARLEY_RETURN_IF_ERROR(Usable());
  pb::Op* op = body_.add_ops();
  pb::AddMember* m = op->mutable_add_member();
  m->set_identity(identity.data(), identity.size());
  m->set_kx_public(kx.data(), kx.size());
  m->set_role(role == kRoleAdmin ? "admin" : "member");
  if (!seal.empty()) m->set_seal_public(seal.data(), seal.size());
  if (!seal_certificate.empty())
    m->set_seal_certificate(seal_certificate.data(), seal_certificate.size());
  m->set_name(std::string(name.substr(0, std::min<std::size_t>(name.size(), kMaxNameSize))));
  for (std::uint32_t e : epochs) m->add_epochs(e);
  if (recovery) m->set_recovery(true);
  membership_ = true;
  return Status::Ok();
}

Status LocalTransaction::SetRole(std::string_view identity, bool admin) {
  PARLEY_RETURN_IF_ERROR(Usable());
  pb::SetRole* op = body_.add_ops()->mutable_set_role();
  op->set_identity(std::string(identity));
  op->set_role(admin ? "admin" : "member");
  membership_ = true;
  return Status::Ok();
}

Status LocalTransaction::RevokeMember(std::string_view identity, std::uint64_t after_seq) {
  PARLEY_RETURN_IF_ERROR(Usable());
  pb::RevokeMember* op = body_.add_ops()->mutable_revoke_member();
  op->set_identity(std::string(identity));
  op->set_after_seq(after_seq);
  membership_ = true;
  return Status::Ok();
}

Status LocalTransaction::NewEpoch(std::uint32_t epoch, const std::vector<std::string>& recipients,
                                  const std::vector<crypto::Bytes>& sealed,
                                  const std::vector<std::uint32_t>& shared,
                                  crypto::ByteView key_check) {
  PARLEY_RETURN_IF_ERROR(Usable());
  pb::NewEpoch* op = body_.add_ops()->mutable_new_epoch();
  op->set_epoch(epoch);
  for (std::size_t i = 0; i < recipients.size() && i < sealed.size(); ++i) {
    pb::EpochKeyFor* k = op->add_keys();
    k->set_recipient(recipients[i]);
    k->set_sealed(sealed[i].data(), sealed[i].size());
  }
  for (std::uint32_t e : shared) op->add_epochs(e);
  op->set_key_check(key_check.data(), key_check.size());
  membership_ = true;
  return Status::Ok();
}

Result<ChangeId> LocalTransaction::Commit() {
  if (done_) return Error(Domain::kLog, Code::kInvalidArgument, "the transaction is finished");
  Status s = failed_;
  if (s.ok() && body_.ops_size() == 0)
    s = Error(Domain::kLog, Code::kInvalidArgument, "nothing to commit");
  const store::VaultKey* key = r_.WriteKey();
  if (s.ok() && key == nullptr) s = Error(Domain::kLog, Code::kNotFound, "no vault key");
  pb::Change change;
  ChangeId id{};
  pb::ChangeHeader header;
  if (s.ok()) {
    body_.set_hlc(hlc_);
    body_.set_device_name(r_.store().device().name);
    s = r_.AddSeen(&body_);
  }
  // Each new record's key, in a slot sealed under the key the body is sealed with; the
  // create commits to the slot's hash.
  std::vector<std::string> slots;
  for (const PendingSlot& ps : pending_slots_) {
    if (!s.ok()) break;
    auto record_key = r_.RecordKey(ps.record);
    if (!record_key.ok()) {
      s = record_key.status();
      break;
    }
    if (!record_key->has_value()) {
      body_.mutable_ops(ps.op)->mutable_create()->clear_key_slot();
      continue;
    }
    std::string slot = SealKeySlot(key->key.view(), ps.record, (*record_key)->view());
    body_.mutable_ops(ps.op)->mutable_create()->set_key_slot(KeySlotHash(slot));
    slots.push_back(std::move(slot));
  }
  if (s.ok()) {
    SealParams p;
    p.vault = Bv(r_.vault_id());
    p.author = &r_.store().device().identity;
    p.seq = seq_;
    p.prev = Bv(prev_);
    p.epoch = key->epoch;
    p.epoch_key = key->key.view();
    s = SealChange(p, body_, &change, &id);
    for (const std::string& slot : slots) change.add_key_slots(slot);
  }
  if (s.ok() && r_.change_size_limit() > 0 && change.ByteSizeLong() > r_.change_size_limit()) {
    // Said before committing: a change no relay of this device would take would block
    // every later change of this device there (docs/sync-client.md, "Change size").
    s = Error(Domain::kLog, Code::kInvalidArgument,
              "this change is " + std::to_string(change.ByteSizeLong()) +
                  " bytes, more than a relay of this device accepts (" +
                  std::to_string(r_.change_size_limit()) + "): split it into smaller changes");
  }
  if (s.ok() && !header.ParseFromString(change.header()))
    s = Error(Domain::kLog, Code::kInternal, "header");
  if (s.ok()) {
    s = r_.InsertChange(r_.self_id(), seq_, id, header, change, hlc_, false,
                        membership_ ? kMembershipOps : kMembershipNone);
  }
  if (s.ok() && !slots.empty()) {
    const std::int64_t cid = sqlite3_last_insert_rowid(r_.db());
    s = r_.StoreSlots(cid, ReplicaImpl::JoinSlots(change));
    Stmt k;
    if (s.ok())
      s = k.Prepare(r_.db(),
                    "UPDATE log_record_keys SET cid = ?1, slot_hash = ?2 WHERE record = ?3");
    for (const PendingSlot& ps : pending_slots_) {
      if (!s.ok()) break;
      const pb::CreateRecord& c = body_.ops(ps.op).create();
      if (c.key_slot().empty()) continue;
      k.Reset();
      k.Bind(1, cid)
          .BindBlob(2, crypto::AsBytes(c.key_slot()))
          .BindBlob(3, crypto::ByteView(ps.record.data(), 16));
      s = k.Run();
    }
  }
  if (s.ok()) s = r_.RecordSeen(r_.self_id(), seq_, body_);
  if (s.ok() && membership_) s = r_.RecomputeMembership();
  if (s.ok()) s = r_.SaveClock();
  if (s.ok()) s = r_.FlushTextIndex();
  if (s.ok()) s = tx_.Commit();  // rolls back itself when the commit fails
  done_ = true;
  r_.set_tx_open(false);
  if (!s.ok()) {
    (void)tx_.Rollback();
    (void)r_.ReloadAfterRollback();
    return s;
  }
  return id;
}

}  // namespace parley::log
