// A TCP proxy on 127.0.0.1 for sync tests: forwards every connection to a backend port and
// can cut a connection after a chosen number of bytes (both directions counted), or refuse
// connections while the backend is "down". Each connection is pumped by its own thread;
// the destructor closes everything and joins them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::testing {

class FaultProxy {
 public:
  // `cut_after` is asked once per connection: the byte count after which it is cut (0 =
  // never). May be empty (never cut).
  explicit FaultProxy(std::uint16_t backend_port, std::function<std::uint64_t()> cut_after = {});
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }
  void set_backend(std::uint16_t port) { backend_ = port; }
  std::uint64_t connections() const { return connections_; }
  std::uint64_t cuts() const { return cuts_; }

 private:
  void AcceptLoop();
  void Pump(int client, std::uint64_t cut_at);

  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> backend_;
  std::function<std::uint64_t()> cut_after_;
  std::atomic<std::uint64_t> connections_{0}, cuts_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> pumps_;
};

}  // namespace parley::testing
