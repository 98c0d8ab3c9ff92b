#include "metrics_http.h"

#include <pthread.h>

#include <csignal>
#include <optional>
#include <string_view>
#include <thread>

#include "asio_includes.h"
#include "parley/relay/tuning.h"

namespace parley::relay {
namespace {

using asio::ip::tcp;
using std::chrono::milliseconds;
using tuning::kHealthDeadlineMs;
using tuning::kMetricsHttpDeadlineMs;
using tuning::kMetricsHttpMaxConnections;
using tuning::kMetricsHttpMaxHeadBytes;
using tuning::kMetricsHttpMaxHeaders;

// The endpoint's thread leaves SIGPIPE (a write to a client that hung up fails with EPIPE,
// Asio asks for that too) and the signals the relay handles to the relay's other threads.
void BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Request {
  std::string method;
  std::string path;  // without the query
  bool has_body = false;
};

// Parses a request head (request line, header lines, through the blank line). Returns 0, or
// the status refusing it: 400 (not HTTP/1.x), 431 (too many headers).
int ParseHead(std::string_view head, Request* r) {
  const std::size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return 400;
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (sp1 == 0 || version.size() != 8 || version.substr(0, 7) != "HTTP/1." || target.empty() ||
      target.front() != '/')
    return 400;
  r->method = std::string(line.substr(0, sp1));
  r->path = std::string(target.substr(0, target.find('?')));
  std::size_t at = eol + 2;
  std::size_t headers = 0;
  for (;;) {
    const std::size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos || end == at) break;  // the blank line
    const std::string_view h = head.substr(at, end - at);
    at = end + 2;
    if (++headers > kMetricsHttpMaxHeaders) return 431;
    const std::size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return 400;
    const std::string_view name = h.substr(0, colon);
    const std::string_view value = Trim(h.substr(colon + 1));
    if ((SameIgnoringCase(name, "Content-Length") && value != "0") ||
        SameIgnoringCase(name, "Transfer-Encoding"))
      r->has_body = true;
  }
  return 0;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Service Unavailable";
  }
}

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

// Everything runs on `thread`, except Start/Stop (before it starts, after it is joined) and
// the health callbacks' `done`, which posts to `io`.
struct MetricsHttp::State : std::enable_shared_from_this<State> {
  explicit State(MetricsHttpHandlers h) : handlers(std::move(h)), acceptor(io) {}
  ~State() = default;  // `io` destroys the coroutines of connections still open

  // A health check in progress: its answer, or the deadline.
  struct HealthWait {
    explicit HealthWait(asio::io_context& io) : timer(io, milliseconds(kHealthDeadlineMs)) {}
    std::optional<HealthAnswer> answer;
    asio::steady_timer timer;  // cancelled when the answer comes
  };

  asio::awaitable<void> Accept() {
    for (;;) {
      std::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        asio::steady_timer pause(io, milliseconds(tuning::kAcceptRetryPauseMs));  // EMFILE...
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (open >= kMetricsHttpMaxConnections) {
        socket.close(ec);
        continue;
      }
      ++open;
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      asio::co_spawn(
          io, [this, s] { return Serve(s); }, [this](const std::exception_ptr&) { --open; });
    }
  }

