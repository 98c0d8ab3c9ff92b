// Step 3 of a session: pull from the cursor, apply, then move the cursor (exchange.h).
//
// Memory stays bounded by the pull budget: one PullBatch is held, applied in one replica
// transaction (all or nothing, after verification), and only then is the cursor moved and
// the served changes recorded as held by the relay. A crash between the two repeats the
// batch, which Apply counts as duplicates.
#include "exchange.h"

namespace parley::sync {

Status PullAvailable(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay, SyncReport& report) {
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(ctx.replica));
  for (;;) {
    pb::Frame f;
    pb::Pull* pull = f.mutable_pull();
    pull->set_vault(vault.vault.data(), vault.vault.size());
    pull->set_after_seq(relay.cursor);
    pull->set_max_bytes(ctx.options.pull_budget_bytes);
    PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn.Call(std::move(f)));
    if (answer.body_case() != pb::Frame::kPullBatch) {
      return Error(Domain::kSync, Code::kUnavailable, "the relay answered a pull with something else");
    }
    pb::PullBatch* batch = answer.mutable_pull_batch();
    report.head_seq = std::max(report.head_seq, batch->head_seq());
    if (batch->changes_size() == 0) {
      if (batch->more()) return Error(Domain::kSync, Code::kUnavailable, "the relay sent an empty batch with more");
      break;
    }
    std::vector<pb::Change> changes;
    std::vector<Ack> acks;
    changes.reserve(static_cast<std::size_t>(batch->changes_size()));
    std::uint64_t last = relay.cursor;
    for (pb::StoredChange& sc : *batch->mutable_changes()) {
      if (sc.relay_seq() <= last) {
        return Error(Domain::kSync, Code::kCorrupt, "the relay served sequence numbers out of order");
      }
      last = sc.relay_seq();
      acks.push_back(Ack{log::ChangeIdOf(sc.change()), sc.relay_seq()});
      changes.push_back(std::move(*sc.mutable_change()));
    }
    PARLEY_ASSIGN_OR_RETURN(log::ApplyReport applied, ctx.replica.Apply(changes));
    PARLEY_RETURN_IF_ERROR(ctx.state.RecordPulled(relay.id, acks, last, batch->head_seq()));
    relay.cursor = last;
    relay.head_seq = std::max(relay.head_seq, batch->head_seq());
    report.pulled += applied.applied;
    report.duplicates += applied.duplicates;
    report.pending += applied.pending;
    if (!batch->more()) break;
  }
  report.cursor = relay.cursor;
  return Status::Ok();
}

}  // namespace parley::sync
