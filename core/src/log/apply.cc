// Apply: verify the whole received batch first (verify_batch.cc), then apply it in one
// SQLite transaction.
#include <google/protobuf/arena.h>

#include <algorithm>
#include <functional>
#include <map>

#include "log/change_codec.h"
#include "log/membership_rules.h"
#include "log/replica_impl.h"
#include "log/tuning.h"

namespace parley::log {

Result<ApplyReport> ReplicaImpl::Apply(std::span<const pb::Change> changes) {
  return ApplyRacing(changes, nullptr);
}

Result<ApplyReport> ReplicaImpl::ApplyWithin(
    std::span<const pb::Change> changes,
    const std::function<Status(std::span<const ChangeId>)>* within) {
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is open");
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  if (!HasVault())
    return Error(Domain::kLog, Code::kNotFound, "no vault: create one or accept an invite first");
  ApplyReport report;
  // This device's own chain moved on elsewhere (it was restored from an older copy): what it
  // wrote since is set aside, to be written again on top (reissue.cc).
  PARLEY_ASSIGN_OR_RETURN(std::uint64_t fork_from, OwnForkIn(changes));
  if (fork_from != 0) {
    PARLEY_RETURN_IF_ERROR(InTransaction([&]() -> Status {
      auto moved = SetAsideOwnFrom(fork_from);
      if (!moved.ok()) return moved.status();
      report.set_aside = *moved;
      return Status::Ok();
    }));
  }
  // Bodies are parsed onto one arena: a batch holds many small messages, freed at once.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 << 10;
  arena_options.max_block_size = 4 << 20;
  google::protobuf::Arena arena(arena_options);
  PARLEY_ASSIGN_OR_RETURN(VerifiedBatch verified, VerifyBatch(changes, &arena));
  report.duplicates = verified.duplicates;
  report.signatures_verified = verified.signatures_verified;
  std::vector<VerifiedChange>& fresh = verified.changes;
  // Slots a held change lacks (dropped by a purge that was later voided, or by a relay) are
  // taken from another copy of it (docs/change-format.md, "Record keys").
  const auto fill_slots = [&]() -> Status {
    for (const auto& [change, id] : verified.held_with_slots)
      PARLEY_RETURN_IF_ERROR(FillMissingSlots(*change, id));
    return Status::Ok();
  };
  if (fresh.empty()) {
    if (within == nullptr && verified.held_with_slots.empty()) return report;
    const Status done = InTransaction([&]() -> Status {
      Status filled = fill_slots();
      if (!filled.ok() || within == nullptr) return filled;
      return (*within)(verified.ids);
    });
    if (!done.ok()) return done;
    return report;
  }

  auto run = [&]() -> Status {
    PARLEY_RETURN_IF_ERROR(fill_slots());
    std::map<std::int64_t, const pb::ChangeBody*> opened;
    std::vector<std::int64_t> touched;
    bool any_membership = false;
    for (VerifiedChange& in : fresh) {
      const pb::ChangeHeader& h = in.checked.header;
      PARLEY_ASSIGN_OR_RETURN(std::int64_t aid, InternAuthor(h.author()));
      // A body whose epoch key has not arrived is stored unread (membership unknown).
      std::int64_t membership = in.quarantined ? kMembershipQuarantined : kMembershipUnknown;
      if (in.body != nullptr) {
        const bool has = std::any_of(in.body->ops().begin(), in.body->ops().end(), IsMembershipOp);
        membership = has ? kMembershipOps : kMembershipNone;
        any_membership |= has;
      }
      // A change is applied now when its author is entitled to it as membership stands;
      // the others wait for Settle (membership may change with this batch).
      const bool pending =
          !in.quarantined && (in.body == nullptr || !membership_.Entitled(h.author(), h.seq()) ||
                              membership_.void_epochs.count(h.epoch()) != 0);
      report.quarantined += in.quarantined ? 1 : 0;
      PARLEY_RETURN_IF_ERROR(InsertChange(aid, h.seq(), in.checked.id, h, *in.change,
                                          in.body != nullptr ? in.body->hlc() : 0, pending,
                                          membership));
      const std::int64_t cid = sqlite3_last_insert_rowid(db_);
      // Key slots: only those the body names for records not purged are kept
      // (docs/change-format.md, "Record keys"); all, while the body cannot be read yet.
      std::string slots;
      if (in.change->key_slots_size() > 0 && !in.quarantined) {
        slots = KeptSlots(in.body, JoinSlots(*in.change));
        if (!slots.empty()) PARLEY_RETURN_IF_ERROR(StoreSlots(cid, slots));
      }
      if (in.body != nullptr) {
        if (pending) {
          opened[cid] = in.body;
        } else {
          const SlotSource source{cid, slots, EpochKey(h.epoch())};
          PARLEY_RETURN_IF_ERROR(ApplyBody(aid, h.seq(), *in.body, &source));
          PARLEY_RETURN_IF_ERROR(RecordSeen(aid, h.seq(), *in.body));
        }
        hlc_.Observe(in.body->hlc());
      }
      touched.push_back(aid);
    }
    std::size_t applied = 0;
    PARLEY_RETURN_IF_ERROR(Settle(opened, any_membership, &applied));
    // Only changes of devices never enrolled count against the limit: a revoked device's
    // refused changes and changes waiting for their key are kept without limit.
    Stmt count;
    PARLEY_RETURN_IF_ERROR(count.Prepare(
        db_, "SELECT author, count(*) FROM log_changes WHERE pending GROUP BY author"));
    std::uint64_t pending_total = 0;
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, count.Step());
      if (!row) break;
      if (membership_.Find(author(count.Int(0)).key) == nullptr)
        pending_total += static_cast<std::uint64_t>(count.Int(1));
    }
    if (pending_total > kMaxPendingChanges) {
      return Error(Domain::kLog, Code::kPermissionDenied,
                   "changes refused: too many changes from devices that are not members");
    }
    std::size_t still_pending = 0;
    for (const VerifiedChange& in : fresh) {
      if (in.quarantined) continue;
      const pb::ChangeHeader& h = in.checked.header;
      const DeviceMembership* d = membership_.Find(h.author());
      if (d != nullptr && h.seq() > d->after_seq) {
        ++report.refused_revoked;
        ++still_pending;
      } else if (d == nullptr || EpochKey(h.epoch()) == nullptr ||
                 membership_.void_epochs.count(h.epoch()) != 0) {
        ++still_pending;
      }
    }
    report.pending = still_pending - report.refused_revoked;
    report.applied = fresh.size() - still_pending - report.quarantined;
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
  CheckpointAfterPurge();
  // This device's own changes under an epoch that turned out void are written again
  // (docs/change-format.md, "Changes under a void epoch").
  PARLEY_RETURN_IF_ERROR(RewriteVoidEpochChanges().status());
  return report;
}

}  // namespace parley::log
