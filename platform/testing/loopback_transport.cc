#include "parley/testing/loopback_transport.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "parley/platform/posix_env.h"

namespace parley::testing {

void LoopbackTransport::Listen(const std::string& address, AcceptFd accept) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_[address] = std::move(accept);
}

void LoopbackTransport::ListenConnections(const std::string& address, AcceptConnection accept) {
  Listen(address, [accept = std::move(accept)](int fd) { accept(NewSocketConnection(fd)); });
}

void LoopbackTransport::Unlisten(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(address);
}

std::uint64_t LoopbackTransport::connects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connects_;
}

Result<std::unique_ptr<Connection>> LoopbackTransport::Connect(const std::string& address,
                                                               std::int64_t timeout_ms,
                                                               int cancel_fd) {
  (void)timeout_ms;
  if (cancel_fd >= 0) {
    pollfd p{cancel_fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) return Error(Domain::kPlatform, Code::kCancelled, "cancelled");
  }
  AcceptFd accept;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = listeners_.find(address);
    if (it == listeners_.end()) {
      return Error(Domain::kPlatform, Code::kUnavailable,
                   "cannot connect to " + address + ": connection refused");
    }
    accept = it->second;
    ++connects_;
  }
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Error(Domain::kPlatform, Code::kUnavailable,
                 "cannot connect to " + address + ": socketpair: " + std::strerror(errno));
  }
  std::unique_ptr<Connection> client = NewSocketConnection(fds[0]);
  accept(fds[1]);
  return client;
}

}  // namespace parley::testing
