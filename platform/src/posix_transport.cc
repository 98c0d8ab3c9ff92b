// The POSIX Transport: TCP over getaddrinfo results with a non-blocking connect, and the
// Connection over any connected stream socket (TCP, or one end of a socketpair).
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>

#include "parley/platform/posix_env.h"

namespace parley {
namespace {

Status Unavailable(std::string what) {
  return Error(Domain::kPlatform, Code::kUnavailable, std::move(what));
}

class SocketConnection final : public Connection {
 public:
  explicit SocketConnection(int fd) : fd_(fd) {}
  ~SocketConnection() override { ::close(fd_); }
  SocketConnection(const SocketConnection&) = delete;
  SocketConnection& operator=(const SocketConnection&) = delete;

  Result<std::size_t> ReadSome(std::span<std::uint8_t> out) override {
    for (;;) {
      if (shut_.load(std::memory_order_acquire)) return Unavailable("the connection was shut down");
      const ssize_t n = ::recv(fd_, out.data(), out.size(), MSG_DONTWAIT);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) {
        if (shut_.load(std::memory_order_acquire))
          return Unavailable("the connection was shut down");
        return Unavailable("the relay closed the connection");
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
      return Unavailable(std::string("recv: ") + std::strerror(errno));
    }
  }

  Result<std::size_t> WriteSome(std::span<const std::uint8_t> data) override {
    for (;;) {
      if (shut_.load(std::memory_order_acquire)) return Unavailable("the connection was shut down");
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
      return Unavailable(std::string("send: ") + std::strerror(errno));
    }
  }

  void Shutdown() override {
    shut_.store(true, std::memory_order_release);
    ::shutdown(fd_, SHUT_RDWR);  // wakes a poll(2) on fd_ in another thread
  }

  int poll_fd() const override { return fd_; }

 private:
  const int fd_;
  std::atomic<bool> shut_{false};
};

Result<std::pair<std::string, std::string>> SplitAddress(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return Error(Domain::kPlatform, Code::kInvalidArgument,
                 "relay address '" + address + "' is not HOST:PORT");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::make_pair(host, address.substr(colon + 1));
}

bool Readable(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

Status Cancelled() { return Error(Domain::kPlatform, Code::kCancelled, "cancelled"); }

class PosixTransportImpl final : public Transport {
 public:
  Result<std::unique_ptr<Connection>> Connect(const std::string& address, std::int64_t timeout_ms,
                                              int cancel_fd) override {
    using Steady = std::chrono::steady_clock;
    const Steady::time_point deadline =
        Steady::now() + std::chrono::milliseconds(std::max<std::int64_t>(0, timeout_ms));
    PARLEY_ASSIGN_OR_RETURN(auto hp, SplitAddress(address));
    if (Readable(cancel_fd)) return Cancelled();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(hp.first.c_str(), hp.second.c_str(), &hints, &res); rc != 0) {
      return Unavailable("cannot resolve " + address + ": " + ::gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
    Status last = Unavailable("cannot connect to " + address);
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      const int fd =
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      auto conn = std::make_unique<SocketConnection>(fd);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return std::unique_ptr<Connection>(std::move(conn));
      if (errno != EINPROGRESS) {
        last = Unavailable("cannot connect to " + address + ": " + std::strerror(errno));
        continue;
      }
      // Wait for the connect to finish, the deadline, or the cancel fd.
      bool timed_out = false;
      for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
        if (left <= 0) {
          timed_out = true;
          break;
        }
        pollfd fds[2] = {{fd, POLLOUT, 0}, {cancel_fd, POLLIN, 0}};
        const int n = ::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left, 1 << 30)));
        if (n < 0 && errno != EINTR) {
          return Unavailable("cannot connect to " + address + ": poll: " + std::strerror(errno));
        }
        if (n > 0 && fds[1].revents != 0) return Cancelled();
        if (n > 0 && fds[0].revents != 0) break;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (timed_out || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        last =
            Unavailable("cannot connect to " + address + ": " +
                        (timed_out ? std::string("timed out") : std::string(std::strerror(err))));
        if (timed_out) return last;  // the whole attempt shares one deadline
        continue;
      }
      return std::unique_ptr<Connection>(std::move(conn));
    }
    return last;
  }
};

}  // namespace

Transport& PosixTransport() {
  static PosixTransportImpl* transport =
      new PosixTransportImpl();  // never destroyed: usable during exit
  return *transport;
}

std::unique_ptr<Connection> NewSocketConnection(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return std::make_unique<SocketConnection>(fd);
}

}  // namespace parley
