// Changes larger than one frame (docs/wire-protocol.md, "Changes in parts").
//
// Push: the parts of one change arrive as consecutive Push frames. Part 0 is checked
// (membership, size against max_change_bytes: over it, the change is refused
// REFUSAL_TOO_LARGE in a PushAck; room in the vault's quota: without it the push is
// answered ERROR_QUOTA_EXCEEDED; the relay-wide reassembly budget) before any buffer is
// reserved; every part is checked against the ones before it; each part but the
// last is answered Done. The last part's answer is the PushAck, sent once the reassembled
// change is verified and durable, exactly as for a change pushed whole. Any inconsistency
// drops what was gathered and answers an Error: nothing of it is stored.
//
// Pull: a stored change too large for one PullBatch is sent as consecutive PullBatch
// frames answering the same Pull, one part each; the handler waits for room in the
// outbound queue between parts, so a slow reader is paced, not disconnected.
#include <algorithm>

#include "change_check.h"
#include "connection.h"
#include "log.h"
#include "parley/core/replica_sync.h"
#include "pull_heads.h"

namespace parley::relay {
namespace {

using tuning::kRetryAfterBusyMs;

}  // namespace

void Connection::DropUpload() {
  upload_.Reset();
  upload_vault_.clear();
  if (upload_reserved_ > 0) {
    ctx_.reassembly_bytes.fetch_sub(upload_reserved_, std::memory_order_relaxed);
    upload_reserved_ = 0;
  }
}

asio::awaitable<void> Connection::HandlePushPart(std::uint64_t id, const pb::Push& push) {
  const pb::ChangePart& part = push.part();
  if (push.changes_size() > 0) {
    DropUpload();
    SendError(id, pb::ERROR_MALFORMED, "a push carries changes or one part, not both");
    co_return;
  }
  if (part.index() == 0 && !upload_.open()) {
    // A new change: membership, then the size, then the budget, all before allocating.
    auto view = co_await RequireMember(id, push.vault(), false);
    if (!view) co_return;
    const std::uint64_t cap =
        std::min<std::uint64_t>(ctx_.options.max_change_bytes, wire::kMaxChangeBytes);
    if (part.total_bytes() > cap) {
      // The refusal of this one change, as its PushAck: nothing is opened, so parts of it
      // already on their way are answered "not started".
      pb::Frame answer;
      answer.set_id(id);
      pb::ChangeAck* ack = answer.mutable_push_ack()->add_acks();
      ack->set_refusal(pb::REFUSAL_TOO_LARGE);
      ack->set_reason("a change of " + std::to_string(part.total_bytes()) +
                      " bytes is over the relay's limit of " + std::to_string(cap));
      ctx_.metrics.changes_refused.fetch_add(1, std::memory_order_relaxed);
      LogInfo("push", {{"conn", id_},
                       {"device", device_hex_},
                       {"stored", 0},
                       {"duplicate", 0},
                       {"refused", 1}});
      SendFrame(answer);
      co_return;
    }
    // A change the vault has no room for is refused before megabytes of it arrive (the
    // storing transaction checks the quota again at the last part).
    auto figures = co_await QuotaFigures(push.vault());
    if (figures.ok() && figures->second != 0 &&
        (part.total_bytes() > figures->second ||
         figures->first > figures->second - part.total_bytes())) {
      ctx_.metrics.changes_over_quota.fetch_add(1, std::memory_order_relaxed);
      SendError(id, pb::ERROR_QUOTA_EXCEEDED, QuotaMessage(figures->first, figures->second));
      co_return;
    }
    const std::uint64_t before =
        ctx_.reassembly_bytes.fetch_add(part.total_bytes(), std::memory_order_relaxed);
    if (before + part.total_bytes() > ctx_.options.max_reassembly_bytes) {
      ctx_.reassembly_bytes.fetch_sub(part.total_bytes(), std::memory_order_relaxed);
      SendError(id, pb::ERROR_UNAVAILABLE,
                "the relay is receiving too many large changes; retry later", kRetryAfterBusyMs);
      co_return;
    }
    upload_reserved_ = part.total_bytes();
    upload_vault_ = push.vault();
  } else if (upload_.open() && push.vault() != upload_vault_) {
    DropUpload();
    SendError(id, pb::ERROR_MALFORMED, "change parts: the vault differs from the first part's");
    co_return;
  }
  if (Status s = upload_.Add(part); !s.ok()) {
    DropUpload();
    LogWarn("push_part", {{"conn", id_}, {"device", device_hex_}, {"reason", s.message()}});
    SendError(id, s.code() == Code::kUnsupported ? pb::ERROR_TOO_LARGE : pb::ERROR_MALFORMED,
              s.message());
    co_return;
  }
  if (!upload_.complete()) {
    SendDone(id);
    co_return;
  }
  const std::string vault = upload_vault_;
  const std::string claimed_id = upload_.change_id();
  const std::uint64_t reserved = upload_reserved_;
  std::string bytes = upload_.Take();
  upload_reserved_ = 0;  // released below, once the bytes are no longer held
  struct Release {
    ServerContext& ctx;
    std::uint64_t n;
    ~Release() { ctx.reassembly_bytes.fetch_sub(n, std::memory_order_relaxed); }
  } release{ctx_, reserved};
  DropUpload();

  pb::Change change;
  if (!change.ParseFromString(bytes)) {
    SendError(id, pb::ERROR_MALFORMED, "change parts: the reassembled bytes are not a change");
    co_return;
  }
  bytes.clear();
  bytes.shrink_to_fit();
  auto check = [c = &change, v = &vault, reserved] {
    return CheckPushedChange(*c, crypto::AsBytes(*v), static_cast<std::size_t>(reserved));
  };
  std::vector<CheckResult> checked;
  checked.push_back(co_await OnCheckPool<CheckResult>(ctx_.checks, std::move(check)));
  const CheckResult& r = checked.back();
  if (r.refusal == pb::REFUSAL_NONE &&
      !crypto::ConstantTimeEqual(r.change.id, crypto::AsBytes(claimed_id))) {
    SendError(id, pb::ERROR_MALFORMED,
              "change parts: the reassembled change's id is not the announced change_id");
    co_return;
  }
  // The membership may have changed while the parts arrived.
  auto view = co_await RequireMember(id, vault, false);
  if (!view) co_return;
  co_await StoreAndAck(id, vault, *view, std::move(checked));
}

asio::awaitable<void> Connection::WaitForRoom() {
  const std::size_t limit = std::max<std::size_t>(1, ctx_.options.max_queue_frames / 2);
  while (!closed_ && queue_.size() >= limit) {
    room_.expires_at(Clock::time_point::max());
    std::error_code ec;
    co_await room_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_await WaitForOutboundRoom();
}

asio::awaitable<void> Connection::ServeInParts(std::uint64_t id, const ChangeRow& row,
                                               std::uint64_t head, bool more,
                                               const std::vector<AuthorHead>& heads) {
  pb::Change change;
  if (!change.ParseFromString(row.data)) {
    ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
    SendError(id, pb::ERROR_UNAVAILABLE, "stored change unreadable", kRetryAfterBusyMs);
    co_return;
  }
  const log::ChangeId change_id = log::ChangeIdOf(change);
  change.Clear();
  const std::size_t size = row.data.size();
  const std::size_t count = (size + wire::kChangePartData - 1) / wire::kChangePartData;
  auto part_frame = [&](std::size_t i) {
    pb::Frame f;
    f.set_id(id);
    pb::PullBatch* batch = f.mutable_pull_batch();
    batch->set_head_seq(head);
    batch->set_more(more);
    pb::ChangePart* part = batch->mutable_part();
    part->set_change_id(change_id.data(), change_id.size());
    part->set_index(static_cast<std::uint32_t>(i));
    part->set_count(static_cast<std::uint32_t>(count));
    part->set_total_bytes(size);
    part->set_relay_seq(row.relay_seq);
    const std::size_t at = i * wire::kChangePartData;
    part->set_data(row.data.data() + at, std::min(wire::kChangePartData, size - at));
    if (!more && i + 1 == count) SetPullHeads(batch, heads, device_);
    return f;
  };
  // `more` is the same in every part: decided before the first one goes.
  if (!more && part_frame(count - 1).ByteSizeLong() > wire::kMaxFramePlaintext) more = true;
  for (std::size_t i = 0; i < count; ++i) {
    co_await WaitForRoom();
    if (closed_) co_return;
    SendFrame(part_frame(i));
  }
  ctx_.metrics.changes_served.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace parley::relay
