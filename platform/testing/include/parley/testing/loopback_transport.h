// LoopbackTransport: an in-memory Transport for tests. Peers register under an address
// string (any text, e.g. "relay-a:1"); Connect to it makes a socketpair(AF_UNIX,
// SOCK_STREAM) and hands one end to the listener, the other to the caller as a Connection.
// No network stack, no ports: tests run in parallel without colliding, and a scripted peer
// in the same process sees exactly the bytes the client wrote.
//
// Ownership: the LoopbackTransport must outlive the Connections it returned (they own their
// socket; the listener owns the other end). Listener callbacks are copied in and kept until
// Unlisten() or destruction.
// Thread safety: every method may be called from any thread. A listener is called on the
// thread calling Connect, before Connect returns, without any lock held: it must not block
// for long (hand the socket to a thread of the peer) and may call Listen/Unlisten.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "parley/platform/transport.h"

namespace parley::testing {

class LoopbackTransport final : public Transport {
 public:
  // Receives the server end of a new connection: a blocking, close-on-exec stream socket the
  // callee owns (and closes). For a real server adopting sockets, or a peer that does its own
  // I/O.
  using AcceptFd = std::function<void(int server_fd)>;
  // Receives the server end already wrapped as a non-blocking Connection (transport.h).
  using AcceptConnection = std::function<void(std::unique_ptr<Connection> server)>;

  // Registers `accept` under `address`, replacing any listener there.
  void Listen(const std::string& address, AcceptFd accept);
  void ListenConnections(const std::string& address, AcceptConnection accept);
  // Later Connects to `address` are refused. Connections already made stay open.
  void Unlisten(const std::string& address);

  // Connects to the listener under `address`. Code::kCancelled when `cancel_fd` polls
  // readable; kUnavailable ("cannot connect to ADDRESS: connection refused") when nothing
  // listens there; kUnavailable when socketpair(2) fails. `timeout_ms` is not needed (the
  // connection is made at once).
  Result<std::unique_ptr<Connection>> Connect(const std::string& address, std::int64_t timeout_ms,
                                              int cancel_fd) override;

  // How many connections were made (refused attempts not counted).
  std::uint64_t connects() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, AcceptFd> listeners_;  // guarded by mu_
  std::uint64_t connects_ = 0;                 // guarded by mu_
};

}  // namespace parley::testing
