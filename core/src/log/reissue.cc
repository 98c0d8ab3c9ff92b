// A device restored from an older copy of its data (docs/change-format.md, "A restored
// device").
//
// Such a device numbers its next change after the newest one the copy held, while its
// chain had already moved on elsewhere (the relay holds the changes it wrote after the
// copy was made). When a change of its own arrives that differs from the one it holds with
// that number, and the arriving one is signed by its own key, the device's own changes from
// that number on are set aside (kept in log_set_aside, removed from the chain, records
// rebuilt without them), the arriving chain is taken, and after the pull the set-aside
// changes are written again as new changes on top of the chain: their operations survive,
// with references between them renumbered. Nothing forks and nothing is lost.
#include <cstring>
#include <map>

#include "log/change_codec.h"
#include "log/replica_impl.h"
#include "log/transaction.h"

namespace parley::log {
namespace {

std::string_view AsText(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

Result<std::uint64_t> ReplicaImpl::OwnForkIn(std::span<const pb::Change> changes) {
  const std::string& self = author(self_id_).key;
  std::uint64_t from = 0;
  for (const pb::Change& c : changes) {
    pb::ChangeHeader h;
    if (!h.ParseFromString(c.header()) || h.author() != self || h.seq() == 0) continue;
    PARLEY_ASSIGN_OR_RETURN(auto held, Held(self_id_, h.seq()));
    if (!held.has_value()) continue;
    auto form = CheckChangeForm(c, crypto::AsBytes(vault_id_));
    if (!form.ok() || form->id == held->id) continue;
    // Only a change this device's own key signed shows that its chain moved on.
    if (!VerifyChangeSignature(c, *form).ok()) continue;
    if (from == 0 || h.seq() < from) from = h.seq();
  }
  return from;
}

Result<std::size_t> ReplicaImpl::SetAsideOwnFrom(std::uint64_t from) {
  Stmt keep, drop_seen, drop, chain, count;
  PARLEY_RETURN_IF_ERROR(keep.Prepare(
      db_,
      "INSERT INTO log_set_aside(seq, header, body, signature) SELECT seq, header, "
      "body, signature FROM log_changes WHERE author = ?1 AND seq >= ?2 ORDER BY seq"));
  PARLEY_RETURN_IF_ERROR(keep.Bind(1, self_id_).Bind(2, static_cast<std::int64_t>(from)).Run());
  PARLEY_RETURN_IF_ERROR(
      drop_seen.Prepare(db_, "DELETE FROM log_seen WHERE author = ?1 AND seq >= ?2"));
  PARLEY_RETURN_IF_ERROR(
      drop_seen.Bind(1, self_id_).Bind(2, static_cast<std::int64_t>(from)).Run());
  // Their kept key slots go with them (a reissued change seals fresh ones): a row id may be
  // reused by a later change.
  Stmt drop_slots;
  PARLEY_RETURN_IF_ERROR(drop_slots.Prepare(db_,
                                            "DELETE FROM log_slots WHERE cid IN (SELECT cid FROM "
                                            "log_changes WHERE author = ?1 AND seq >= ?2)"));
  PARLEY_RETURN_IF_ERROR(
      drop_slots.Bind(1, self_id_).Bind(2, static_cast<std::int64_t>(from)).Run());
  PARLEY_RETURN_IF_ERROR(
      drop.Prepare(db_, "DELETE FROM log_changes WHERE author = ?1 AND seq >= ?2"));
  PARLEY_RETURN_IF_ERROR(drop.Bind(1, self_id_).Bind(2, static_cast<std::int64_t>(from)).Run());
  const auto moved = static_cast<std::int64_t>(sqlite3_changes(db_));
  PARLEY_RETURN_IF_ERROR(
      chain.Prepare(db_,
                    "UPDATE log_authors SET max_seq = (SELECT COALESCE(max(seq), 0) FROM "
                    "log_changes WHERE author = ?1), held = (SELECT count(*) FROM log_changes "
                    "WHERE author = ?1), contig = min(contig, ?2) WHERE id = ?1"));
  PARLEY_RETURN_IF_ERROR(
      chain.Bind(1, self_id_).Bind(2, static_cast<std::int64_t>(from - 1)).Run());
  PARLEY_RETURN_IF_ERROR(
      count.Prepare(db_,
                    "INSERT INTO log_meta(k, v) VALUES ('set_aside_total', ?1) ON CONFLICT(k) "
                    "DO UPDATE SET v = v + ?1"));
  PARLEY_RETURN_IF_ERROR(count.Bind(1, moved).Run());
  // The records are rebuilt from what remains.
  PARLEY_RETURN_IF_ERROR(Rematerialize());
  std::size_t applied = 0;
  PARLEY_RETURN_IF_ERROR(Settle({}, /*membership_dirty=*/true, &applied));
  return static_cast<std::size_t>(moved);
}

namespace {

// The header, body and signature of a change, from three consecutive result columns.
pb::Change ChangeFromColumns(Stmt& q, int first) {
  pb::Change c;
  c.set_header(std::string(AsText(q.Blob(first))));
  c.set_body(std::string(AsText(q.Blob(first + 1))));
  c.set_signature(std::string(AsText(q.Blob(first + 2))));
  return c;
}

}  // namespace

Result<std::size_t> ReplicaImpl::WriteAgain(std::vector<HeldChange>& held, MissingKey missing) {
  std::map<std::uint64_t, std::uint64_t> renumbered;  // old seq -> new seq
  std::size_t written = 0;
  for (HeldChange& h : held) {
    pb::ChangeHeader header;
    if (!header.ParseFromString(h.change.header()))
      return Error(Domain::kLog, Code::kCorrupt, "a held change");
    const store::VaultKey* key = EpochKey(header.epoch());
    if (key == nullptr) {
      if (missing == MissingKey::kStop) break;  // kept until its key is here
      continue;                                 // not readable here: nothing to write again
    }
    PARLEY_ASSIGN_OR_RETURN(pb::ChangeBody body, OpenBody(h.change, header, key->key.view()));
    PARLEY_ASSIGN_OR_RETURN(auto tx, BeginLocal(/*require_member=*/true));
    renumbered[h.seq] = tx->seq();
    PARLEY_RETURN_IF_ERROR(tx->Reissue(body, renumbered));
    PARLEY_RETURN_IF_ERROR(h.written());
    PARLEY_RETURN_IF_ERROR(tx->Commit().status());
    ++written;
  }
  return written;
}

Result<std::size_t> ReplicaImpl::ReissueSetAside() {
  std::vector<HeldChange> held;
  {
    Stmt q;
    PARLEY_RETURN_IF_ERROR(q.Prepare(
        db_, "SELECT n, seq, header, body, signature FROM log_set_aside ORDER BY seq, n"));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      const std::int64_t n = q.Int(0);
      held.push_back(
          {static_cast<std::uint64_t>(q.Int(1)), ChangeFromColumns(q, 2), [this, n]() -> Status {
             Stmt del;
             PARLEY_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM log_set_aside WHERE n = ?1"));
             return del.Bind(1, n).Run();
           }});
    }
  }
  PARLEY_ASSIGN_OR_RETURN(std::size_t written, WriteAgain(held, MissingKey::kStop));
  if (written > 0) {
    Stmt count;
    PARLEY_RETURN_IF_ERROR(
        count.Prepare(db_,
                      "INSERT INTO log_meta(k, v) VALUES ('reissued_total', ?1) ON CONFLICT(k) "
                      "DO UPDATE SET v = v + ?1"));
    PARLEY_RETURN_IF_ERROR(count.Bind(1, static_cast<std::int64_t>(written)).Run());
  }
  return written;
}

Result<std::size_t> ReplicaImpl::RewriteVoidEpochChanges() {
  if (membership_.void_epochs.empty() || Revoked() || author(self_id_).role == kRoleNone)
    return std::size_t{0};
  std::vector<HeldChange> held;
  {
    Stmt q;
    PARLEY_RETURN_IF_ERROR(q.Prepare(
        db_,
        "SELECT c.seq, 'void_epoch_rewritten/' || hex(c.id), c.header, c.body, c.signature, "
        "c.epoch "
        "FROM log_changes c "
        "WHERE c.author = ?1 AND c.pending AND c.membership != 3 AND NOT EXISTS (SELECT 1 "
        "FROM log_meta m WHERE m.k = 'void_epoch_rewritten/' || hex(c.id)) ORDER BY c.seq"));
    q.Bind(1, self_id_);
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (membership_.void_epochs.count(static_cast<std::uint32_t>(q.Int(5))) == 0) continue;
      std::string done(q.Text(1));  // the log_meta key marking it written again
      held.push_back({static_cast<std::uint64_t>(q.Int(0)), ChangeFromColumns(q, 2),
                      [this, done = std::move(done)] { return SetMeta(done, "1"); }});
    }
  }
  return WriteAgain(held, MissingKey::kSkip);
}

Status LocalTransaction::Reissue(const pb::ChangeBody& old,
                                 const std::map<std::uint64_t, std::uint64_t>& renumbered) {
  PARLEY_RETURN_IF_ERROR(Usable());
  if (body_.ops_size() != 0)
    return Error(Domain::kLog, Code::kInternal, "a reissued change is written alone");
  body_.mutable_authors()->CopyFrom(old.authors());
  for (int i = 0; i < body_.authors_size(); ++i) {
    author_index_[r_.FindAuthor(body_.authors(i))] = static_cast<std::uint32_t>(i + 1);
  }
  body_.mutable_ops()->CopyFrom(old.ops());
  auto renumber = [&](google::protobuf::RepeatedPtrField<pb::OpId>* ids) {
    for (pb::OpId& id : *ids) {
      if (id.author() != 0) continue;
      if (auto it = renumbered.find(id.seq()); it != renumbered.end()) id.set_seq(it->second);
    }
  };
  for (int i = 0; i < body_.ops_size(); ++i) {
    pb::Op& op = *body_.mutable_ops(i);
    switch (op.kind_case()) {
      case pb::Op::kCreate: {
        renumber(op.mutable_create()->mutable_supersedes());
        if (op.create().key_slot().empty()) break;
        // A fresh slot for the record's key, under the key this change is sealed with; none
        // when the key is gone (the record was purged meanwhile).
        RecordId record{};
        if (op.record().size() == record.size())
          std::memcpy(record.data(), op.record().data(), record.size());
        PARLEY_ASSIGN_OR_RETURN(std::optional<RecordKeyBytes> key, r_.RecordKey(record));
        if (key.has_value()) {
          pending_slots_.push_back({i, record});
        } else {
          op.mutable_create()->clear_key_slot();
        }
        break;
      }
      case pb::Op::kSet:
        renumber(op.mutable_set()->mutable_supersedes());
        break;
      case pb::Op::kRemove:
        renumber(op.mutable_remove()->mutable_supersedes());
        break;
      default:
        membership_ = true;
        break;
    }
  }
  // The ops are applied here with the clock of this change (Commit sets it in the body too).
  body_.set_hlc(hlc_);
  return Poison(r_.ApplyBody(r_.self_id(), seq_, body_));
}

}  // namespace parley::log
