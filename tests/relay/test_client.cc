#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parley::testing {

TcpStream::~TcpStream() { ::close(fd_); }

Result<std::unique_ptr<TcpStream>> TcpStream::Connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(Domain::kSync, Code::kIoError, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return Error(Domain::kSync, Code::kUnavailable, std::string("connect: ") + std::strerror(errno));
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_unique<TcpStream>(fd);
}

Status TcpStream::ReadExact(std::span<std::uint8_t> out) {
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::recv(fd_, out.data() + got, out.size() - got, 0);
    if (n == 0) return Error(Domain::kSync, Code::kUnavailable, "connection closed");
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(Domain::kSync, Code::kUnavailable, std::string("recv: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status TcpStream::WriteAll(wire::ByteView data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(Domain::kSync, Code::kUnavailable, std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

bool TcpStream::WaitClosed() {
  std::uint8_t buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == ECONNRESET || errno == EPIPE;  // EAGAIN: the 30 s timeout passed
    }
  }
}

Result<std::unique_ptr<TestClient>> TestClient::Connect(std::uint16_t port, wire::ByteView relay_public,
                                                        const Device& device, bool authenticate) {
  auto c = std::make_unique<TestClient>();
  PARLEY_ASSIGN_OR_RETURN(c->stream_, TcpStream::Connect(port));
  PARLEY_ASSIGN_OR_RETURN(auto session, wire::NoiseSession::Initiator(device.kx, relay_public));
  c->session_.emplace(std::move(session));
  PARLEY_RETURN_IF_ERROR(wire::RunHandshake(*c->session_, *c->stream_));
  if (!authenticate) return c;
  pb::Frame auth;
  auth.set_id(c->next_id_++);
  *auth.mutable_authenticate() = wire::MakeAuthenticate(
      device.identity, wire::MakeKxCertificate(device.identity, device.kx.public_key), c->session_->handshake_hash());
  PARLEY_RETURN_IF_ERROR(c->Send(auth));
  PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, c->Receive());
  if (answer.body_case() != pb::Frame::kWelcome) {
    return Error(Domain::kSync, Code::kPermissionDenied, "no welcome: " + answer.error().message());
  }
  c->welcome_ = answer.welcome();
  return c;
}

Status TestClient::Send(const pb::Frame& frame) { return wire::SendFrame(*session_, *stream_, frame); }

Result<pb::Frame> TestClient::Receive() { return wire::ReceiveFrame(*session_, *stream_); }

Result<pb::Frame> TestClient::Call(pb::Frame frame) {
  const std::uint64_t id = next_id_++;
  frame.set_id(id);
  PARLEY_RETURN_IF_ERROR(Send(frame));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, Receive());
    if (answer.body_case() == pb::Frame::kNotify) {
      notifies_.push_back(answer.notify());
      continue;
    }
    if (answer.id() == id) return answer;
  }
}

}  // namespace parley::testing
