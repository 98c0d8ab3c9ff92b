// Step 2 of a session: push what the relay has not acknowledged (exchange.h).
//
// Held changes are read in local order from the push mark in bounded chunks; those with a
// recorded ack are skipped; the rest go in Push frames under the relay's frame cap and
// batch limit. Acks are stored per frame as they arrive. The push mark advances over the
// acknowledged prefix only, so a refused change (e.g. its predecessor is not on the relay
// yet) is offered again on the next sync.
#include <algorithm>

#include "exchange.h"

namespace parley::sync {
namespace {

std::string Prefix(const log::ChangeId& id) { return crypto::ToHex(crypto::ByteView(id.data(), 4)); }

}  // namespace

Status PushPending(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay, SyncReport& report) {
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(ctx.replica));
  const std::size_t cap_bytes =
      std::min<std::size_t>(conn.welcome().max_frame_bytes() == 0 ? wire::kMaxWireMessage
                                                                  : conn.welcome().max_frame_bytes(),
                            wire::kMaxWireMessage) -
      wire::kNoiseTagSize - kPushFrameSlack;
  const std::size_t cap_count = conn.welcome().max_push_changes() == 0 ? 1000 : conn.welcome().max_push_changes();

  std::int64_t scan = relay.push_mark;
  bool prefix_acked = true;  // every change up to `scan` is acknowledged
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(auto held, log::HeldChangesAfter(ctx.replica, scan, kPushScanBytes, kPushScanCount));
    if (held.empty()) break;
    std::vector<bool> acked(held.size(), false);
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < held.size(); ++i) {
      PARLEY_ASSIGN_OR_RETURN(auto ack, ctx.state.AckOf(relay.id, held[i].id));
      if (ack.has_value()) {
        acked[i] = true;
      } else if (held[i].change.ByteSizeLong() + kPushPerChangeOverhead > cap_bytes) {
        ++report.refused;
        report.refusals.push_back("change " + Prefix(held[i].id) + ": larger than one frame");
      } else {
        todo.push_back(i);
      }
    }
    for (std::size_t at = 0; at < todo.size();) {
      pb::Frame f;
      pb::Push* push = f.mutable_push();
      push->set_vault(vault.vault.data(), vault.vault.size());
      std::size_t bytes = 0, end = at;
      while (end < todo.size() && end - at < cap_count) {
        const std::size_t size = held[todo[end]].change.ByteSizeLong() + kPushPerChangeOverhead;
        if (end > at && bytes + size > cap_bytes) break;
        bytes += size;
        *push->add_changes() = held[todo[end]].change;
        ++end;
      }
      PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn.Call(std::move(f)));
      if (answer.body_case() != pb::Frame::kPushAck || answer.push_ack().acks_size() != static_cast<int>(end - at)) {
        return Error(Domain::kSync, Code::kUnavailable, "the relay's PushAck does not match the push");
      }
      std::vector<Ack> acks;
      for (std::size_t k = at; k < end; ++k) {
        const pb::ChangeAck& a = answer.push_ack().acks(static_cast<int>(k - at));
        const log::HeldChange& h = held[todo[k]];
        if (a.refusal() == pb::REFUSAL_NONE && a.relay_seq() > 0) {
          acks.push_back(Ack{h.id, a.relay_seq()});
          acked[todo[k]] = true;
        } else {
          ++report.refused;
          report.refusals.push_back("change " + Prefix(h.id) + ": " +
                                    (a.reason().empty() ? std::string("refused") : a.reason()));
        }
      }
      PARLEY_RETURN_IF_ERROR(ctx.state.RecordPushAcks(relay.id, acks, std::nullopt));
      report.pushed += acks.size();
      at = end;
    }
    std::int64_t mark = relay.push_mark;
    for (std::size_t i = 0; i < held.size() && prefix_acked; ++i) {
      if (!acked[i]) {
        prefix_acked = false;
        break;
      }
      mark = held[i].local_seq;
    }
    if (mark > relay.push_mark) {
      PARLEY_RETURN_IF_ERROR(ctx.state.RecordPushAcks(relay.id, {}, mark));
      relay.push_mark = mark;
    }
    scan = held.back().local_seq;
  }
  return Status::Ok();
}

}  // namespace parley::sync
