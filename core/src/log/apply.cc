// Apply: verify the whole received batch first (verify_batch.cc), then apply it in one
// SQLite transaction.
#include <google/protobuf/arena.h>

#include <algorithm>
#include <functional>
#include <map>

#include "log/change_codec.h"
#include "log/replica_impl.h"
#include "log/tuning.h"

namespace parley::log {

Result<ApplyReport> ReplicaImpl::Apply(std::span<const pb::Change> changes) { return ApplyWithin(changes, nullptr); }

Result<ApplyReport> ReplicaImpl::ApplyWithin(std::span<const pb::Change> changes,
                                             const std::function<Status(std::span<const ChangeId>)>* within) {
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is open");
  if (!HasVault()) return Error(Domain::kLog, Code::kNotFound, "no vault: create one or accept an invite first");
  ApplyReport report;
  // Bodies are parsed onto one arena: a batch holds many small messages, freed at once.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 << 10;
  arena_options.max_block_size = 4 << 20;
  google::protobuf::Arena arena(arena_options);
  PARLEY_ASSIGN_OR_RETURN(VerifiedBatch verified, VerifyBatch(changes, &arena));
  report.duplicates = verified.duplicates;
  report.signatures_verified = verified.signatures_verified;
  std::vector<VerifiedChange>& fresh = verified.changes;
  if (fresh.empty()) {
    if (within == nullptr) return report;
    PARLEY_RETURN_IF_ERROR(InTransaction([&] { return (*within)(verified.ids); }));
    return report;
  }

  auto run = [&]() -> Status {
    std::map<std::int64_t, const pb::ChangeBody*> opened;
    std::vector<std::int64_t> touched;
    bool any_membership = false;
    for (VerifiedChange& in : fresh) {
      const pb::ChangeHeader& h = in.checked.header;
      PARLEY_ASSIGN_OR_RETURN(std::int64_t aid, InternAuthor(h.author()));
      bool membership = false;
      for (const pb::Op& op : in.body->ops()) membership |= op.kind_case() == pb::Op::kAddMember;
      any_membership |= membership;
      // Roles only grow as membership ops arrive (membership.cc), so a change by a device
      // that is already a member is applied now; the others wait for the recomputation.
      const bool pending = author(aid).role == kRoleNone;
      PARLEY_RETURN_IF_ERROR(InsertChange(aid, h.seq(), in.checked.id, h, *in.change, in.body->hlc(), pending,
                                          membership));
      const std::int64_t cid = sqlite3_last_insert_rowid(db_);
      if (pending) {
        opened[cid] = in.body;
      } else {
        PARLEY_RETURN_IF_ERROR(ApplyBody(aid, h.seq(), *in.body));
      }
      if (membership) PARLEY_RETURN_IF_ERROR(InsertMemberOps(aid, h.seq(), *in.body, {aid}));
      hlc_.Observe(in.body->hlc());
      touched.push_back(aid);
    }
    if (any_membership) PARLEY_RETURN_IF_ERROR(RecomputeMembership());
    std::size_t applied = 0;
    PARLEY_RETURN_IF_ERROR(ApplyPending(opened, &applied));
    Stmt count;
    PARLEY_RETURN_IF_ERROR(count.Prepare(db_, "SELECT count(*) FROM log_changes WHERE pending"));
    PARLEY_ASSIGN_OR_RETURN(bool row, count.Step());
    const auto pending_total = row ? static_cast<std::uint64_t>(count.Int(0)) : 0;
    if (pending_total > kMaxPendingChanges) {
      return Error(Domain::kLog, Code::kPermissionDenied,
                   "changes refused: too many changes from devices that are not members");
    }
    std::size_t still_pending = 0;
    for (const VerifiedChange& in : fresh) {
      const std::int64_t aid = FindAuthor(in.checked.header.author());
      if (author(aid).role == kRoleNone) ++still_pending;
    }
    report.pending = still_pending;
    report.applied = fresh.size() - still_pending;
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (std::int64_t aid : touched) {
      PARLEY_ASSIGN_OR_RETURN(auto gaps, Gaps(aid));
      report.gaps.insert(report.gaps.end(), gaps.begin(), gaps.end());
    }
    PARLEY_RETURN_IF_ERROR(SaveClock());
    if (within != nullptr) PARLEY_RETURN_IF_ERROR((*within)(verified.ids));
    return Status::Ok();
  };
  PARLEY_RETURN_IF_ERROR(InTransaction(run));
  return report;
}

}  // namespace parley::log
