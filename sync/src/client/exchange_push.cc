// Step 2 of a session: push what the relay has not acknowledged (exchange.h).
//
// Held changes are read in local order from the push mark in bounded chunks; those with a
// recorded ack are skipped; the rest go in Push frames under the relay's frame cap and
// batch limit. Acks are stored per frame as they arrive. The push mark advances over the
// acknowledged prefix only, so a refused change (e.g. its predecessor is not on the relay
// yet) is offered again on the next sync.
//
// A change larger than one frame goes alone, in parts (parley/sync/change_parts.h), with
// at most kPushPartWindow parts awaiting their answer; its PushAck answers the last part.
#include <algorithm>
#include <deque>

#include "exchange.h"
#include "parley/sync/change_parts.h"

namespace parley::sync {
namespace {

// Pushes one large change as parts of at most `part_data` bytes; returns the relay's ack.
Result<pb::ChangeAck> PushInParts(RelayConnection& conn, const log::VaultIdentity& vault,
                                  const log::HeldChange& held, std::size_t part_data) {
  std::vector<pb::ChangePart> parts = wire::SplitChange(
      held.change.SerializeAsString(), crypto::ByteView(held.id.data(), held.id.size()),
      std::min(part_data, wire::kChangePartData));
  std::deque<std::uint64_t> waiting;
  std::size_t sent = 0;
  for (std::size_t answered = 0; answered < parts.size(); ++answered) {
    while (sent < parts.size() && waiting.size() < kPushPartWindow) {
      pb::Frame f;
      f.set_id(conn.TakeId());
      f.mutable_push()->set_vault(vault.vault.data(), vault.vault.size());
      *f.mutable_push()->mutable_part() = std::move(parts[sent]);
      waiting.push_back(f.id());
      PARLEY_RETURN_IF_ERROR(conn.Send(f));
      ++sent;
    }
    PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn.AwaitAnswer(waiting.front()));
    waiting.pop_front();
    const bool last = answered + 1 == parts.size();
    if (!last && answer.body_case() == pb::Frame::kPushAck && answer.push_ack().acks_size() == 1 &&
        answer.push_ack().acks(0).refusal() != pb::REFUSAL_NONE) {
      // Refused before the rest arrived (e.g. over the relay's max_change_bytes): the parts
      // still in flight are answered with errors, which end this connection's use.
      pb::ChangeAck refused = answer.push_ack().acks(0);
      for (; !waiting.empty(); waiting.pop_front()) (void)conn.AwaitAnswer(waiting.front());
      return refused;
    }
    if (!last && answer.body_case() != pb::Frame::kDone) {
      return Error(Domain::kSync, Code::kUnavailable, "the relay answered a change part oddly");
    }
    if (last) {
      if (answer.body_case() != pb::Frame::kPushAck || answer.push_ack().acks_size() != 1) {
        return Error(Domain::kSync, Code::kUnavailable,
                     "the relay's PushAck does not match the push");
      }
      return answer.push_ack().acks(0);
    }
  }
  return Error(Domain::kSync, Code::kInternal, "a change in parts has at least two parts");
}

}  // namespace

std::string RefusedChange::Describe() const {
  std::string why = reason;
  if (why.empty()) {
    why = refusal == pb::REFUSAL_TOO_LARGE
              ? "larger than the relay accepts (" + std::to_string(limit) + " bytes)"
              : std::string("refused");
  }
  return "change " + crypto::ToHex(crypto::ByteView(id.data(), 4)) + ": " + why;
}

