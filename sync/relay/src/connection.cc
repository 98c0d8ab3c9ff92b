#include "connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "log.h"
#include "parley/sync/auth.h"

namespace parley::relay {
namespace {

using asio::use_awaitable;
using std::chrono::milliseconds;

using tuning::kMaxHandshakeMessage;
using tuning::kMaxWriteBatch;

bool IsInet(int family) { return family == AF_INET || family == AF_INET6; }

// "address:port" of a TCP peer, "unix" for an AF_UNIX one, "?" when unknown.
std::string PeerName(const Connection::Socket& socket) {
  std::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  const int family = ep.protocol().family();
  if (family == AF_UNIX) return "unix";
  asio::ip::tcp::endpoint tcp;
  if (!IsInet(family) || ep.size() > tcp.capacity()) return "?";
  std::memcpy(tcp.data(), ep.data(), ep.size());
  tcp.resize(ep.size());
  return tcp.address().to_string() + ":" + std::to_string(tcp.port());
}

}  // namespace

Connection::Connection(Socket socket, ServerContext& ctx, std::uint64_t id)
    : socket_(std::move(socket)),
      ctx_(ctx),
      id_(id),
      wake_writer_(socket_.get_executor()),
      room_(socket_.get_executor()),
      upload_(std::min<std::uint64_t>(ctx.options.max_change_bytes, wire::kMaxChangeBytes)),
      watchdog_(socket_.get_executor()) {
  peer_ = PeerName(socket_);
  std::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  if (!ec && IsInet(local.protocol().family()))
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Connection::~Connection() {
  DropUpload();
  ctx_.unauthenticated.Remove(id_);
  if (authenticated_) ctx_.authenticated.fetch_sub(1, std::memory_order_relaxed);
  ctx_.outbound_bytes.fetch_sub(queued_bytes_, std::memory_order_relaxed);
  ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  if (authenticated_) ctx_.metrics.devices.Remove(std::string(device_.begin(), device_.end()));
  ctx_.connections.Remove(id_);
  LogInfo("disconnected", {{"conn", id_}});
  if (ctx_.on_connection_gone) ctx_.on_connection_gone();
}

void Connection::Start() {
  if (ctx_.options.log_client_addresses) {
    LogInfo("connected", {{"conn", id_}, {"peer", peer_}});
  } else {
    LogInfo("connected", {{"conn", id_}});
  }
  auto self = shared_from_this();
  auto ex = socket_.get_executor();
  asio::co_spawn(
      ex, [self] { return self->Watchdog(); }, asio::detached);
  asio::co_spawn(
      ex, [self] { return self->ReadLoop(); }, asio::detached);
}

void Connection::Stop() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (self->closed_) return;
    if (!self->authenticated_) {
      self->Close("shutting down");
      return;
    }
    std::error_code ec;
    // The reader waits for a frame that has not started to arrive: end its read. A frame
    // already arriving is read and handled first.
    if (self->idle_wait_ && self->socket_.available(ec) == 0) {
      self->socket_.shutdown(asio::socket_base::shutdown_receive, ec);
    }
  });
}

void Connection::Evict() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    // It may have authenticated since it was chosen: a device stays.
    if (!self->authenticated_) self->Close("evicted: too many unauthenticated connections");
  });
}

void Connection::Abort() {
  asio::post(socket_.get_executor(),
             [self = shared_from_this()] { self->Close("shutdown grace period over"); });
}

void Connection::Notify(const std::string& vault, std::uint64_t head_seq) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), vault, head_seq] {
    if (self->closed_ || !self->authenticated_ || self->flush_then_close_) return;
    // A subscriber the vault's current list no longer admits (revoked, or removed) hears
    // nothing more of it.
    if (auto view = self->ctx_.vaults.Find(vault);
        view && view->members.Find(self->device_) == nullptr)
      return;
    pb::Frame f;
    f.mutable_notify()->set_vault(vault);
    f.mutable_notify()->set_head_seq(head_seq);
    self->SendFrame(f);
  });
}

void Connection::SetReadDeadline(std::optional<Clock::duration> in) {
  read_deadline_ = in ? Clock::now() + *in : Clock::time_point::max();
  if (read_deadline_ < watchdog_.expiry())
    watchdog_.expires_at(read_deadline_);  // wakes the watchdog
}

