// A TCP proxy on 127.0.0.1 for tests and parley-bench: forwards every connection to a
// backend port on 127.0.0.1, bytes unchanged, and
//   - counts the bytes it forwards each way (TCP payload: what the device and the relay
//     wrote to their sockets, length prefixes, handshake, Noise tags and frames);
//   - can cut a connection after a chosen number of bytes (both directions counted);
//   - refuses connections while the backend is "down" (set_backend(0)), or when the
//     backend does not accept: the client sees its connection close.
// An end of stream is passed on (a half-close stays a half-close); an error or a cut drops
// both sides.
//
// Threads: one accepting thread and one per connection; the destructor wakes and joins
// them all and closes every socket. Accessors may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "parley/platform/status.h"

namespace parley::testing {

class TcpProxy {
 public:
  // Listens at once (see status()). `cut_after` is asked once per connection: the byte
  // count after which it is cut (0 = never). May be empty (never cut).
  explicit TcpProxy(std::uint16_t backend_port, std::function<std::uint64_t()> cut_after = {});
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // OK when the proxy listens; otherwise why not (and port() is 0).
  const Status& status() const { return status_; }
  std::uint16_t port() const { return port_; }
  // The port new connections are forwarded to; 0: refuse them.
  void set_backend(std::uint16_t port) { backend_ = port; }

  std::uint64_t connections() const { return connections_; }
  std::uint64_t cuts() const { return cuts_; }
  // Bytes forwarded client -> backend and backend -> client so far.
  std::uint64_t upstream_bytes() const { return up_; }
  std::uint64_t downstream_bytes() const { return down_; }

 private:
  void AcceptLoop();
  void Pump(int client, std::uint64_t cut_at);
  void Forget(int fd);

  Status status_;
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> backend_;
  std::function<std::uint64_t()> cut_after_;
  std::atomic<std::uint64_t> connections_{0}, cuts_{0}, up_{0}, down_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> pumps_;
  std::set<int> live_;  // sockets of the connections being pumped
};

}  // namespace parley::testing
