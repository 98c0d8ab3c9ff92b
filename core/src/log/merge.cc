// The register semantics shared by local and remote operations.
//
// A field (and a record's existence) is a multi-value register. Each op names the ops it
// supersedes; an op survives ("live") unless some held op of the same record names it.
// Supersession of an op that is not held yet is remembered in log_superseded, so the op is
// dead on arrival: the live set depends only on the set of ops held, not on their order.
//
// Writes per op: one appended log_ops row, one log_live row (unless dead on arrival), one
// log_live row removed per superseded live op, and the record's chain head. log_superseded
// is touched only for ops named before they arrive.
#include <cstring>

#include "log/replica_impl.h"
#include "log/tuning.h"

namespace parley::log {

Status ReplicaImpl::Supersede(std::int64_t s, std::int64_t rid) {
  {
    // Usually `s` is a live op of this record: one delete does it.
    Scoped g(st.kill_live);
    PARLEY_RETURN_IF_ERROR(st.kill_live.Bind(1, rid).Bind(2, s).Run());
  }
  if (sqlite3_changes(db_) > 0) return Status::Ok();
  bool held = false;
  {
    Scoped g(st.op_held);
    st.op_held.Bind(1, s);
    PARLEY_ASSIGN_OR_RETURN(held, st.op_held.Step());
  }
  // Held: already dead, or of another record (then not affected). Either way nothing to do.
  if (held) return Status::Ok();
  Scoped g(st.insert_superseded);
  PARLEY_RETURN_IF_ERROR(st.insert_superseded.Bind(1, s).Bind(2, rid).Run());
  superseded_rows_ += sqlite3_changes(db_);
  return Status::Ok();
}

Status ReplicaImpl::WriteOp(std::int64_t op, std::int64_t rid, int kind, std::string_view field,
                            std::string_view value, std::uint64_t hlc,
                            std::span<const std::int64_t> supersedes) {
  MarkText(rid);  // its text index rows are rebuilt before the commit (text_index.cc)
  for (std::int64_t s : supersedes) PARLEY_RETURN_IF_ERROR(Supersede(s, rid));
  bool dead = false;
  if (superseded_rows_ > 0) {
    Scoped g(st.check_superseded);
    st.check_superseded.Bind(1, op).Bind(2, rid);
    PARLEY_ASSIGN_OR_RETURN(dead, st.check_superseded.Step());
  }
  if (dead) {
    Scoped g(st.delete_superseded);
    PARLEY_RETURN_IF_ERROR(st.delete_superseded.Bind(1, op).Bind(2, rid).Run());
    --superseded_rows_;
  }
  PARLEY_ASSIGN_OR_RETURN(std::int64_t prev, LastOp(rid));
  {
    Scoped g(st.insert_op);
    Stmt& s = st.insert_op;
    s.Bind(1, op).Bind(2, rid).Bind(3, std::int64_t{kind});
    BindTextView(s, 4, field);
    if (kind == kOpDelete) {
      s.BindNull(5);
    } else {
      BindBlobView(s, 5, value);
    }
    s.Bind(6, static_cast<std::int64_t>(hlc)).Bind(7, prev);
    PARLEY_RETURN_IF_ERROR(s.Run());
  }
  if (!dead) {
    Scoped g(st.insert_live);
    BindTextView(st.insert_live, 2, field);
    PARLEY_RETURN_IF_ERROR(st.insert_live.Bind(1, rid).Bind(3, op).Run());
  }
  {
    Scoped g(st.set_last_op);
    PARLEY_RETURN_IF_ERROR(st.set_last_op.Bind(1, rid).Bind(2, op).Run());
    last_ops_[rid] = op;
  }
  if (kind == kOpCreate && !value.empty()) {  // an originating create; a restore has no type
    Scoped g(st.update_record_type);
    PARLEY_RETURN_IF_ERROR(st.update_record_type.Bind(1, rid)
                               .Bind(2, value)
                               .Bind(3, static_cast<std::int64_t>(hlc))
                               .Run());
  }
  return Status::Ok();
}

Result<std::int64_t> ReplicaImpl::LastOp(std::int64_t rid) {
  if (auto it = last_ops_.find(rid); it != last_ops_.end()) return it->second;
  Scoped g(st.last_op);
  st.last_op.Bind(1, rid);
  PARLEY_ASSIGN_OR_RETURN(bool row, st.last_op.Step());
  const std::int64_t last = row ? st.last_op.Int(0) : 0;
  if (last_ops_.size() >= kMaxCachedRecords) last_ops_.clear();  // the table has every head
  last_ops_[rid] = last;
  return last;
}

Status ReplicaImpl::TakeLiveOps(std::int64_t rid, const std::string_view* field,
                                std::vector<std::int64_t>* out) {
  out->clear();
  std::vector<std::string> fields;  // only for the whole record (a deletion)
  {
    Stmt& s = field != nullptr ? st.live_field : st.live_record;
    Scoped g(s);
    s.Bind(1, rid);
    if (field != nullptr) BindTextView(s, 2, *field);
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out->push_back(s.Int(0));
      if (field == nullptr) fields.emplace_back(s.Text(1));
    }
  }
  // Separate exact deletes: cheaper in SQLite than one DELETE ... RETURNING, and a delete
  // plus an insert is cheaper than an UPDATE of the key.
  for (std::size_t i = 0; i < out->size(); ++i) {
    Scoped g(st.kill_live_exact);
    BindTextView(st.kill_live_exact, 2, field != nullptr ? *field : std::string_view(fields[i]));
    PARLEY_RETURN_IF_ERROR(st.kill_live_exact.Bind(1, rid).Bind(3, (*out)[i]).Run());
  }
  return Status::Ok();
}