asio::awaitable<void> Connection::Watchdog() {
  while (!closed_) {
    const auto deadline = std::min(read_deadline_, write_deadline_);
    if (deadline <= Clock::now()) {
      ctx_.metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
      Close(write_deadline_ <= Clock::now() ? "write timeout" : "read timeout");
      break;
    }
    watchdog_.expires_at(deadline);
    std::error_code ec;
    co_await watchdog_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

asio::awaitable<std::optional<wire::Bytes>> Connection::ReadMessage(std::size_t cap,
                                                                    bool idle_wait) {
  std::uint8_t prefix[wire::kLengthPrefixSize];
  std::error_code ec;
  idle_wait_ = idle_wait;
  co_await asio::async_read(socket_, asio::buffer(prefix), asio::redirect_error(use_awaitable, ec));
  idle_wait_ = false;
  if (ec || closed_) {
    // End of stream between frames is an orderly close (the peer's, or ours at shutdown):
    // the caller flushes the answers already queued. Anything else closes at once.
    if (!closed_ && !(ec == asio::error::eof && idle_wait)) Close("read failed");
    co_return std::nullopt;
  }
  auto n = wire::DecodeLength(prefix, cap);
  if (!n.ok()) {
    // Refused from the prefix alone: nothing allocated, nothing more read.
    Close(n.status().message());
    co_return std::nullopt;
  }
  wire::Bytes msg(*n);
  co_await asio::async_read(socket_, asio::buffer(msg), asio::redirect_error(use_awaitable, ec));
  if (ec || closed_) {
    if (!closed_) Close("read failed mid-message");
    co_return std::nullopt;
  }
  ctx_.metrics.bytes_in.fetch_add(*n + wire::kLengthPrefixSize, std::memory_order_relaxed);
  co_return msg;
}

asio::awaitable<bool> Connection::WriteNow(const wire::Bytes& message) {
  auto out = wire::Prefixed(message);
  if (!out.ok()) co_return false;
  write_deadline_ = Clock::now() + milliseconds(ctx_.options.write_timeout_ms);
  if (write_deadline_ < watchdog_.expiry()) watchdog_.expires_at(write_deadline_);
  std::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(*out), asio::redirect_error(use_awaitable, ec));
  write_deadline_ = Clock::time_point::max();
  if (ec || closed_) {
    if (!closed_) Close("write failed");
    co_return false;
  }
  ctx_.metrics.bytes_out.fetch_add(out->size(), std::memory_order_relaxed);
  co_return true;
}

asio::awaitable<bool> Connection::Handshake() {
  auto session = wire::NoiseSession::Responder(ctx_.static_key);
  if (!session.ok()) {
    Close("internal: " + session.status().message());
    co_return false;
  }
  session_.emplace(std::move(*session));
  while (!session_->handshake_done()) {
    if (session_->my_turn()) {
      auto msg = session_->WriteHandshake();
      if (!msg.ok() || !co_await WriteNow(*msg)) {
        if (!closed_) Close("handshake write failed");
        co_return false;
      }
    } else {
      auto msg = co_await ReadMessage(kMaxHandshakeMessage, false);
      if (!msg) {
        ctx_.metrics.handshakes_failed.fetch_add(1, std::memory_order_relaxed);
        co_return false;
      }
      Status s = session_->ReadHandshake(*msg);
      if (!s.ok()) {
        ctx_.metrics.handshakes_failed.fetch_add(1, std::memory_order_relaxed);
        Close("handshake failed");
        co_return false;
      }
    }
  }
  co_return true;
}

asio::awaitable<bool> Connection::Authenticate() {
  auto msg = co_await ReadMessage(ctx_.options.max_frame_bytes, false);
  if (!msg) co_return false;
  auto frame = session_->Open(*msg);
  if (!frame.ok()) {
    if (frame.status().code() == Code::kCorrupt) {
      ctx_.metrics.decrypt_failures.fetch_add(1, std::memory_order_relaxed);
      Close("a frame failed to decrypt");
      co_return false;
    }
    SendError(0, pb::ERROR_MALFORMED, "not a frame");
    CloseAfterFlush();
    co_return false;
  }
  ctx_.metrics.frames_in.fetch_add(1, std::memory_order_relaxed);
  if (frame->body_case() != pb::Frame::kAuthenticate) {
    SendError(frame->id(), pb::ERROR_UNAUTHENTICATED, "authenticate first");
    CloseAfterFlush();
    co_return false;
  }
  const pb::Authenticate& auth = frame->authenticate();
  if (auth.protocol_version() != wire::kProtocolVersion) {
    SendError(frame->id(), pb::ERROR_UNSUPPORTED, "protocol version 1 only");
    CloseAfterFlush();
    co_return false;
  }
  auto device =
      wire::VerifyAuthenticate(auth, session_->handshake_hash(), session_->remote_static());
  if (!device.ok()) {
    ctx_.metrics.auth_failed.fetch_add(1, std::memory_order_relaxed);
    LogWarn("auth_failed", {{"conn", id_}, {"reason", device.status().message()}});
    SendError(frame->id(), pb::ERROR_AUTH_FAILED, device.status().message());
    CloseAfterFlush();
    co_return false;
  }
  device_ = std::move(*device);
  device_hex_ = LogId(device_);
  // A device revoked from a vault here, and a member of none, is refused with the proof.
  auto lookup = [me = device_](RelayStorage& st) -> Result<std::optional<Revocation>> {
    PARLEY_ASSIGN_OR_RETURN(std::optional<Revocation> r, st.FindRevocation(me));
    if (!r) return r;
    PARLEY_ASSIGN_OR_RETURN(bool member, st.IsMemberAnywhere(me));
    if (member) r.reset();
    return r;
  };
  auto revoked =
      co_await Call<Result<std::optional<Revocation>>>(ctx_.storage, false, std::move(lookup));
  if (!revoked.ok()) {
    ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
    LogWarn("storage_error", {{"conn", id_}, {"reason", revoked.status().message()}});
    SendError(frame->id(), pb::ERROR_UNAVAILABLE, "storage unavailable",
              tuning::kRetryAfterStorageErrorMs);
    CloseAfterFlush();
    co_return false;
  }
  if (revoked->has_value()) {
    const Revocation& r = **revoked;
    const std::string vault_hex = LogId(r.vault);
    LogInfo("revoked_refused",
            {{"conn", id_}, {"device", device_hex_}, {"vault", vault_hex}, {"at", "authenticate"}});
    SendRevoked(frame->id(), r.membership);
    CloseAfterFlush();
    co_return false;
  }
  authenticated_ = true;
  ctx_.unauthenticated.Remove(id_);
  ctx_.authenticated.fetch_add(1, std::memory_order_relaxed);
  ctx_.metrics.devices.Add(std::string(device_.begin(), device_.end()));
  LogInfo("authenticated", {{"conn", id_}, {"device", device_hex_}});
  pb::Frame welcome;
  welcome.set_id(frame->id());
  auto* w = welcome.mutable_welcome();
  w->set_protocol_version(wire::kProtocolVersion);
  w->set_max_frame_bytes(ctx_.options.max_frame_bytes);
  w->set_max_push_changes(ctx_.options.max_push_changes);
  w->set_max_change_bytes(
      std::min<std::uint64_t>(ctx_.options.max_change_bytes, wire::kMaxChangeBytes));
  SendFrame(welcome);
  co_return true;
}

asio::awaitable<void> Connection::ReadLoop() {
  auto self = shared_from_this();
  SetReadDeadline(milliseconds(ctx_.options.handshake_timeout_ms));
  if (!co_await Handshake()) co_return;
  asio::co_spawn(
      socket_.get_executor(), [self] { return self->WriteLoop(); }, asio::detached);
  if (!co_await Authenticate()) co_return;
  for (;;) {
    std::error_code ec;
    if (stopping_ && socket_.available(ec) == 0) break;
    co_await WaitForOutboundRoom();
    if (closed_ || (stopping_ && socket_.available(ec) == 0)) break;
    SetReadDeadline(milliseconds(ctx_.options.idle_timeout_ms));
    auto msg = co_await ReadMessage(ctx_.options.max_frame_bytes, true);
    if (!msg) break;
    frame_read_at_ = Clock::now();
    SetReadDeadline(std::nullopt);  // handling a frame may wait for storage
    auto frame = session_->Open(*msg);
    if (!frame.ok()) {
      if (frame.status().code() == Code::kCorrupt) {
        ctx_.metrics.decrypt_failures.fetch_add(1, std::memory_order_relaxed);
        Close("a frame failed to decrypt");
        break;
      }
      SendError(0, pb::ERROR_MALFORMED, "not a frame");
      continue;
    }
    ctx_.metrics.frames_in.fetch_add(1, std::memory_order_relaxed);
    // The parts of a large change are consecutive frames: anything else abandons it.
    if (upload_.open() && !(frame->body_case() == pb::Frame::kPush && frame->push().has_part())) {
      LogWarn("push_part", {{"conn", id_}, {"reason", "parts interrupted by another frame"}});
      DropUpload();
    }
    const double cost =
        1.0 + (frame->body_case() == pb::Frame::kPush ? frame->push().changes_size() : 0);
    if (std::uint32_t wait = ctx_.limiter.Take(std::string(device_.begin(), device_.end()), cost);
        wait > 0) {
      ctx_.metrics.rate_limited.fetch_add(1, std::memory_order_relaxed);
      SendError(frame->id(), pb::ERROR_RATE_LIMITED, "slow down", wait);
      continue;
    }
    co_await Handle(std::move(*frame));
    if (closed_) break;
  }
  SetReadDeadline(std::nullopt);
  CloseAfterFlush();
}

asio::awaitable<void> Connection::WaitForOutboundRoom() {
  if (ctx_.outbound_bytes.load(std::memory_order_relaxed) < ctx_.options.max_outbound_bytes)
    co_return;
  ctx_.metrics.outbound_waits.fetch_add(1, std::memory_order_relaxed);
  // The bytes drain from every connection's writer (or go with a connection that closes);
  // no single event says when: look again shortly, without a deadline (writes have theirs).
  asio::steady_timer again(socket_.get_executor());
  while (!closed_ &&
         ctx_.outbound_bytes.load(std::memory_order_relaxed) >= ctx_.options.max_outbound_bytes) {
    again.expires_after(milliseconds(tuning::kOutboundRoomCheckMs));
    std::error_code ec;
    co_await again.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

asio::awaitable<void> Connection::WriteLoop() {
  auto self = shared_from_this();
  std::vector<wire::Bytes> batch;
  std::vector<asio::const_buffer> buffers;
  while (!closed_) {
    if (queue_.empty()) {
      if (flush_then_close_) {
        std::error_code ec;
        socket_.shutdown(asio::socket_base::shutdown_send, ec);
        Close("closed");
        break;
      }
      wake_writer_.expires_at(Clock::time_point::max());
      std::error_code ec;
      co_await wake_writer_.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    batch.clear();
    buffers.clear();
    std::size_t bytes = 0;
    while (!queue_.empty() && batch.size() < kMaxWriteBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
      bytes += batch.back().size();
    }
    room_.cancel();
    for (const auto& b : batch) buffers.emplace_back(asio::buffer(b));
    write_deadline_ = Clock::now() + milliseconds(ctx_.options.write_timeout_ms);
    if (write_deadline_ < watchdog_.expiry()) watchdog_.expires_at(write_deadline_);
    std::error_code ec;
    co_await asio::async_write(socket_, buffers, asio::redirect_error(use_awaitable, ec));
    write_deadline_ = Clock::time_point::max();
    if (ec) {
      if (!closed_) Close("write failed");
      break;
    }
    queued_bytes_ -= bytes;
    ctx_.outbound_bytes.fetch_sub(bytes, std::memory_order_relaxed);
    ctx_.metrics.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
    ctx_.metrics.frames_out.fetch_add(batch.size(), std::memory_order_relaxed);
  }
}

void Connection::SendFrame(const pb::Frame& frame) {
  if (closed_ || !session_ || !session_->handshake_done()) return;
  if (queue_.size() >= ctx_.options.max_queue_frames) {
    ctx_.metrics.slow_clients_dropped.fetch_add(1, std::memory_order_relaxed);
    Close("outbound queue full");
    return;
  }
  auto sealed = session_->Seal(frame);
  if (!sealed.ok()) {
    LogWarn("internal", {{"conn", id_}, {"reason", sealed.status().message()}});
    return;
  }
  auto prefixed = wire::Prefixed(*sealed);
  if (!prefixed.ok()) return;
  queued_bytes_ += prefixed->size();
  ctx_.outbound_bytes.fetch_add(prefixed->size(), std::memory_order_relaxed);
  queue_.push_back(std::move(*prefixed));
  wake_writer_.cancel();
}

void Connection::SendError(std::uint64_t id, pb::ErrorCode code, std::string message,
                           std::uint32_t retry_after_ms) {
  ctx_.metrics.ErrorSent(code);
  pb::Frame f;
  f.set_id(id);
  auto* e = f.mutable_error();
  e->set_code(code);
  e->set_message(std::move(message));
  e->set_retry_after_ms(retry_after_ms);
  SendFrame(f);
}

void Connection::SendRevoked(std::uint64_t id, const StoredMembership& proof) {
  ctx_.metrics.ErrorSent(pb::ERROR_REVOKED);
  pb::Frame f;
  f.set_id(id);
  pb::Error* e = f.mutable_error();
  e->set_code(pb::ERROR_REVOKED);
  e->set_message("this device was revoked from the vault");
  pb::SetMembership* p = e->mutable_revocation();
  p->set_list(proof.list);
  p->set_signer(proof.signer.data(), proof.signer.size());
  p->set_signature(proof.signature.data(), proof.signature.size());
  SendFrame(f);
}

void Connection::SendDone(std::uint64_t id) {
  pb::Frame f;
  f.set_id(id);
  f.mutable_done();
  SendFrame(f);
}

void Connection::Close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  std::error_code ec;
  socket_.close(ec);
  wake_writer_.cancel();
  room_.cancel();
  watchdog_.cancel();
  LogInfo("close", {{"conn", id_}, {"reason", reason}});
}

void Connection::CloseAfterFlush() {
  if (closed_) return;
  flush_then_close_ = true;
  wake_writer_.cancel();
}

}  // namespace parley::relay
