// Transport: how the sync client reaches a relay. The POSIX implementation opens TCP
// sockets (posix_env.h: PosixTransport()); a phone host may supply its own (its platform's
// networking, a VPN-aware socket factory); tests use an in-memory loopback
// (parley/testing/loopback_transport.h).
//
// The client is single-threaded and poll-driven: it never blocks inside a Connection. It
// calls ReadSome/WriteSome until they report "would block", then waits with poll(2) on
// poll_fd() (together with its cancel and wake fds) until the connection may make
// progress, and calls again.
//
// Ownership: the Transport is owned by whoever made it (PosixTransport() is never
// destroyed) and must outlive every Connection it returned. A Connection is owned by the
// caller of Connect; destroying it closes the connection and releases poll_fd().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "parley/platform/status.h"

namespace parley {

// One open, full-duplex byte stream to a relay.
//
// Thread safety: ReadSome, WriteSome and poll_fd from one thread at a time (the thread that
// drives the connection; it may change over the connection's life, as long as the hand-over
// is synchronised). Shutdown() may be called from any other thread at any time, concurrently
// with ReadSome/WriteSome and with a poll(2) on poll_fd(), but not concurrently with the
// destructor.
class Connection {
 public:
  virtual ~Connection() = default;

  // Reads up to out.size() bytes (out must not be empty) without blocking. Returns the number
  // read (> 0), or 0 when nothing can be read now ("would block": wait for poll_fd() to
  // poll readable, then call again). Code::kUnavailable once the connection has ended: the
  // message says how ("the relay closed the connection", "recv: Connection reset by peer",
  // or "the connection was shut down" after Shutdown()).
  virtual Result<std::size_t> ReadSome(std::span<std::uint8_t> out) = 0;

  // Writes up to data.size() bytes (data must not be empty) without blocking. Returns the
  // number accepted (> 0), or 0 when none can be accepted now ("would block": wait for
  // poll_fd() to poll writable). Code::kUnavailable once the connection has ended ("send:
  // Broken pipe", ...). Never raises SIGPIPE.
  virtual Result<std::size_t> WriteSome(std::span<const std::uint8_t> data) = 0;

  // Ends the connection in both directions without releasing it: a thread blocked in
  // poll(2) on poll_fd() wakes up, and every later ReadSome/WriteSome (on any thread)
  // fails with kUnavailable. Idempotent; never fails. This is how one thread stops another
  // that is waiting for the relay.
  virtual void Shutdown() = 0;

  // A file descriptor to poll(2) for readiness, owned by the connection (the caller never
  // reads, writes or closes it). It polls readable (POLLIN) when ReadSome may make progress
  // (data, the peer's close, or a failure), writable (POLLOUT) when WriteSome may, and
  // readable after Shutdown(). Spurious readiness is allowed: the caller always tries again
  // and waits again on "would block". For a socket transport this is the socket itself; a
  // host transport whose streams are not file descriptors gives one it signals, for example
  // one end of a socketpair or an eventfd, and must keep the signal up while the
  // condition holds (level-triggered, like a socket). Valid until the Connection is
  // destroyed; the same value for the connection's whole life.
  virtual int poll_fd() const = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Opens a connection to `address`, "HOST:PORT" ("[v6]:PORT" for an IPv6 literal), trying
  // each address the host name resolves to in turn. Waits at most `timeout_ms` (> 0) in
  // total, and stops early with Code::kCancelled when `cancel_fd` (a pipe or eventfd; -1:
  // none) polls readable, before or during the attempt.
  // Failures: kInvalidArgument when `address` is not HOST:PORT; kUnavailable when the name
  // does not resolve ("cannot resolve ..."), the relay refuses or is unreachable ("cannot
  // connect to HOST:PORT: Connection refused") or the attempt timed out ("cannot connect to
  // HOST:PORT: timed out").
  // Thread safety: any thread; concurrent calls are independent.
  virtual Result<std::unique_ptr<Connection>> Connect(const std::string& address,
                                                      std::int64_t timeout_ms, int cancel_fd) = 0;
};

}  // namespace parley
