#include "support/socket_stream.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "support/loopback.h"

namespace parley::testing {

SocketStream::SocketStream(int fd, std::chrono::seconds io_timeout) : fd_(fd) {
  if (io_timeout.count() > 0) {
    const timeval tv{static_cast<time_t>(io_timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
}

SocketStream::~SocketStream() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<SocketStream>> SocketStream::ConnectLoopback(std::uint16_t port) {
  PARLEY_ASSIGN_OR_RETURN(int fd, testing::ConnectLoopback(port));
  return std::make_unique<SocketStream>(fd);
}

Status SocketStream::ReadExact(std::span<std::uint8_t> out) {
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::recv(fd_, out.data() + got, out.size() - got, 0);
    if (n == 0) return Error(Domain::kSync, Code::kUnavailable, "connection closed");
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(Domain::kSync, Code::kUnavailable, std::string("recv: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status SocketStream::WriteAll(wire::ByteView data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(Domain::kSync, Code::kUnavailable, std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

bool SocketStream::WaitClosed() {
  std::uint8_t buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == ECONNRESET || errno == EPIPE;  // EAGAIN: the timeout passed
    }
  }
}

}  // namespace parley::testing
