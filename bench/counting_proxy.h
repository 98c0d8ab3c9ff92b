// A TCP proxy on 127.0.0.1 that counts the bytes it forwards, for sync_wire_overhead_ratio.
//
// Clients connect to port(); each connection is joined to a new connection to the backend
// port and bytes are copied both ways unchanged (so what is counted is exactly what the
// device and the relay wrote to their sockets: length prefixes, handshake, Noise tags,
// frames). Counts are TCP payload bytes; TCP/IP headers are not included.
//
// Threads: one accepting thread and two per connection, all joined by the destructor.
// Counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "parley/platform/status.h"

namespace parley::bench {

class CountingProxy {
 public:
  explicit CountingProxy(std::uint16_t backend_port);
  ~CountingProxy();
  CountingProxy(const CountingProxy&) = delete;
  CountingProxy& operator=(const CountingProxy&) = delete;

  // Binds and starts accepting. Code::kUnavailable when it cannot listen.
  Status Start();
  std::uint16_t port() const { return port_; }
  // Bytes forwarded device -> relay and relay -> device so far.
  std::uint64_t upstream_bytes() const { return up_.load(); }
  std::uint64_t downstream_bytes() const { return down_.load(); }

 private:
  void AcceptLoop();
  void Pipe(int from, int to, std::atomic<std::uint64_t>* counter);
  std::uint16_t backend_port_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> up_{0};
  std::atomic<std::uint64_t> down_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> pipes_;
  std::vector<int> fds_;
};

}  // namespace parley::bench
