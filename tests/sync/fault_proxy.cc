#include "fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

namespace parley::testing {

FaultProxy::FaultProxy(std::uint16_t backend_port, std::function<std::uint64_t()> cut_after)
    : backend_(backend_port), cut_after_(std::move(cut_after)) {
  if (::pipe2(stop_, O_CLOEXEC) != 0) std::perror("pipe2");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0) {
    std::perror("proxy bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  const char c = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_[1], &c, 1);
  acceptor_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& t : pumps_) t.join();
  ::close(listen_fd_);
  ::close(stop_[0]);
  ::close(stop_[1]);
}

void FaultProxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++connections_;
    const std::uint64_t cut_at = cut_after_ ? cut_after_() : 0;
    std::lock_guard<std::mutex> lock(mu_);
    pumps_.emplace_back([this, client, cut_at] { Pump(client, cut_at); });
  }
}

void FaultProxy::Pump(int client, std::uint64_t cut_at) {
  const int backend = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(backend_.load());
  if (backend_.load() == 0 || ::connect(backend, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(backend);
    ::close(client);  // the relay is down: the device sees the connection close
    return;
  }
  int one = 1;  // forward small frames at once, as the endpoints do
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::uint64_t moved = 0;
  char buf[4096];
  bool open = true;
  while (open) {
    pollfd fds[3] = {{client, POLLIN, 0}, {backend, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) continue;
    if (fds[2].revents != 0) break;
    for (int i = 0; i < 2 && open; ++i) {
      if (fds[i].revents == 0) continue;
      const int from = i == 0 ? client : backend, to = i == 0 ? backend : client;
      ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) {
        open = false;
        break;
      }
      std::size_t len = static_cast<std::size_t>(n);
      if (cut_at != 0 && moved + len >= cut_at) {
        len = static_cast<std::size_t>(cut_at - moved);  // forward up to the cut, then drop both sides
        open = false;
        ++cuts_;
      }
      for (std::size_t off = 0; off < len;) {
        ssize_t w = ::send(to, buf + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) {
          open = false;
          break;
        }
        off += static_cast<std::size_t>(w);
      }
      moved += len;
    }
  }
  ::shutdown(client, SHUT_RDWR);
  ::shutdown(backend, SHUT_RDWR);
  ::close(client);
  ::close(backend);
}

}  // namespace parley::testing
