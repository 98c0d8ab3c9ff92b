// A relay of the test's own, scripted by the test: the real wire (length framing, Noise XK
// responder with its own pinned key, Welcome), reached through an in-memory
// LoopbackTransport instead of TCP. What it answers to Push and Pull is up to the test, so
// it can play an honest relay or any kind of hostile one.
//
// Thread safety: the relay serves one connection at a time on a thread of its own; the
// handlers run on that thread, under the relay's lock (a test may call pulls() and the
// setters from any thread). Ownership: the relay owns its transport; a device given
// transport() must not outlive the relay.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/testing/loopback_transport.h"
#include "parley/wire.pb.h"

namespace parley::testing {

struct Served {
  std::uint64_t relay_seq = 0;
  pb::Change change;
};

// What the relay answers to one Pull: the PullBatch frames (bodies only) to send. None means
// one empty batch.
using PullScript = std::function<std::vector<pb::PullBatch>(std::uint64_t after_seq)>;
using PullHandler = std::function<std::vector<pb::PullBatch>(const pb::Pull& pull)>;
// What the relay answers to one Push of whole changes: one ChangeAck per change, in order.
using PushHandler = std::function<std::vector<pb::ChangeAck>(const pb::Push& push)>;

// Honest serving of `relay_log`: every change after the cursor in one batch.
std::vector<pb::PullBatch> ServeHonestly(const std::vector<Served>& relay_log, std::uint64_t after);

class ScriptedRelay {
 public:
  static constexpr const char* kAddress = "hostile-relay:7000";

  ScriptedRelay();
  ~ScriptedRelay();
  ScriptedRelay(const ScriptedRelay&) = delete;
  ScriptedRelay& operator=(const ScriptedRelay&) = delete;

  Transport& transport() { return transport_; }
  const crypto::Bytes& public_key() const { return key_.public_key; }

  // Pull answers from `script` (by cursor) or `handler` (by the whole Pull).
  void SetScript(PullScript script);
  void SetPullHandler(PullHandler handler);
  // Push answers from `handler`; without one, every change is acknowledged with a new
  // relay_seq (above 1,000,000) and never served back.
  void SetPushHandler(PushHandler handler);
  int pulls();
  // Waits until every connection made so far has been served to its end (the device hung
  // up and the relay read that), so nothing of a finished session still runs on the relay.
  void WaitIdle();

 private:
  void Run();
  void Serve(class PolledStream& stream);

  crypto::DhKeyPair key_;
  int stop_[2] = {-1, -1};
  int accepted_[2] = {-1, -1};  // server ends of new connections, as raw ints
  LoopbackTransport transport_;
  std::thread thread_;
  std::mutex mu_;
  PullHandler pull_;
  PushHandler push_;
  int pulls_ = 0;
  std::condition_variable idle_;
  std::uint64_t connections_ = 0;  // handed over by the transport
  std::uint64_t finished_ = 0;     // served to their end
  std::uint64_t push_seq_ = 1'000'000;
};

}  // namespace parley::testing
