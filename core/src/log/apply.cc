// Apply: verify every received change first, then apply the whole batch in one SQLite
// transaction. Verification covers the header, the signature, decryption, the body's
// sanity and the author's hash chain against both held changes and the rest of the batch.
#include <google/protobuf/arena.h>

#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>

#include "log/change_codec.h"
#include "log/replica_impl.h"
#include "log/tuning.h"

namespace parley::log {
namespace {

crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }

Status Fork(std::string_view author_key, std::uint64_t seq, std::string_view what) {
  const std::string author_hex = crypto::ToHex(Bv(author_key));
  return Error(Domain::kLog, Code::kConflict,
               "change rejected: device " + author_hex.substr(0, 16) + " seq " + std::to_string(seq) + " " +
                   std::string(what) + " (a forked or forged chain)");
}

struct Incoming {
  const pb::Change* change;
  CheckedChange checked;
  pb::ChangeBody* body;  // on the batch's arena
  std::int64_t cid = 0;
};

}  // namespace

Result<ApplyReport> ReplicaImpl::Apply(std::span<const pb::Change> changes) { return ApplyWithin(changes, nullptr); }

Result<ApplyReport> ReplicaImpl::ApplyWithin(std::span<const pb::Change> changes,
                                             const std::function<Status()>* within) {
  if (tx_open_) return Error(Domain::kLog, Code::kBusy, "a transaction is open");
  if (!HasVault()) return Error(Domain::kLog, Code::kNotFound, "no vault: create one or accept an invite first");
  ApplyReport report;
  // Bodies are parsed onto one arena: a batch holds many small messages, freed at once.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 << 10;
  arena_options.max_block_size = 4 << 20;
  google::protobuf::Arena arena(arena_options);
  std::vector<Incoming> fresh;
  // (author, seq) -> (id, prev) of the changes accepted so far from this batch; authors are
  // numbered in order of appearance in the batch.
  std::unordered_map<std::string, std::uint64_t> batch_authors;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::pair<ChangeId, std::string>> batch;

  for (std::size_t i = 0; i < changes.size(); ++i) {
    const pb::Change& c = changes[i];
    auto checked = CheckChange(c, Bv(vault_id_));
    if (!checked.ok()) {
      return checked.status().Annotate("change " + std::to_string(i + 1) + " of " + std::to_string(changes.size()));
    }
    const pb::ChangeHeader& h = checked->header;
    const std::string& akey = h.author();
    const std::uint64_t seq = h.seq();
    const std::uint64_t bauthor = batch_authors.try_emplace(akey, batch_authors.size()).first->second;
    const std::int64_t aid = FindAuthor(akey);

    PARLEY_ASSIGN_OR_RETURN(auto held, HeldId(aid, seq));
    if (held.has_value()) {
      if (*held != checked->id) return Fork(akey, seq, "differs from the change held with that number");
      ++report.duplicates;
      continue;
    }
    auto in_batch = batch.find({bauthor, seq});
    if (in_batch != batch.end()) {
      if (in_batch->second.first != checked->id) return Fork(akey, seq, "appears twice with different contents");
      ++report.duplicates;
      continue;
    }
    // The link back to seq-1 and forward from seq+1, wherever they are held.
    if (seq > 1) {
      std::optional<ChangeId> prev_id;
      PARLEY_ASSIGN_OR_RETURN(prev_id, HeldId(aid, seq - 1));
      if (auto b = batch.find({bauthor, seq - 1}); b != batch.end()) prev_id = b->second.first;
      if (prev_id.has_value() &&
          (h.prev().size() != prev_id->size() || std::memcmp(prev_id->data(), h.prev().data(), prev_id->size()) != 0)) {
        return Fork(akey, seq, "does not link to the change before it");
      }
    }
    {
      ChangeId next_prev{};
      PARLEY_ASSIGN_OR_RETURN(auto next, HeldId(aid, seq + 1, &next_prev));
      std::optional<std::string> link;
      if (next.has_value()) link = std::string(next_prev.begin(), next_prev.end());
      if (auto b = batch.find({bauthor, seq + 1}); b != batch.end()) link = b->second.second;
      if (link.has_value() && *link != std::string(checked->id.begin(), checked->id.end())) {
        return Fork(akey, seq, "is not the change the next one links to");
      }
    }
    const store::VaultKey* key = store_.vault().has_value() ? store_.vault()->Epoch(h.epoch()) : nullptr;
    if (key == nullptr) {
      return Error(Domain::kLog, Code::kPermissionDenied,
                   "change rejected: this device holds no key for epoch " + std::to_string(h.epoch()));
    }
    auto* body = google::protobuf::Arena::CreateMessage<pb::ChangeBody>(&arena);
    Status opened = OpenBodyInto(c, h, key->key.view(), body);
    if (!opened.ok()) {
      return opened.Annotate("change " + std::to_string(i + 1) + " of " + std::to_string(changes.size()));
    }
    batch[{bauthor, seq}] = {checked->id, h.prev()};
    fresh.push_back(Incoming{&c, std::move(checked).value(), body, 0});
  }
  if (fresh.empty()) {
    if (within == nullptr) return report;
    PARLEY_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", Domain::kLog));
    Status s = (*within)();
    if (s.ok()) s = Exec(db_, "COMMIT", Domain::kLog);
    if (!s.ok()) {
      (void)Rollback();
      return s;
    }
    return report;
  }

  PARLEY_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", Domain::kLog));
  auto run = [&]() -> Status {
    std::map<std::int64_t, const pb::ChangeBody*> opened;
    std::vector<std::int64_t> touched;
    bool any_membership = false;
    for (Incoming& in : fresh) {
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
      in.cid = sqlite3_last_insert_rowid(db_);
      if (pending) {
        opened[in.cid] = in.body;
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
    for (const Incoming& in : fresh) {
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
    if (within != nullptr) PARLEY_RETURN_IF_ERROR((*within)());
    return Exec(db_, "COMMIT", Domain::kLog);
  };
  Status s = run();
  if (!s.ok()) {
    (void)Rollback();
    return s;
  }
  return report;
}

}  // namespace parley::log