Status ReplicaImpl::ApplyBody(std::int64_t author_id, std::uint64_t seq, const pb::ChangeBody& body,
                              const SlotSource* slots) {
  std::vector<std::int64_t> author_map{author_id};
  author_map.reserve(static_cast<std::size_t>(body.authors_size()) + 1);
  for (const std::string& key : body.authors()) {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t id, InternAuthor(key));
    author_map.push_back(id);
  }
  std::vector<std::int64_t>& sup = scratch_ops_;
  auto map_ids = [&](const google::protobuf::RepeatedPtrField<pb::OpId>& ids) {
    sup.clear();
    for (const pb::OpId& o : ids) {
      sup.push_back(
          PackOpKey(static_cast<std::uint64_t>(author_map[o.author()]), o.seq(), o.index()));
    }
  };
  const std::uint64_t hlc = body.hlc();
  for (int i = 0; i < body.ops_size(); ++i) {
    const pb::Op& op = body.ops(i);
    if (IsMembershipOp(op)) continue;  // membership.cc (purges too: record_keys.cc)
    if (!purged_.empty()) {
      RecordId record{};
      std::memcpy(record.data(), op.record().data(), record.size());
      if (purged_.count(record) != 0) {
        // Nothing of a purged record is taken again (docs/change-format.md, "Purge").
        if (op.kind_case() == pb::Op::kCreate && !op.create().origin().empty()) {
          PARLEY_RETURN_IF_ERROR(NoteLatePurgedCreate(record, op.create(), slots));
        }
        continue;
      }
    }
    PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, InternRecord(op.record()));
    const std::int64_t key =
        PackOpKey(static_cast<std::uint64_t>(author_id), seq, static_cast<std::uint64_t>(i));
    switch (op.kind_case()) {
      case pb::Op::kCreate: {
        map_ids(op.create().supersedes());
        // Only an originating create (its origin was checked against the author when the
        // body was opened) gives the record its type; a restore never does.
        const std::string_view type =
            op.create().origin().empty() ? std::string_view() : op.create().type();
        if (!type.empty() && slots != nullptr) {
          RecordId record{};
          std::memcpy(record.data(), op.record().data(), record.size());
          PARLEY_RETURN_IF_ERROR(TakeRecordKey(record, op.create(), slots));
        }
        PARLEY_RETURN_IF_ERROR(WriteOp(key, rid, kOpCreate, "", type, hlc, sup));
        break;
      }
      case pb::Op::kSet:
        map_ids(op.set().supersedes());
        PARLEY_RETURN_IF_ERROR(
            WriteOp(key, rid, kOpSet, op.set().field(), op.set().value(), hlc, sup));
        break;
      case pb::Op::kRemove:
        map_ids(op.remove().supersedes());
        PARLEY_RETURN_IF_ERROR(WriteOp(key, rid, kOpDelete, "", {}, hlc, sup));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

}  // namespace parley::log
