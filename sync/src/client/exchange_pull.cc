// Step 3 of a session: pull from the cursor, apply, then move the cursor (exchange.h).
//
// Receiving runs on a thread of its own (pull_receiver.h): each Pull goes out as soon as
// the previous batch has arrived, so the relay reads and sends while this thread verifies
// and applies. Batches are gathered until kApplyBatchBytes of changes (or until nothing
// more is waiting) and applied together in one replica transaction (all or nothing, after
// verification); the cursor moves, and the served changes are recorded as held by the
// relay, in that same transaction (one commit): the cursor never passes a change that is
// not durably applied. Memory stays bounded: the gathering, the receiver's queue
// (kApplyBatchBytes) and one batch being received. If the apply fails, the pull is
// abandoned with the connection.
//
// A change too large for one frame arrives in parts and is reassembled by the receiver;
// its id, computed once by the apply, is checked against the announced one inside the
// apply's transaction (a mismatch rolls it back).
#include "exchange.h"
#include "pull_receiver.h"

namespace parley::sync {

Result<PullOutcome> PullOnce(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                             SyncReport& report) {
  PullOutcome outcome;
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(ctx.replica));
  std::vector<pb::Change> changes;
  std::vector<Ack> acks;
  std::vector<std::pair<std::size_t, std::string>> announced;  // (index, id) of changes in parts
  std::size_t gathered_bytes = 0;
  std::uint64_t last = relay.cursor, head = 0;
  auto apply = [&]() -> Status {
    if (changes.empty()) return Status::Ok();
    PARLEY_ASSIGN_OR_RETURN(
        log::ApplyReport applied,
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
    if (!acks.empty() && acks.back().relay_seq == last && last > relay.cursor) {
      relay.cursor_id.assign(acks.back().id.begin(), acks.back().id.end());
    }
    relay.cursor = last;
    relay.head_seq = std::max(relay.head_seq, head);
    report.pulled += applied.applied;
    report.duplicates += applied.duplicates;
    report.pending += applied.pending;
    report.quarantined += applied.quarantined;
    report.set_aside += applied.set_aside;
    changes.clear();
    acks.clear();
    announced.clear();
    gathered_bytes = 0;
    return Status::Ok();
  };

  PullReceiver receiver(conn, std::string(vault.vault.begin(), vault.vault.end()), relay.cursor,
                        std::string(relay.cursor_id.begin(), relay.cursor_id.end()),
                        ctx.options.pull_budget_bytes, kApplyBatchBytes);
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(std::optional<ReceivedBatch> batch, receiver.Next());
    if (!batch.has_value()) break;
    if (batch->rewound) {
      outcome.rewound = true;
      outcome.heads = std::move(batch->heads);
      break;
    }
    if (!batch->more) {
      outcome.heads = std::move(batch->heads);
      outcome.have_heads = !outcome.heads.empty();
    }
    report.head_seq = std::max(report.head_seq, batch->head);
    head = std::max(head, batch->head);
    for (auto& [i, claimed] : batch->announced)
      announced.emplace_back(changes.size() + i, std::move(claimed));
    for (std::size_t i = 0; i < batch->changes.size(); ++i) {
      changes.push_back(std::move(batch->changes[i]));
      acks.push_back(batch->acks[i]);
    }
    gathered_bytes += batch->bytes;
    if (!batch->changes.empty()) last = batch->last;
    // Apply once enough is gathered, or when nothing more is waiting (rather than sit idle).
    if (gathered_bytes >= kApplyBatchBytes || !batch->more || !receiver.Ready()) {
      PARLEY_RETURN_IF_ERROR(apply());
    }
  }
  PARLEY_RETURN_IF_ERROR(apply());
  receiver.Finish();
  report.cursor = relay.cursor;
  return outcome;
}

}  // namespace parley::sync
