#include "relay_connection.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "parley/sync/auth.h"

namespace parley::sync {
namespace {

Status Unavailable(std::string what) {
  return Error(Domain::kSync, Code::kUnavailable, std::move(what));
}

}  // namespace

constexpr std::string_view kRevokedMessage =
    "this device was revoked from the vault (relay says so; its proof is not verified here: "
    "check SyncClient::last_revocation() with CheckRevocationNotice)";

Status ErrorStatus(const pb::Error& e) {
  if (e.code() == pb::ERROR_REVOKED)
    return Error(Domain::kSync, Code::kPermissionDenied, std::string(kRevokedMessage));
  Code code = Code::kInternal;
  switch (e.code()) {
    case pb::ERROR_RATE_LIMITED:
    case pb::ERROR_UNAVAILABLE:
    case pb::ERROR_SHUTTING_DOWN:
      code = Code::kUnavailable;
      break;
    case pb::ERROR_UNAUTHENTICATED:
    case pb::ERROR_AUTH_FAILED:
    case pb::ERROR_NOT_MEMBER:
    case pb::ERROR_NOT_ADMIN:
      code = Code::kPermissionDenied;
      break;
    case pb::ERROR_UNKNOWN_VAULT:
      code = Code::kNotFound;
      break;
    case pb::ERROR_CONFLICT:
    case pb::ERROR_REVOCATION_DROPPED:
      code = Code::kConflict;
      break;
    case pb::ERROR_UNSUPPORTED:
      code = Code::kUnsupported;
      break;
    case pb::ERROR_NOT_ADMITTED:
      // The relay's operator has not admitted the vault (the message names it and says
      // how); retrying changes nothing until they do.
      code = Code::kPermissionDenied;
      break;
    case pb::ERROR_QUOTA_EXCEEDED:
      // No room for the vault on the relay ("the vault holds X of its Y bytes on this
      // relay"): the changes stay on this device and are pushed once there is room.
      code = Code::kDiskFull;
      break;
    default:
      break;
  }
  return Error(Domain::kSync, code,
               "relay: " + (e.message().empty() ? std::string("error") : e.message()));
}

RelayConnection::RelayConnection(std::unique_ptr<Connection> conn, const SyncOptions& options,
                                 Poller& poller, Canceller* cancel, std::string relay_label,
                                 std::optional<RevocationNotice>* revocation)
    : conn_(std::move(conn)),
      options_(options),
      poller_(poller),
      cancel_(cancel),
      relay_label_(std::move(relay_label)),
      revocation_(revocation) {}

Status RelayConnection::NoteError(const pb::Error& e) {
  last_error_ = e;
  if (e.code() == pb::ERROR_REVOKED && revocation_ != nullptr) {
    RevocationNotice& n = revocation_->emplace();
    n.list = e.revocation().list();
    n.signer = e.revocation().signer();
    n.signature = e.revocation().signature();
    n.relay = relay_label_;
  }
  return ErrorStatus(e);
}

RelayConnection::~RelayConnection() = default;

std::int64_t RelayConnection::NowMs() { return poller_.clock().MonotonicNs() / 1'000'000; }

Status RelayConnection::WaitFor(short events, std::int64_t deadline_ms) {
  for (;;) {
    if (cancel_ != nullptr && cancel_->cancelled())
      return Error(Domain::kSync, Code::kCancelled, "cancelled");
    const std::int64_t left = std::max<std::int64_t>(0, deadline_ms - NowMs());
    pollfd fds[2] = {{conn_->poll_fd(), events, 0},
                     {cancel_ != nullptr ? cancel_->fd() : -1, POLLIN, 0}};
    const int n = poller_.Poll(fds, 2, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[1].revents != 0) continue;  // the cancel check above returns
    if (fds[0].revents != 0) return Status::Ok();
    if (left == 0 || NowMs() >= deadline_ms) return Unavailable("the relay did not answer in time");
  }
}

Result<std::unique_ptr<RelayConnection>> RelayConnection::Open(
    const RelayRecord& relay, const store::DeviceKeys& device, const SyncOptions& options,
    Poller& poller, Transport& transport, Canceller* cancel,
    std::optional<RevocationNotice>* revocation) {
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c,
                          transport.Connect(relay.address, options.connect_timeout_ms,
                                            cancel != nullptr ? cancel->fd() : -1));
  std::unique_ptr<RelayConnection> conn(
      new RelayConnection(std::move(c), options, poller, cancel, relay.label(), revocation));
  PARLEY_ASSIGN_OR_RETURN(wire::NoiseSession session,
                          wire::NoiseSession::Initiator(device.kx, relay.public_key));
  conn->session_.emplace(std::move(session));
  Status hs = wire::RunHandshake(*conn->session_, *conn);
  if (!hs.ok()) {
    if (hs.code() == Code::kCorrupt) {
      return Error(
          Domain::kSync, Code::kPermissionDenied,
          "the relay at " + relay.address + " does not hold the pinned key (handshake failed)");
    }
    return hs;
  }
  const crypto::Bytes cert = wire::MakeKxCertificate(device.identity, device.kx.public_key);
  pb::Frame auth;
  *auth.mutable_authenticate() =
      wire::MakeAuthenticate(device.identity, cert, conn->session_->handshake_hash());
  PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn->Call(std::move(auth)));
  if (answer.body_case() != pb::Frame::kWelcome)
    return Unavailable("the relay answered Authenticate oddly");
  conn->welcome_ = answer.welcome();
  return conn;
}