Status PushPending(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                   SyncReport& report) {
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(ctx.replica));
  const std::size_t cap_bytes = std::min<std::size_t>(conn.welcome().max_frame_bytes() == 0
                                                          ? wire::kMaxWireMessage
                                                          : conn.welcome().max_frame_bytes(),
                                                      wire::kMaxWireMessage) -
                                wire::kNoiseTagSize - kPushFrameSlack;
  const std::size_t cap_count =
      conn.welcome().max_push_changes() == 0 ? 1000 : conn.welcome().max_push_changes();
  // 0: the relay takes no change in parts.
  const std::uint64_t cap_change =
      std::min<std::uint64_t>(conn.welcome().max_change_bytes(), wire::kMaxChangeBytes);
  auto fits = [&](const log::HeldChange& h) {
    return h.change.ByteSizeLong() + kPushPerChangeOverhead <= cap_bytes;
  };
  // What this relay takes at most, so that a larger local change is refused before it is
  // committed rather than blocking this device's later changes here.
  const std::uint64_t accepts =
      std::max<std::uint64_t>(cap_change, cap_bytes - kPushPerChangeOverhead);
  PARLEY_ASSIGN_OR_RETURN(std::uint64_t smallest, ctx.state.SetChangeLimit(relay.id, accepts));
  PARLEY_RETURN_IF_ERROR(log::SetChangeSizeLimit(ctx.replica, static_cast<std::size_t>(smallest)));

  std::int64_t scan = relay.push_mark;
  bool prefix_acked = true;  // every change up to `scan` is acknowledged
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(
        auto held, log::HeldChangesAfter(ctx.replica, scan, kPushScanBytes, kPushScanCount));
    if (held.empty()) break;
    std::vector<bool> acked(held.size(), false);
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < held.size(); ++i) {
      PARLEY_ASSIGN_OR_RETURN(auto ack, ctx.state.AckOf(relay.id, held[i].id));
      if (ack.has_value()) {
        acked[i] = true;
      } else if (!fits(held[i]) && held[i].change.ByteSizeLong() > cap_change) {
        ++report.refused;
        report.refusals.push_back(RefusedChange{held[i].id, pb::REFUSAL_TOO_LARGE, cap_change, {}});
      } else {
        todo.push_back(i);
      }
    }
    auto record = [&](std::size_t k, const pb::ChangeAck& a, std::vector<Ack>& acks) {
      const log::HeldChange& h = held[todo[k]];
      if (a.refusal() == pb::REFUSAL_NONE && a.relay_seq() > 0) {
        acks.push_back(Ack{h.id, a.relay_seq()});
        acked[todo[k]] = true;
      } else {
        ++report.refused;
        report.refusals.push_back(RefusedChange{h.id, a.refusal(), 0, a.reason()});
      }
    };
    for (std::size_t at = 0; at < todo.size();) {
      if (!fits(held[todo[at]])) {
        PARLEY_ASSIGN_OR_RETURN(pb::ChangeAck a,
                                PushInParts(conn, vault, held[todo[at]], cap_bytes));
        std::vector<Ack> acks;
        record(at, a, acks);
        PARLEY_RETURN_IF_ERROR(ctx.state.RecordPushAcks(relay.id, acks, std::nullopt));
        report.pushed += acks.size();
        ++at;
        continue;
      }
      pb::Frame f;
      pb::Push* push = f.mutable_push();
      push->set_vault(vault.vault.data(), vault.vault.size());
      std::size_t bytes = 0, end = at;
      while (end < todo.size() && end - at < cap_count && fits(held[todo[end]])) {
        const std::size_t size = held[todo[end]].change.ByteSizeLong() + kPushPerChangeOverhead;
        if (end > at && bytes + size > cap_bytes) break;
        bytes += size;
        *push->add_changes() = held[todo[end]].change;
        ++end;
      }
      PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn.Call(std::move(f)));
      if (answer.body_case() != pb::Frame::kPushAck ||
          answer.push_ack().acks_size() != static_cast<int>(end - at)) {
        return Error(Domain::kSync, Code::kUnavailable,
                     "the relay's PushAck does not match the push");
      }
      std::vector<Ack> acks;
      for (std::size_t k = at; k < end; ++k)
        record(k, answer.push_ack().acks(static_cast<int>(k - at)), acks);
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
