// The relay's HTTP endpoint for monitoring (docs/relay-ops/metrics.md):
//   GET /metrics   the Prometheus text (Content-Type "text/plain; version=0.0.4")
//   GET /healthz   200 "ok", or 503 with the reason (stopping, storage failing or too slow)
// Anything else is 404; a method other than GET or HEAD is 405; a request with a body is 413;
// a request head over kMetricsHttpMaxHeadBytes or with more than kMetricsHttpMaxHeaders
// headers is 431; something that is not HTTP/1.x is 400. One request per connection (the
// answer closes it).
//
// Bounded by design, so the endpoint cannot be used to exhaust the relay: it binds only the
// address given; one thread serves it; at most kMetricsHttpMaxConnections connections are
// served at once (further ones are closed on arrival); a connection gets
// kMetricsHttpDeadlineMs in all to send its request and take the answer, and at most
// kMetricsHttpMaxHeadBytes of it are read; no request body is read.
//
// A small HTTP/1.x server of its own on Asio rather than a library's: the server of
// cpp-httplib 0.11 (Debian 12) reads a request's header lines without a bound on their
// number or length and keeps a connection as long as bytes trickle in, which would let one
// client take the relay's memory or hold the endpoint forever.
//
// Threads: Start() starts the endpoint's one thread; the callbacks run on it (health's
// `done` may be called from any thread). After Stop() returns, no callback is called again.
// Start/Stop from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "parley/platform/status.h"

namespace parley::relay {

struct HealthAnswer {
  bool ok = false;
  std::string reason;  // "ok", or why not (for people; no secrets)
};

struct MetricsHttpHandlers {
  // The text of GET /metrics; quick (it runs on the endpoint's thread).
  std::function<std::string()> metrics;
  // Starts a health check and returns at once; `done` is called once, from any thread, with
  // the answer. When `done` has not come within kHealthDeadlineMs, the endpoint answers
  // 503 "storage did not answer within ... ms" itself (a later `done` is then ignored).
  std::function<void(std::function<void(HealthAnswer)> done)> health;
};

// "HOST:PORT" or "[V6]:PORT" with PORT 0..65535 (0: any free port). False when malformed.
bool ParseHostPort(const std::string& address, std::string* host, std::uint16_t* port);

class MetricsHttp {
 public:
  explicit MetricsHttp(MetricsHttpHandlers handlers);
  ~MetricsHttp();  // Stop()
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Binds `host`:`port` and starts serving; returns the bound port. Code::kIoError naming
  // the address when it cannot be bound (or `host` does not resolve).
  Result<std::uint16_t> Start(const std::string& host, std::uint16_t port);
  // Closes the listener and every connection, and stops the thread. Idempotent.
  void Stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace parley::relay
