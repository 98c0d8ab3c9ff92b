// One device connection: three coroutines on the connection's strand.
//
//   ReadLoop   handshake (responder), Authenticate, then one frame at a time: read,
//              rate-limit, handle (awaiting storage), queue the answer.
//   WriteLoop  drains the outbound queue (each message sealed in order on the strand).
//   Watchdog   closes the socket when the read or the write deadline passes. Deadlines
//              are explicit; no operation is raced against a timer.
//
// Invariants: every member is touched only on the strand, except Notify() and Stop(),
// which post to it. The outbound queue holds at most max_queue_frames messages; a client
// that lets it fill is disconnected (its own queue only: other connections are untouched).
// All queues together hold about max_outbound_bytes at most: past it, every reader waits
// before taking its next frame (an answer being built may still be queued, so the bound
// is exceeded by at most one answer per connection, plus Notify frames).
// A message that fails to decrypt closes the connection at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "asio_includes.h"

#include "change_check.h"
#include "parley/relay/tuning.h"
#include "parley/sync/change_parts.h"
#include "parley/sync/session.h"
#include "server_context.h"

namespace parley::relay {

// "the vault holds X of its Y bytes on this relay": the message of a quota refusal.
std::string QuotaMessage(std::uint64_t held, std::uint64_t quota);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;
  // Any connected stream socket: TCP (accepted by the server) or one handed to
  // RelayServer::Adopt (TCP, or AF_UNIX from socketpair(2)).
  using Socket = asio::generic::stream_protocol::socket;

  Connection(Socket socket, ServerContext& ctx, std::uint64_t id);
  ~Connection();

  void Start();
  // Graceful stop (any thread): finish frames already received, flush, close.
  void Stop();
  // Closes now (any thread): the shutdown grace period is over.
  void Abort();
  // Closes now (any thread) unless it authenticated meanwhile: the oldest unauthenticated
  // connection makes room for a new one (max_unauthenticated, max_connections).
  void Evict();
  // Queues a Notify frame (any thread) if the connection is authenticated.
  void Notify(const std::string& vault, std::uint64_t head_seq);

 private:
  asio::awaitable<void> ReadLoop();
  asio::awaitable<void> WriteLoop();
  asio::awaitable<void> Watchdog();

  asio::awaitable<bool> Handshake();
  asio::awaitable<bool> Authenticate();
  // Reads one length-prefixed message under the read deadline; nullopt when the
  // connection ended, timed out or broke the framing (already logged and closed).
  asio::awaitable<std::optional<wire::Bytes>> ReadMessage(std::size_t cap, bool idle_wait);
  asio::awaitable<bool> WriteNow(const wire::Bytes& message);
  void SetReadDeadline(std::optional<Clock::duration> in);

