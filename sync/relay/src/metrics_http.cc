#include "metrics_http.h"

#include <httplib.h>
#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include "parley/relay/tuning.h"

namespace parley::relay {
namespace {

using tuning::kHealthDeadlineMs;
using tuning::kMetricsHttpThreads;
using tuning::kMetricsHttpTimeoutS;

constexpr const char* kPlain = "text/plain; charset=utf-8";
constexpr const char* kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

// The endpoint's threads leave SIGPIPE (the library writes with MSG_NOSIGNAL) and the signals
// the relay handles to the relay's other threads. The worker threads, started by the
// listening thread, inherit its mask.
void BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// SO_REUSEADDR only: the library's default also sets SO_REUSEPORT, which would let another
// socket of the same user share the port.
void ReuseAddressOnly(int sock) {
  const int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

// The plain body of an answer the library gives itself (no route, a bad request).
std::string ErrorBody(int status) {
  switch (status) {
    case 404:
      return "not found\n";
    case 405:
      return "method not allowed\n";
    case 413:
      return "no request body is accepted\n";
    case 414:
      return "request line too long\n";
    default:
      return "bad request\n";
  }
}

// A health check in progress: its answer, from whichever thread calls `done`.
struct HealthWait {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<HealthAnswer> answer;
};

}  // namespace

bool ParseHostPort(const std::string& address, std::string* host, std::uint16_t* port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  std::string h = address.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false;  // an IPv6 address needs its brackets
  }
  const std::string digits = address.substr(colon + 1);
  if (digits.size() > 5) return false;
  unsigned long p = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535) return false;
  *host = h;
  *port = static_cast<std::uint16_t>(p);
  return true;
}

// The server's handlers run on its worker threads; Start/Stop on the caller's.
struct MetricsHttp::State {
  explicit State(MetricsHttpHandlers h) : handlers(std::move(h)) {}

  // Asks for a health check and waits for its answer, kHealthDeadlineMs at most. A `done`
  // coming later only touches `wait`, which it keeps alive.
  HealthAnswer Health() const {
    auto wait = std::make_shared<HealthWait>();
    handlers.health([wait](HealthAnswer a) {
      const std::lock_guard<std::mutex> lock(wait->mu);
      if (wait->answer) return;
      wait->answer = std::move(a);
      wait->cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(wait->mu);
    if (!wait->cv.wait_for(lock, std::chrono::milliseconds(kHealthDeadlineMs),
                           [&] { return wait->answer.has_value(); })) {
      wait->answer = HealthAnswer{
          false, "storage did not answer within " + std::to_string(kHealthDeadlineMs) + " ms"};
    }
    return *wait->answer;
  }

  void Configure() {
    // Called by listen_after_bind() once the server runs (stop() takes effect from then on).
    server.new_task_queue = [this] {
      auto* pool = new httplib::ThreadPool(kMetricsHttpThreads);
      workers_started = true;
      return pool;
    };
    server.set_socket_options(ReuseAddressOnly);
    server.set_keep_alive_max_count(1);
    server.set_keep_alive_timeout(kMetricsHttpTimeoutS);
    server.set_read_timeout(kMetricsHttpTimeoutS, 0);
    server.set_write_timeout(kMetricsHttpTimeoutS, 0);
    server.set_payload_max_length(0);
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      res.set_content(handlers.metrics(), kPrometheus);
    });
    server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      const HealthAnswer a = Health();
      res.status = a.ok ? 200 : 503;
      res.set_header("Cache-Control", "no-store");
      res.set_content(a.ok ? std::string("ok\n") : a.reason + "\n", kPlain);
    });
    // The library calls it for every status from 400, also for a 503 of /healthz: only an
    // answer without a body (the library's own) gets one.
    server.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          res.set_header("Cache-Control", "no-store");
          res.set_content(ErrorBody(res.status), kPlain);
          return httplib::Server::HandlerResponse::Handled;
        }));
  }

  MetricsHttpHandlers handlers;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> workers_started{false};
  std::atomic<bool> returned{false};  // listen_after_bind returned
};

MetricsHttp::MetricsHttp(MetricsHttpHandlers handlers)
    : state_(std::make_shared<State>(std::move(handlers))) {}

MetricsHttp::~MetricsHttp() { Stop(); }

Result<std::uint16_t> MetricsHttp::Start(const std::string& host, std::uint16_t port) {
  if (!state_) return Error(Domain::kSync, Code::kUnavailable, "the metrics endpoint was stopped");
  State& s = *state_;
  if (s.thread.joinable())
    return Error(Domain::kSync, Code::kUnavailable, "the metrics endpoint was started already");
  const std::string where =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  s.Configure();
  int bound = -1;
  if (port == 0) {
    bound = s.server.bind_to_any_port(host);
  } else if (s.server.bind_to_port(host, port)) {
    bound = port;
  }
  if (bound <= 0) {
    return Error(Domain::kSync, Code::kIoError,
                 "cannot serve metrics on " + where +
                     ": the address does not resolve, is not local, or is in use");
  }
  s.thread = std::thread([&s] {
    BlockSignals();
    s.server.listen_after_bind();
    s.returned = true;
  });
  // Returns once the server runs with its workers: stop() is ignored before it runs, and the
  // endpoint's threads are all there when Start returns.
  while (!s.workers_started.load() && !s.returned.load()) std::this_thread::yield();
  if (!s.workers_started.load()) {
    s.thread.join();
    return Error(Domain::kSync, Code::kIoError, "cannot serve metrics on " + where);
  }
  return static_cast<std::uint16_t>(bound);
}

void MetricsHttp::Stop() {
  if (!state_) return;
  State& s = *state_;
  s.server.stop();  // closes the listener; the workers finish what they serve, then end
  if (s.thread.joinable()) s.thread.join();
  state_.reset();
}

}  // namespace parley::relay
