// The receiving side of a pull (exchange_pull.cc): a thread of its own that sends each Pull
// as soon as the previous batch has arrived, reassembles changes served in parts, checks
// the relay sequence numbers, and queues the batches for the thread that applies them. So
// the relay reads and sends the next batch while this device verifies and applies, and the
// applying thread does no network or transport work.
//
// Ownership: while a PullReceiver lives, its thread is the only user of `conn` (and of the
// Poller and Canceller behind it); the caller must not touch `conn` until Finish() has
// returned. Memory: queued batches are bounded by `max_queued_bytes` (the receiver waits),
// plus one batch being received.
// Thread safety: Next() and Finish() from the thread that created the PullReceiver.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "parley/change.pb.h"
#include "parley/sync/sync_state.h"
#include "relay_connection.h"

namespace parley::sync {

// One batch as served: its changes in relay order, their acks (ids left for the apply to
// fill in), and the ids announced for changes that came in parts, by index.
struct ReceivedBatch {
  std::vector<pb::Change> changes;
  std::vector<Ack> acks;
  std::vector<std::pair<std::size_t, std::string>> announced;
  std::size_t bytes = 0;   // serialized size of the changes
  std::uint64_t last = 0;  // relay_seq of the last change
  std::uint64_t head = 0;  // the relay's head_seq when it answered
  bool more = false;       // the relay has more after this batch
  bool rewound = false;    // the relay does not hold the cursor's change: nothing more follows
  std::vector<std::pair<std::string, std::uint64_t>>
      heads;  // on the last batch: (author, highest seq held)
};

class PullReceiver {
 public:
  // Starts pulling after relay sequence number `cursor`, whose change has id `cursor_id`
  // (empty: not checked), with Pull budget `budget_bytes`.
  PullReceiver(RelayConnection& conn, std::string vault, std::uint64_t cursor,
               std::string cursor_id, std::uint32_t budget_bytes, std::size_t max_queued_bytes);
  ~PullReceiver();  // Finish()
  PullReceiver(const PullReceiver&) = delete;
  PullReceiver& operator=(const PullReceiver&) = delete;

  // The next batch, waiting for it; nullopt when the relay has nothing more. A batch may
  // hold no changes (the relay's answer when nothing is left; it still carries head_seq).
  // An error of the connection or of the relay's answers ends the pull and is returned here.
  Result<std::optional<ReceivedBatch>> Next();
  // True when a batch is queued (Next() would not wait).
  bool Ready();
  // Stops the thread and waits for it. A pull still running is abandoned: the connection
  // is shut down (it cannot carry further requests after an abandoned Pull).
  void Finish();

 private:
  void Run();
  Status Receive();
  Result<std::uint64_t> SendPull(std::uint64_t after_seq, const std::string& after_id);
  // Blocks while the queue is over its bound; false once Finish() was called.
  bool Enqueue(ReceivedBatch batch);

  RelayConnection& conn_;
  const std::string vault_;
  const std::uint64_t cursor_;
  const std::string cursor_id_;
  const std::uint32_t budget_bytes_;
  const std::size_t max_queued_bytes_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<ReceivedBatch> queue_;  // guarded by mu_
  std::size_t queued_bytes_ = 0;     // guarded by mu_
  bool ended_ = false;               // guarded by mu_: the thread queues nothing more
  bool last_queued_ = false;         // guarded by mu_: the relay's last answer is queued; the
                                     // thread reads nothing more from the connection
  bool stopping_ = false;            // guarded by mu_: Finish() was called
  Status error_;                     // guarded by mu_: why the pull ended early
  std::thread thread_;
};

}  // namespace parley::sync
