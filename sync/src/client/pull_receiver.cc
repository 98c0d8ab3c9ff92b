#include "pull_receiver.h"

#include "parley/sync/change_parts.h"

namespace parley::sync {
namespace {

// Gathers the remaining parts of the large change whose first part `first` carries into a
// one-change batch (head_seq and more from the last part's frame); the announced id goes
// to `claimed`.
Status Reassemble(RelayConnection& conn, std::uint64_t id, pb::PullBatch* first,
                  std::string* claimed) {
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
      return Error(Domain::kSync, Code::kCorrupt,
                   "the relay changed relay_seq within a change in parts");
    }
    if (Status s = parts.Add(batch.part()); !s.ok()) {
      return Error(Domain::kSync, Code::kCorrupt,
                   "the relay served broken change parts: " + s.message());
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
    return Error(Domain::kSync, Code::kCorrupt,
                 "the relay served a change in parts that does not parse");
  }
  return Status::Ok();
}

}  // namespace

PullReceiver::PullReceiver(RelayConnection& conn, std::string vault, std::uint64_t cursor,
                           std::string cursor_id, std::uint32_t budget_bytes,
                           std::size_t max_queued_bytes)
    : conn_(conn),
      vault_(std::move(vault)),
      cursor_(cursor),
      cursor_id_(std::move(cursor_id)),
      budget_bytes_(budget_bytes),
      max_queued_bytes_(max_queued_bytes),
      thread_([this] { Run(); }) {}

PullReceiver::~PullReceiver() { Finish(); }

void PullReceiver::Finish() {
  bool abandon = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    // Once the last answer is queued the thread only returns: waiting for it leaves the
    // connection usable for what follows in the session (after a rewound answer, the member
    // list goes again on this connection).
    abandon = !ended_ && !last_queued_;
  }
  changed_.notify_all();
  // The thread may be waiting for the relay: end the connection under it.
  if (abandon) conn_.Shutdown();
  if (thread_.joinable()) thread_.join();
}

Result<std::optional<ReceivedBatch>> PullReceiver::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return !queue_.empty() || ended_; });
  if (queue_.empty()) {
    if (!error_.ok()) return error_;
    return std::optional<ReceivedBatch>();
  }
  ReceivedBatch b = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= b.bytes;
  lock.unlock();
  changed_.notify_all();
  return std::optional<ReceivedBatch>(std::move(b));
}

bool PullReceiver::Ready() {
  std::lock_guard<std::mutex> lock(mu_);
  return !queue_.empty();
}

bool PullReceiver::Enqueue(ReceivedBatch batch) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return stopping_ || queued_bytes_ < max_queued_bytes_; });
  if (stopping_) return false;
  queued_bytes_ += batch.bytes;
  if (!batch.more) last_queued_ = true;
  queue_.push_back(std::move(batch));
  lock.unlock();
  changed_.notify_all();
  return true;
}

void PullReceiver::Run() {
  Status s = Receive();
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::move(s);
    ended_ = true;
  }
  changed_.notify_all();
}

Result<std::uint64_t> PullReceiver::SendPull(std::uint64_t after_seq, const std::string& after_id) {
  pb::Frame f;
  pb::Pull* pull = f.mutable_pull();
  pull->set_vault(vault_);
  pull->set_after_seq(after_seq);
  if (after_seq > 0 && !after_id.empty()) pull->set_after_change_id(after_id);
  pull->set_max_bytes(budget_bytes_);
  const std::uint64_t id = conn_.TakeId();
  f.set_id(id);
  PARLEY_RETURN_IF_ERROR(conn_.Send(f));
  return id;
}

Status PullReceiver::Receive() {
  std::uint64_t last = cursor_;
  // The first Pull asks the relay to confirm the cursor's change; the later ones follow the
  // relay's own answers within this connection.
  PARLEY_ASSIGN_OR_RETURN(std::uint64_t id, SendPull(last, cursor_id_));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn_.AwaitAnswer(id));
    if (answer.body_case() != pb::Frame::kPullBatch) {
      return Error(Domain::kSync, Code::kUnavailable,
                   "the relay answered a pull with something else");
    }
    pb::PullBatch* batch = answer.mutable_pull_batch();
    ReceivedBatch out;
    if (batch->has_part()) {
      if (batch->changes_size() > 0) {
        return Error(Domain::kSync, Code::kCorrupt,
                     "the relay mixed changes into a change in parts");
      }
      std::string claimed;
      PARLEY_RETURN_IF_ERROR(Reassemble(conn_, id, batch, &claimed));
      out.announced.emplace_back(0, std::move(claimed));
    }
    out.head = batch->head_seq();
    out.more = batch->more();
    if (!batch->more() || batch->rewound()) {
      for (const pb::AuthorHead& h : batch->heads()) {
        if (h.author().size() == 32) out.heads.emplace_back(h.author(), h.seq());
      }
    }
    if (batch->rewound()) {
      if (batch->changes_size() > 0 || batch->has_part()) {
        return Error(Domain::kSync, Code::kCorrupt,
                     "the relay served changes with a rewound answer");
      }
      out.rewound = true;
      out.more = false;
      out.last = last;
      (void)Enqueue(std::move(out));
      return Status::Ok();
    }
    if (batch->changes_size() == 0) {
      if (out.more)
        return Error(Domain::kSync, Code::kUnavailable, "the relay sent an empty batch with more");
      out.last = last;
      (void)Enqueue(std::move(out));  // carries the head; the caller skips it when empty
      return Status::Ok();
    }
    out.changes.reserve(static_cast<std::size_t>(batch->changes_size()));
    out.acks.reserve(out.changes.capacity());
    for (pb::StoredChange& sc : *batch->mutable_changes()) {
      if (sc.relay_seq() <= last) {
        return Error(Domain::kSync, Code::kCorrupt,
                     "the relay served sequence numbers out of order");
      }
      last = sc.relay_seq();
      out.acks.push_back(Ack{{}, sc.relay_seq()});  // the id is filled in from the apply
      out.bytes += sc.change().ByteSizeLong();
      out.changes.push_back(std::move(*sc.mutable_change()));
    }
    out.last = last;
    const bool more = out.more;
    answer.Clear();
    // The next batch travels while this one waits in the queue or is applied.
    if (more) {
      PARLEY_ASSIGN_OR_RETURN(id, SendPull(last, {}));
    }
    if (!Enqueue(std::move(out))) return Status::Ok();  // abandoned
    if (!more) return Status::Ok();
  }
}

}  // namespace parley::sync
