// The relay's HTTP endpoint for monitoring (docs/relay-operations.md):
//   GET /metrics   the Prometheus text (Content-Type "text/plain; version=0.0.4")
//   GET /healthz   200 "ok", or 503 with the reason (stopping, storage failing or too slow)
// Anything else is 404 with a plain body; requests the HTTP library refuses get its status
// (400 malformed, 413 with a body, 414 a request line over 8 KiB). HEAD is answered like GET
// without the body. One request per connection.
//
// Served by cpp-httplib's server (libcpp-httplib-dev), configured for a private operator
// endpoint: it binds only the address given; kMetricsHttpThreads worker threads serve it and
// further connections wait in the library's queue (it has no bound of its own); the server
// waits kMetricsHttpTimeoutS for a request's bytes and for the client to take the answer, each
// time; no request body is accepted. It has no authentication: bind it to loopback or a
// private address (docs/relay-operations.md).
//
// Threads: Start() starts the listening thread and the workers; the callbacks run on a worker
// (health's `done` may be called from any thread). After Stop() returns, no callback is called
// again. Start/Stop from one thread.
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
  // The text of GET /metrics; quick (it runs on a worker of the endpoint).
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
  // the address when it cannot be bound (or `host` does not resolve); Code::kUnavailable when
  // started before or stopped.
  Result<std::uint16_t> Start(const std::string& host, std::uint16_t port);
  // Closes the listener, lets the workers finish the requests they serve (closing the
  // connections still queued) and stops the threads. Idempotent.
  void Stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace parley::relay
