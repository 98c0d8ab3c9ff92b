#include "support/tcp_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "support/loopback.h"

namespace parley::testing {

TcpProxy::TcpProxy(std::uint16_t backend_port, std::function<std::uint64_t()> cut_after)
    : backend_(backend_port), cut_after_(std::move(cut_after)) {
  if (::pipe2(stop_, O_CLOEXEC) != 0) {
    status_ = Error(Domain::kPlatform, Code::kUnavailable, "the proxy cannot make its stop pipe");
    return;
  }
  auto listener = ListenLoopback();
  if (!listener.ok()) {
    status_ = listener.status();
    return;
  }
  listen_fd_ = listener->fd;
  port_ = listener->port;
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  if (stop_[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_[1], &c, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> pumps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : live_) ::shutdown(fd, SHUT_RDWR);  // wakes a pump blocked in send()
    pumps.swap(pumps_);
  }
  for (auto& t : pumps) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : stop_) {
    if (fd >= 0) ::close(fd);
  }
}

void TcpProxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++connections_;
    const std::uint64_t cut_at = cut_after_ ? cut_after_() : 0;
    std::lock_guard<std::mutex> lock(mu_);
    live_.insert(client);
    pumps_.emplace_back([this, client, cut_at] { Pump(client, cut_at); });
  }
}

void TcpProxy::Forget(int fd) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_.erase(fd);
  }
  ::close(fd);
}

void TcpProxy::Pump(int client, std::uint64_t cut_at) {
  const std::uint16_t backend_port = backend_.load();
  auto connected = backend_port == 0
                       ? Result<int>(Error(Domain::kPlatform, Code::kUnavailable, "backend down"))
                       : ConnectLoopback(backend_port, std::chrono::milliseconds(0));
  if (!connected.ok()) {
    Forget(client);  // the backend is down: the client sees the connection close
    return;
  }
  const int backend = *connected;
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_.insert(backend);
  }
  SetNoDelay(client);  // forward small frames at once, as the endpoints do
  struct Direction {
    int from, to;
    std::atomic<std::uint64_t>* counter;
    bool open = true;
  };
  Direction dirs[2] = {{client, backend, &up_}, {backend, client, &down_}};
  std::uint64_t moved = 0;
  std::vector<char> buf(64 * 1024);
  bool dropped = false;
  while (!dropped && (dirs[0].open || dirs[1].open)) {
    pollfd fds[3] = {{dirs[0].open ? client : -1, POLLIN, 0},
                     {dirs[1].open ? backend : -1, POLLIN, 0},
                     {stop_[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int i = 0; i < 2 && !dropped; ++i) {
      Direction& d = dirs[i];
      if (!d.open || fds[i].revents == 0) continue;
      const ssize_t n = ::read(d.from, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {  // end of stream: pass it on, keep the other direction
        ::shutdown(d.to, SHUT_WR);
        d.open = false;
        continue;
      }
      if (n < 0) {
        dropped = true;
        break;
      }
      std::size_t len = static_cast<std::size_t>(n);
      bool cut = false;
      if (cut_at != 0 && moved + len >= cut_at) {
        len = static_cast<std::size_t>(cut_at -
                                       moved);  // forward up to the cut, then drop both sides
        cut = true;
      }
      for (std::size_t off = 0; off < len;) {
        const ssize_t w = ::send(d.to, buf.data() + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          dropped = true;
          break;
        }
        off += static_cast<std::size_t>(w);
      }
      moved += len;
      d.counter->fetch_add(len);
      if (cut) {
        ++cuts_;
        dropped = true;
      }
    }
  }
  ::shutdown(client, SHUT_RDWR);
  ::shutdown(backend, SHUT_RDWR);
  Forget(client);
  Forget(backend);
}

}  // namespace parley::testing