Status RelayConnection::ReadExact(std::span<std::uint8_t> out) {
  std::size_t got = 0;
  const std::int64_t deadline = NowMs() + options_.io_timeout_ms;
  while (got < out.size()) {
    PARLEY_ASSIGN_OR_RETURN(const std::size_t n, conn_->ReadSome(out.subspan(got)));
    if (n > 0) {
      got += n;
      bytes_in_ += n;
      continue;
    }
    PARLEY_RETURN_IF_ERROR(WaitFor(POLLIN, deadline));
  }
  return Status::Ok();
}

Status RelayConnection::WriteAll(crypto::ByteView data) {
  std::size_t sent = 0;
  const std::int64_t deadline = NowMs() + options_.io_timeout_ms;
  while (sent < data.size()) {
    PARLEY_ASSIGN_OR_RETURN(const std::size_t n, conn_->WriteSome(data.subspan(sent)));
    if (n > 0) {
      sent += n;
      bytes_out_ += n;
      continue;
    }
    PARLEY_RETURN_IF_ERROR(WaitFor(POLLOUT, deadline));
  }
  return Status::Ok();
}

Status RelayConnection::Send(const pb::Frame& frame) {
  return wire::SendFrame(*session_, *this, frame);
}

Result<pb::Frame> RelayConnection::ReadFrame() {
  auto frame = wire::ReceiveFrame(*session_, *this);
  if (!frame.ok() && frame.status().code() == Code::kInvalidArgument) {
    return Error(Domain::kSync, Code::kCorrupt, "the relay sent something that is not a frame");
  }
  return frame;
}

Result<pb::Frame> RelayConnection::Call(pb::Frame request) {
  const std::uint64_t id = TakeId();
  request.set_id(id);
  PARLEY_RETURN_IF_ERROR(Send(request));
  return AwaitAnswer(id);
}

Result<pb::Frame> RelayConnection::AwaitAnswer(std::uint64_t id) {
  for (;;) {
    PARLEY_RETURN_IF_ERROR(WaitFor(POLLIN, NowMs() + options_.io_timeout_ms));
    PARLEY_ASSIGN_OR_RETURN(pb::Frame f, ReadFrame());
    if (f.body_case() == pb::Frame::kNotify) {
      notify_ = std::max(notify_.value_or(0), f.notify().head_seq());
      continue;
    }
    if (f.id() != id) {
      if (f.body_case() == pb::Frame::kError &&
          f.id() == 0) {  // unsolicited: the relay is closing us
        return NoteError(f.error());
      }
      continue;  // a late answer to an abandoned request
    }
    if (f.body_case() == pb::Frame::kError) return NoteError(f.error());
    return f;
  }
}

Result<std::optional<pb::Frame>> RelayConnection::Receive(std::int64_t timeout_ms) {
  Status w = WaitFor(POLLIN, NowMs() + timeout_ms);
  if (w.code() == Code::kUnavailable) return std::optional<pb::Frame>();
  PARLEY_RETURN_IF_ERROR(w);
  PARLEY_ASSIGN_OR_RETURN(pb::Frame f, ReadFrame());
  return std::optional<pb::Frame>(std::move(f));
}

std::optional<std::uint64_t> RelayConnection::TakeNotify() {
  auto n = notify_;
  notify_.reset();
  return n;
}

}  // namespace parley::sync
