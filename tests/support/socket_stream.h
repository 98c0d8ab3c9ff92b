// A blocking stream socket as a wire::ByteStream, for the test and bench clients of the
// relay: a TCP connection to 127.0.0.1, or one end of a socketpair(2) whose other end a
// RelayServer adopted. Reads and writes give up after a timeout, so that a broken relay
// fails the caller instead of hanging it.
// Ownership: the object owns the descriptor and closes it. Thread safety: one thread at a
// time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include "parley/sync/session.h"

namespace parley::testing {

class SocketStream final : public wire::ByteStream {
 public:
  // Takes `fd`; each read or write waits at most `io_timeout` (0: without limit).
  explicit SocketStream(int fd, std::chrono::seconds io_timeout = std::chrono::seconds(30));
  ~SocketStream() override;
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  // A connection to 127.0.0.1:`port` (ConnectLoopback of loopback.h, same timeout).
  static Result<std::unique_ptr<SocketStream>> ConnectLoopback(std::uint16_t port);

  // Code::kUnavailable when the peer closed the connection, an error or the timeout.
  Status ReadExact(std::span<std::uint8_t> out) override;
  Status WriteAll(wire::ByteView data) override;
  // Reads until the peer closes (true) or the timeout passes (false). Discards what it reads.
  bool WaitClosed();
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace parley::testing
