// Step 3 of a session: pull from the cursor, apply, then move the cursor (exchange.h).
//
// Pulls are pipelined one deep: as soon as a batch has arrived (and its sequence numbers
// check out) the Pull for the next one is sent, so the relay reads and sends it while this
// device verifies and applies what it holds. Batches are gathered until kApplyBatchBytes of
// changes (or the last batch) and applied together in one replica transaction (all or
// nothing, after verification); the cursor moves, and the served changes are recorded as
// held by the relay, in that same transaction (one commit): the cursor never passes a
// change that is not durably applied. Memory stays bounded: the gathering, plus one batch
// in flight (the relay's budget). If the apply fails, the Pull in flight is abandoned with
// the connection.
//
// A change too large for one frame arrives as consecutive PullBatch frames answering the
// same Pull, one part each (parley/sync/change_parts.h). It is reassembled and applied
// alone; its id, computed once by the apply, is checked against the announced one inside the
// apply's transaction (a mismatch rolls it back), and only then is the cursor moved past it.
#include "exchange.h"
#include "parley/sync/change_parts.h"

namespace parley::sync {
namespace {

// Gathers the remaining parts of the large change whose first part `first` carries.
// Returns it as a one-change batch (head_seq and more from the last part's frame) and the
// announced id in `claimed`.
Status Reassemble(RelayConnection& conn, std::uint64_t id, pb::PullBatch* first, std::string* claimed) {
  wire::PartAssembler parts(wire::kMaxChangeBytes);
  pb::PullBatch batch;
  batch.Swap(first);
  first->Clear();
  const std::uint64_t relay_seq = batch.part().relay_seq();
  for (;;) {
    if (batch.changes_size() > 0) {
      return Error(Domain::kSync, Code::kCorrupt, "the relay mixed changes into a change in parts");
    }
    if (batch.part().relay_seq() != relay_seq) {
      return Error(Domain::kSync, Code::kCorrupt, "the relay changed relay_seq within a change in parts");
    }
    if (Status s = parts.Add(batch.part()); !s.ok()) {
      return Error(Domain::kSync, Code::kCorrupt, "the relay served broken change parts: " + s.message());
    }
    if (parts.complete()) break;
    PARLEY_ASSIGN_OR_RETURN(pb::Frame next, conn.AwaitAnswer(id));
    if (next.body_case() != pb::Frame::kPullBatch || !next.pull_batch().has_part()) {
      return Error(Domain::kSync, Code::kUnavailable, "the relay interrupted a change in parts");
    }
    batch = std::move(*next.mutable_pull_batch());
  }
  *claimed = parts.change_id();
  pb::StoredChange* sc = first->add_changes();
  first->set_head_seq(batch.head_seq());
  first->set_more(batch.more());
  sc->set_relay_seq(relay_seq);
  if (!sc->mutable_change()->ParseFromString(parts.Take())) {
    return Error(Domain::kSync, Code::kCorrupt, "the relay served a change in parts that does not parse");
  }
  return Status::Ok();
}

}  // namespace

Status PullAvailable(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay, SyncReport& report) {
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(ctx.replica));
  auto send_pull = [&](std::uint64_t after_seq) -> Result<std::uint64_t> {
    pb::Frame f;
    pb::Pull* pull = f.mutable_pull();
    pull->set_vault(vault.vault.data(), vault.vault.size());
    pull->set_after_seq(after_seq);
    pull->set_max_bytes(ctx.options.pull_budget_bytes);
    const std::uint64_t id = conn.TakeId();
    f.set_id(id);
    PARLEY_RETURN_IF_ERROR(conn.Send(std::move(f)));
    return id;
  };
  // Batches are gathered up to kApplyBatchBytes and applied together: one transaction (and
  // one fsync) per gathering rather than per batch.
  std::vector<pb::Change> changes;
  std::vector<Ack> acks;
  std::vector<std::pair<std::size_t, std::string>> announced;  // (index, id) of changes in parts
  std::size_t gathered_bytes = 0;
  std::uint64_t last = relay.cursor, head = 0;
  auto apply = [&]() -> Status {
    if (changes.empty()) return Status::Ok();
    PARLEY_ASSIGN_OR_RETURN(log::ApplyReport applied,
                            log::ApplyAndRecord(ctx.replica, changes, [&](std::span<const log::ChangeId> ids) {
                              for (const auto& [i, claimed] : announced) {
                                if (!crypto::ConstantTimeEqual(crypto::ByteView(ids[i].data(), ids[i].size()),
                                                               crypto::AsBytes(claimed))) {
                                  return Error(Domain::kSync, Code::kCorrupt,
                                               "the relay served a change whose id is not the announced one");
                                }
                              }
                              for (std::size_t i = 0; i < acks.size(); ++i) acks[i].id = ids[i];
                              return ctx.state.RecordPulledInTransaction(relay.id, acks, last, head);
                            }));
    relay.cursor = last;
    relay.head_seq = std::max(relay.head_seq, head);
    report.pulled += applied.applied;
    report.duplicates += applied.duplicates;
    report.pending += applied.pending;
    changes.clear();
    acks.clear();
    announced.clear();
    gathered_bytes = 0;
    return Status::Ok();
  };
  PARLEY_ASSIGN_OR_RETURN(std::uint64_t id, send_pull(relay.cursor));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn.AwaitAnswer(id));
    if (answer.body_case() != pb::Frame::kPullBatch) {
      return Error(Domain::kSync, Code::kUnavailable, "the relay answered a pull with something else");
    }
    pb::PullBatch* batch = answer.mutable_pull_batch();
    if (batch->has_part()) {
      if (batch->changes_size() > 0) {
        return Error(Domain::kSync, Code::kCorrupt, "the relay mixed changes into a change in parts");
      }
      std::string claimed;
      PARLEY_RETURN_IF_ERROR(Reassemble(conn, id, batch, &claimed));
      announced.emplace_back(changes.size(), std::move(claimed));
    }
    report.head_seq = std::max(report.head_seq, batch->head_seq());
    if (batch->changes_size() == 0) {
      if (batch->more()) return Error(Domain::kSync, Code::kUnavailable, "the relay sent an empty batch with more");
      break;
    }
    for (pb::StoredChange& sc : *batch->mutable_changes()) {
      if (sc.relay_seq() <= last) {
        return Error(Domain::kSync, Code::kCorrupt, "the relay served sequence numbers out of order");
      }
      last = sc.relay_seq();
      acks.push_back(Ack{{}, sc.relay_seq()});  // the id is filled in from the apply
      gathered_bytes += sc.change().ByteSizeLong();
      changes.push_back(std::move(*sc.mutable_change()));
    }
    const bool more = batch->more();
    head = std::max(head, batch->head_seq());
    answer.Clear();
    // The next batch travels while this one is applied.
    if (more) {
      PARLEY_ASSIGN_OR_RETURN(id, send_pull(last));
    }
    if (!more || gathered_bytes >= kApplyBatchBytes) PARLEY_RETURN_IF_ERROR(apply());
    if (!more) break;
  }
  PARLEY_RETURN_IF_ERROR(apply());
  report.cursor = relay.cursor;
  return Status::Ok();
}

}  // namespace parley::sync
