#include "relay_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "parley/sync/auth.h"

namespace parley::sync {
namespace {

Status Unavailable(std::string what) { return Error(Domain::kSync, Code::kUnavailable, std::move(what)); }

Result<std::pair<std::string, std::string>> SplitAddress(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return Error(Domain::kSync, Code::kInvalidArgument, "relay address '" + address + "' is not HOST:PORT");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::make_pair(host, address.substr(colon + 1));
}

}  // namespace

Status ErrorStatus(const pb::Error& e) {
  Code code = Code::kInternal;
  switch (e.code()) {
    case pb::ERROR_RATE_LIMITED:
    case pb::ERROR_UNAVAILABLE:
    case pb::ERROR_SHUTTING_DOWN: code = Code::kUnavailable; break;
    case pb::ERROR_UNAUTHENTICATED:
    case pb::ERROR_AUTH_FAILED:
    case pb::ERROR_NOT_MEMBER:
    case pb::ERROR_NOT_ADMIN: code = Code::kPermissionDenied; break;
    case pb::ERROR_UNKNOWN_VAULT: code = Code::kNotFound; break;
    case pb::ERROR_CONFLICT: code = Code::kConflict; break;
    case pb::ERROR_UNSUPPORTED: code = Code::kUnsupported; break;
    default: break;
  }
  return Error(Domain::kSync, code, "relay: " + (e.message().empty() ? std::string("error") : e.message()));
}

RelayConnection::RelayConnection(int fd, const SyncOptions& options, Poller& poller, Canceller* cancel)
    : fd_(fd), options_(options), poller_(poller), cancel_(cancel) {}

RelayConnection::~RelayConnection() {
  if (fd_ >= 0) ::close(fd_);
}

std::int64_t RelayConnection::NowMs() { return poller_.clock().MonotonicNs() / 1'000'000; }

Status RelayConnection::WaitFor(short events, std::int64_t deadline_ms) {
  for (;;) {
    if (cancel_ != nullptr && cancel_->cancelled()) return Error(Domain::kSync, Code::kCancelled, "cancelled");
    const std::int64_t left = std::max<std::int64_t>(0, deadline_ms - NowMs());
    pollfd fds[2] = {{fd_, events, 0}, {cancel_ != nullptr ? cancel_->fd() : -1, POLLIN, 0}};
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

Result<std::unique_ptr<RelayConnection>> RelayConnection::Open(const RelayRecord& relay,
                                                               const store::DeviceKeys& device,
                                                               const SyncOptions& options, Poller& poller,
                                                               Canceller* cancel) {
  PARLEY_ASSIGN_OR_RETURN(auto hp, SplitAddress(relay.address));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(hp.first.c_str(), hp.second.c_str(), &hints, &res); rc != 0) {
    return Unavailable("cannot resolve " + relay.address + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
  Status last = Unavailable("cannot connect to " + relay.address);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    std::unique_ptr<RelayConnection> conn(new RelayConnection(fd, options, poller, cancel));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = Unavailable("cannot connect to " + relay.address + ": " + std::strerror(errno));
        continue;
      }
      Status w = conn->WaitFor(POLLOUT, conn->NowMs() + options.connect_timeout_ms);
      if (w.code() == Code::kCancelled) return w;
      int err = 0;
      socklen_t len = sizeof err;
      if (!w.ok() || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        last = Unavailable("cannot connect to " + relay.address + ": " +
                           (w.ok() ? std::strerror(err) : std::string("timed out")));
        continue;
      }
    }
    PARLEY_ASSIGN_OR_RETURN(wire::NoiseSession session, wire::NoiseSession::Initiator(device.kx, relay.public_key));
    conn->session_.emplace(std::move(session));
    Status hs = wire::RunHandshake(*conn->session_, *conn);
    if (!hs.ok()) {
      if (hs.code() == Code::kCorrupt) {
        return Error(Domain::kSync, Code::kPermissionDenied,
                     "the relay at " + relay.address + " does not hold the pinned key (handshake failed)");
      }
      return hs;
    }
    const crypto::Bytes cert = wire::MakeKxCertificate(device.identity, device.kx.public_key);
    pb::Frame auth;
    *auth.mutable_authenticate() =
        wire::MakeAuthenticate(device.identity, cert, conn->session_->handshake_hash());
    PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, conn->Call(std::move(auth)));
    if (answer.body_case() != pb::Frame::kWelcome) return Unavailable("the relay answered Authenticate oddly");
    conn->welcome_ = answer.welcome();
    return conn;
  }
  return last;
}

Status RelayConnection::ReadExact(std::span<std::uint8_t> out) {
  std::size_t got = 0;
  const std::int64_t deadline = NowMs() + options_.io_timeout_ms;
  while (got < out.size()) {
    const ssize_t n = ::recv(fd_, out.data() + got, out.size() - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      bytes_in_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) return Unavailable("the relay closed the connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Unavailable(std::string("recv: ") + std::strerror(errno));
    PARLEY_RETURN_IF_ERROR(WaitFor(POLLIN, deadline));
  }
  return Status::Ok();
}

Status RelayConnection::WriteAll(crypto::ByteView data) {
  std::size_t sent = 0;
  const std::int64_t deadline = NowMs() + options_.io_timeout_ms;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      bytes_out_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Unavailable(std::string("send: ") + std::strerror(errno));
    }
    PARLEY_RETURN_IF_ERROR(WaitFor(POLLOUT, deadline));
  }
  return Status::Ok();
}

Status RelayConnection::Send(pb::Frame frame) { return wire::SendFrame(*session_, *this, frame); }

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
  PARLEY_RETURN_IF_ERROR(Send(std::move(request)));
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
      if (f.body_case() == pb::Frame::kError && f.id() == 0) {  // unsolicited: the relay is closing us
        last_error_ = f.error();
        return ErrorStatus(f.error());
      }
      continue;  // a late answer to an abandoned request
    }
    if (f.body_case() == pb::Frame::kError) {
      last_error_ = f.error();
      return ErrorStatus(f.error());
    }
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
