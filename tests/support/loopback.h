// Loopback TCP for tests, bench and fuzz: connecting to 127.0.0.1:port with a deadline, and
// a listening socket on a port the kernel picks. Descriptors are close-on-exec; connected
// ones have TCP_NODELAY (both ends of the wire write small frames and wait for answers).
// The caller owns (and closes) every descriptor returned.
// Thread safety: free functions, any thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "parley/platform/status.h"

namespace parley::testing {

// Connects to 127.0.0.1:`port`. A connect that fails is retried every 5 ms until `timeout`
// has passed (a server about to listen, its listen queue full, no free local port while
// earlier connections wait out TIME_WAIT); timeout 0 makes one attempt. The connected
// descriptor, or Code::kUnavailable naming the last error.
Result<int> ConnectLoopback(std::uint16_t port,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct LoopbackListener {
  int fd = -1;
  std::uint16_t port = 0;
};
// A socket listening on 127.0.0.1 (SO_REUSEADDR) on a free port. Code::kUnavailable when
// it cannot listen.
Result<LoopbackListener> ListenLoopback(int backlog = 64);

// Sets TCP_NODELAY (ignoring failure: the descriptor may not be TCP).
void SetNoDelay(int fd);

}  // namespace parley::testing