  // Frame handlers (relay/handlers.cc). Each queues its answer.
  asio::awaitable<void> Handle(pb::Frame frame);
  asio::awaitable<void> HandlePush(std::uint64_t id, const pb::Push& push);
  // Parts of a large change (relay/handlers_parts.cc): Done for each part but the last,
  // the PushAck after the whole change is durable.
  asio::awaitable<void> HandlePushPart(std::uint64_t id, const pb::Push& push);
  // Checks, stores and acknowledges changes (one Push, or one reassembled change).
  asio::awaitable<void> StoreAndAck(std::uint64_t id, const std::string& vault,
                                    const VaultView& view, std::vector<CheckResult> checked);
  // Pull, its cursor check and the author heads (relay/handlers_pull.cc).
  asio::awaitable<void> HandlePull(std::uint64_t id, const pb::Pull& pull);
  // Serves one stored change too large for a frame as consecutive PullBatch parts. When
  // `more` is false the last part carries `heads` (pull_heads.h); if they do not fit it,
  // every part says `more` instead, and the next Pull's empty answer carries them.
  asio::awaitable<void> ServeInParts(std::uint64_t id, const ChangeRow& row, std::uint64_t head,
                                     bool more, const std::vector<AuthorHead>& heads);
  // Drops a half-received large change and its reservation of the reassembly budget.
  void DropUpload();
  // Waits until the outbound queue is at most half full and the relay's outbound bytes are
  // under max_outbound_bytes (or the connection closed).
  asio::awaitable<void> WaitForRoom();
  // Waits until the outbound bytes of all connections are under max_outbound_bytes (or the
  // connection closed): the reader takes no frame meanwhile (backpressure).
  asio::awaitable<void> WaitForOutboundRoom();
  asio::awaitable<void> HandleRegister(std::uint64_t id, const pb::RegisterVault& reg);
  asio::awaitable<void> HandleSetMembership(std::uint64_t id, const pb::SetMembership& set);
  asio::awaitable<void> HandlePutEnvelope(std::uint64_t id, const pb::PutEnvelope& put);
  asio::awaitable<void> HandleGetEnvelopes(std::uint64_t id, const pb::GetEnvelopes& get);
  asio::awaitable<void> HandlePurge(std::uint64_t id, const pb::Purge& purge);
  void HandleSubscribe(std::uint64_t id, const pb::Subscribe& sub, const VaultView& view);
  // The vault's stored bytes and its quota (its own, else the default; 0: none).
  asio::awaitable<Result<std::pair<std::uint64_t, std::uint64_t>>> QuotaFigures(
      const std::string& vault);
  // QuotaMessage of the vault's figures now.
  asio::awaitable<std::string> QuotaUsage(const std::string& vault);

  // The vault's view (loading it on a miss); null when unknown (an Error was queued).
  asio::awaitable<std::shared_ptr<const VaultView>> LoadVault(std::uint64_t id,
                                                              const std::string& vault);
  // The vault's view when this device is a member (admin if `need_admin`); otherwise
  // queues the Error and returns null.
  asio::awaitable<std::shared_ptr<const VaultView>> RequireMember(std::uint64_t id,
                                                                  const std::string& vault,
                                                                  bool need_admin);

  void SendFrame(const pb::Frame& frame);
  void SendError(std::uint64_t id, pb::ErrorCode code, std::string message,
                 std::uint32_t retry_after_ms = 0);
  void SendDone(std::uint64_t id);
  // ERROR_REVOKED answering `id`, with `proof` (the stored list revoking this device).
  void SendRevoked(std::uint64_t id, const StoredMembership& proof);
  // Closes now. `reason` is logged.
  void Close(std::string_view reason);
  // Closes once the queue is flushed; the reader stops.
  void CloseAfterFlush();

  Socket socket_;
  ServerContext& ctx_;
  const std::uint64_t id_;
  std::string peer_;  // "address:port" for TCP, "unix" for AF_UNIX
  std::optional<wire::NoiseSession> session_;
  crypto::Bytes device_;    // identity key once authenticated
  std::string device_hex_;  // short form for logs
  bool authenticated_ = false;

  std::deque<wire::Bytes> queue_;  // prefixed, sealed messages
  // Bytes of queue_ plus the batch being written (counted in ctx_.outbound_bytes).
  std::uint64_t queued_bytes_ = 0;
  asio::steady_timer wake_writer_;
  asio::steady_timer room_;     // cancelled when the writer takes frames off the queue
  wire::PartAssembler upload_;  // the large change being received, if any
  std::string upload_vault_;
  std::uint64_t upload_reserved_ = 0;  // bytes of ctx_.reassembly_bytes held by upload_
  asio::steady_timer watchdog_;
  Clock::time_point read_deadline_ = Clock::time_point::max();
  Clock::time_point write_deadline_ = Clock::time_point::max();
  bool closed_ = false;
  bool flush_then_close_ = false;
  bool stopping_ = false;
  bool idle_wait_ = false;  // the reader waits for the first byte of a frame
  // When the frame being handled arrived (the push ack latency).
  Clock::time_point frame_read_at_{};
};

}  // namespace parley::relay