  asio::awaitable<void> Serve(std::shared_ptr<tcp::socket> socket) {
    // The whole exchange has one deadline: a client sending slowly is cut, not waited for.
    asio::steady_timer deadline(io, milliseconds(kMetricsHttpDeadlineMs));
    deadline.async_wait([socket](std::error_code e) {
      std::error_code ignored;
      if (!e) socket->close(ignored);
    });
    std::string head;
    std::error_code ec;
    const std::size_t n = co_await asio::async_read_until(
        *socket, asio::dynamic_buffer(head, kMetricsHttpMaxHeadBytes), "\r\n\r\n",
        asio::redirect_error(asio::use_awaitable, ec));
    Request req;
    int status = 0;
    if (ec == asio::error::not_found) {
      status = 431;  // no end of the head within the bytes read
    } else if (ec) {
      deadline.cancel();
      co_return;  // closed, reset, or the deadline
    } else {
      status = ParseHead(std::string_view(head).substr(0, n), &req);
    }
    std::string body;
    std::string type = "text/plain; charset=utf-8";
    std::string extra;
    if (status == 400) {
      body = "not an HTTP/1.x request\n";
    } else if (status == 431) {
      body = "too many or too long headers\n";
    } else if (req.method != "GET" && req.method != "HEAD") {
      status = 405;
      extra = "Allow: GET, HEAD\r\n";
      body = "only GET and HEAD\n";
    } else if (req.has_body) {
      status = 413;
      body = "no request body is accepted\n";
    } else if (req.path == "/metrics") {
      status = 200;
      body = handlers.metrics();
      type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (req.path == "/healthz") {
      const HealthAnswer a = co_await Health();
      status = a.ok ? 200 : 503;
      body = a.ok ? "ok\n" : a.reason + "\n";
    } else {
      status = 404;
      body = "not found\n";
    }
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) +
                      "\r\nContent-Type: " + type +
                      "\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n" + extra + "Cache-Control: no-store\r\n\r\n";
    if (req.method != "HEAD") out += body;
    co_await asio::async_write(*socket, asio::buffer(out),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      // Reads what the client still sends until it closes (or the deadline): closing with
      // unread bytes would reset the connection and could lose the answer on its way.
      socket->shutdown(tcp::socket::shutdown_send, ec);
      char sink[512];
      while (!ec) {
        co_await socket->async_read_some(asio::buffer(sink),
                                         asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    deadline.cancel();
    socket->close(ec);
  }

  asio::awaitable<HealthAnswer> Health() {
    auto wait = std::make_shared<HealthWait>(io);
    std::weak_ptr<State> weak = weak_from_this();
    handlers.health([weak, wait](HealthAnswer a) {
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->io, [wait, a = std::move(a)]() mutable {
        if (wait->answer) return;
        wait->answer = std::move(a);
        wait->timer.cancel();
      });
    });
    std::error_code ec;
    if (!wait->answer)
      co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!wait->answer) {
      wait->answer = HealthAnswer{
          false, "storage did not answer within " + std::to_string(kHealthDeadlineMs) + " ms"};
    }
    co_return *wait->answer;
  }

  MetricsHttpHandlers handlers;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  std::thread thread;
  std::size_t open = 0;  // connections being served
};

MetricsHttp::MetricsHttp(MetricsHttpHandlers handlers)
    : state_(std::make_shared<State>(std::move(handlers))) {}

MetricsHttp::~MetricsHttp() { Stop(); }

Result<std::uint16_t> MetricsHttp::Start(const std::string& host, std::uint16_t port) {
  if (!state_) return Error(Domain::kSync, Code::kUnavailable, "the metrics endpoint was stopped");
  State& s = *state_;
  const std::string where =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  std::error_code ec;
  tcp::resolver resolver(s.io);
  auto results = resolver.resolve(host, std::to_string(port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return Error(Domain::kSync, Code::kIoError,
                 "cannot serve metrics on " + where + ": " +
                     (ec ? ec.message() : std::string("the host has no address")));
  }
  const tcp::endpoint ep = *results.begin();
  s.acceptor.open(ep.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(ep, ec);
  if (!ec) s.acceptor.listen(static_cast<int>(kMetricsHttpMaxConnections), ec);
  if (ec) {
    std::error_code ignored;
    s.acceptor.close(ignored);
    return Error(Domain::kSync, Code::kIoError,
                 "cannot serve metrics on " + where + ": " + ec.message());
  }
  const std::uint16_t bound = s.acceptor.local_endpoint(ec).port();
  asio::co_spawn(
      s.io, [&s] { return s.Accept(); }, asio::detached);
  s.thread = std::thread([&s] {
    BlockSignals();
    s.io.run();
  });
  return bound;
}

void MetricsHttp::Stop() {
  if (!state_) return;
  State& s = *state_;
  s.io.stop();
  if (s.thread.joinable()) s.thread.join();
  std::error_code ignored;
  s.acceptor.close(ignored);
  // Destroys the io_context, and with it every connection still open (closing it). A
  // health answer arriving later finds nothing to post to.
  state_.reset();
}

}  // namespace parley::relay
