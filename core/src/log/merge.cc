// The register semantics shared by local and remote operations.
//
// A field (and a record's existence) is a multi-value register. Each op names the ops it
// supersedes; an op survives ("live") unless some held op of the same record names it.
// Supersession of an op that is not held yet is remembered in log_superseded, so the op is
// dead on arrival: the live set depends only on the set of ops held, not on their order.
#include <cstring>

#include "log/replica_impl.h"
#include "log/tuning.h"

namespace parley::log {
namespace {
struct Scoped {
  explicit Scoped(Stmt& s) : stmt(s) {}
  ~Scoped() { stmt.Reset(); }
  Stmt& stmt;
};
crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }
}  // namespace

Status ReplicaImpl::WriteOp(std::int64_t op, std::int64_t rid, int kind, std::string_view field,
                            std::string_view value, std::uint64_t hlc, std::span<const std::int64_t> supersedes) {
  for (std::int64_t s : supersedes) {
    {
      Scoped g(st.supersede);
      PARLEY_RETURN_IF_ERROR(st.supersede.Bind(1, s).Bind(2, rid).Run());
    }
    if (sqlite3_changes(db_) == 0) {
      Scoped g(st.insert_superseded);
      PARLEY_RETURN_IF_ERROR(st.insert_superseded.Bind(1, s).Bind(2, rid).Run());
      superseded_rows_ += sqlite3_changes(db_);
    }
  }
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
  {
    Scoped g(st.insert_op);
    Stmt& s = st.insert_op;
    s.Bind(1, op).Bind(2, rid).Bind(3, std::int64_t{kind}).Bind(4, field);
    if (kind == kOpDelete) {
      s.BindNull(5);
    } else {
      s.BindBlob(5, Bv(value));
    }
    s.Bind(6, static_cast<std::int64_t>(hlc)).Bind(7, std::int64_t{dead ? 0 : 1});
    PARLEY_RETURN_IF_ERROR(s.Run());
  }
  if (kind == kOpCreate) {
    Scoped g(st.update_record_type);
    PARLEY_RETURN_IF_ERROR(
        st.update_record_type.Bind(1, rid).Bind(2, value).Bind(3, static_cast<std::int64_t>(hlc)).Run());
  }
  return Status::Ok();
}

Result<std::vector<std::int64_t>> ReplicaImpl::LiveOps(std::int64_t rid, const std::string* field) {
  Stmt& s = field != nullptr ? st.live_field : st.live_record;
  Scoped g(s);
  s.Bind(1, rid);
  if (field != nullptr) s.Bind(2, std::string_view(*field));
  std::vector<std::int64_t> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.Int(0));
  }
  return out;
}

Status ReplicaImpl::ApplyBody(std::int64_t author_id, std::uint64_t seq, const pb::ChangeBody& body) {
  std::vector<std::int64_t> author_map{author_id};
  author_map.reserve(static_cast<std::size_t>(body.authors_size()) + 1);
  for (const std::string& key : body.authors()) {
    PARLEY_ASSIGN_OR_RETURN(std::int64_t id, InternAuthor(key));
    author_map.push_back(id);
  }
  std::vector<std::int64_t> sup;
  auto map_ids = [&](const google::protobuf::RepeatedPtrField<pb::OpId>& ids) {
    sup.clear();
    for (const pb::OpId& o : ids) {
      sup.push_back(PackOpKey(static_cast<std::uint64_t>(author_map[o.author()]), o.seq(), o.index()));
    }
  };
  const std::uint64_t hlc = body.hlc();
  for (int i = 0; i < body.ops_size(); ++i) {
    const pb::Op& op = body.ops(i);
    if (op.kind_case() == pb::Op::kAddMember) continue;  // membership.cc
    PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, InternRecord(op.record()));
    const std::int64_t key = PackOpKey(static_cast<std::uint64_t>(author_id), seq, static_cast<std::uint64_t>(i));
    switch (op.kind_case()) {
      case pb::Op::kCreate:
        map_ids(op.create().supersedes());
        PARLEY_RETURN_IF_ERROR(WriteOp(key, rid, kOpCreate, "", op.create().type(), hlc, sup));
        break;
      case pb::Op::kSet:
        map_ids(op.set().supersedes());
        PARLEY_RETURN_IF_ERROR(WriteOp(key, rid, kOpSet, op.set().field(), op.set().value(), hlc, sup));
        break;
      case pb::Op::kRemove:
        map_ids(op.remove().supersedes());
        PARLEY_RETURN_IF_ERROR(WriteOp(key, rid, kOpDelete, "", {}, hlc, sup));
        break;
      default: break;
    }
  }
  return Status::Ok();
}

}  // namespace parley::log
