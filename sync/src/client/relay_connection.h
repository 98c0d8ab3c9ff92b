// One connection of the sync client to a relay: a Connection of the client's Transport
// (platform/transport.h), read and written without blocking and waited on through the
// client's Poller on its poll_fd() (every wait has a timeout and wakes on cancel), the Noise XK
// handshake, Authenticate, and request/answer calls matched by frame id. Notify frames
// that arrive while an answer is awaited are remembered (TakeNotify()).
// Thread safety: one thread, except Shutdown() (any thread). Failures: Code::kUnavailable
// (unreachable, closed, timed out), kCancelled, kCorrupt (a message failed to decrypt: the
// connection is dead), or the relay's Error frame mapped by ErrorStatus(). An ERROR_REVOKED answer
// (at Authenticate or to any request) is also kept as a RevocationNotice where Open() was told to
// keep it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "parley/core/store.h"
#include "parley/platform/transport.h"
#include "parley/sync/client.h"
#include "parley/sync/revocation.h"
#include "parley/sync/session.h"
#include "parley/wire.pb.h"

namespace parley::sync {

// The Status for a relay's Error frame (the message says what the relay said, except for
// ERROR_REVOKED, whose message is the client's own: the relay's word is not proof).
Status ErrorStatus(const pb::Error& error);

class RelayConnection final : public wire::ByteStream {
 public:
  // Connects, runs the handshake and authenticates. On success the relay's Welcome is held.
  // The connection is opened through `transport` (waiting at most connect_timeout_ms);
  // `options`, `poller`, `transport` and `cancel` must outlive the RelayConnection, and so
  // must `revocation` (may be null), where an ERROR_REVOKED answer's proof is stored as a
  // RevocationNotice from `relay` (also when Open itself fails with it).
  static Result<std::unique_ptr<RelayConnection>> Open(
      const RelayRecord& relay, const store::DeviceKeys& device, const SyncOptions& options,
      Poller& poller, Transport& transport, Canceller* cancel,
      std::optional<RevocationNotice>* revocation = nullptr);
  ~RelayConnection() override;

  // Sends `request` with a fresh id and returns the frame answering it. An Error answer
  // becomes its Status; last_error() then holds it.
  Result<pb::Frame> Call(pb::Frame request);
  // For answers in several frames (a large change pulled in parts) and pipelined requests:
  // a fresh request id, and the next frame carrying `id` (an Error becomes its Status).
  std::uint64_t TakeId() { return next_id_++; }
  Result<pb::Frame> AwaitAnswer(std::uint64_t id);
  Status Send(const pb::Frame& frame);
  // Waits up to `timeout_ms` for the next frame (nullopt on timeout).
  Result<std::optional<pb::Frame>> Receive(std::int64_t timeout_ms);
  std::optional<std::uint64_t> TakeNotify();

  // Keeps `error` as last_error() and, for ERROR_REVOKED, its proof as the notice; returns
  // ErrorStatus(error). For Error frames read outside Call/AwaitAnswer.
  Status NoteError(const pb::Error& error);

  const pb::Welcome& welcome() const { return welcome_; }
  const pb::Error& last_error() const { return last_error_; }
  // What the Poller waits on for incoming frames (the Connection's readiness fd).
  int poll_fd() const { return conn_->poll_fd(); }
  // Ends the connection under a thread waiting on it (Connection::Shutdown). Any thread.
  void Shutdown() { conn_->Shutdown(); }
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }

  // ByteStream (each call waits at most io_timeout_ms).
  Status ReadExact(std::span<std::uint8_t> out) override;
  Status WriteAll(crypto::ByteView data) override;

 private:
  RelayConnection(std::unique_ptr<Connection> conn, const SyncOptions& options, Poller& poller,
                  Canceller* cancel, std::string relay_label,
                  std::optional<RevocationNotice>* revocation);
  // Waits until the connection is ready for `events` or the deadline (monotonic ms) passes.
  Status WaitFor(short events, std::int64_t deadline_ms);
  std::int64_t NowMs();
  Result<pb::Frame> ReadFrame();

  const std::unique_ptr<Connection> conn_;
  const SyncOptions& options_;
  Poller& poller_;
  Canceller* cancel_;
  const std::string relay_label_;
  std::optional<RevocationNotice>* const revocation_;
  std::optional<wire::NoiseSession> session_;
  pb::Welcome welcome_;
  pb::Error last_error_;
  std::uint64_t next_id_ = 1;
  std::optional<std::uint64_t> notify_;
  std::uint64_t bytes_in_ = 0, bytes_out_ = 0;
};

}  // namespace parley::sync
