// The PostgreSQL change feed: LISTEN parley_relay on its own connection, in its own thread,
// which waits with poll() on the connection's socket and on a pipe the destructor writes to
// (so it returns promptly whatever the server does). Payloads: docs/relay-operations.md.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "parley/relay/change_feed.h"
#include "postgres_conn.h"

namespace parley::relay {
namespace {

constexpr int kFirstDelayMs = 1000;
constexpr int kMaxDelayMs = 30000;
// How long connecting (and LISTEN) may take before the attempt counts as failed.
constexpr int kConnectTimeoutMs = 10000;

// Parses "<c|m>:<vault hex>:<number>"; false for anything else.
bool ParsePayload(const std::string& payload, FeedEvent* out) {
  if (payload.size() < 5 || payload[1] != ':') return false;
  if (payload[0] == 'c') {
    out->kind = FeedEvent::kChanges;
  } else if (payload[0] == 'm') {
    out->kind = FeedEvent::kMembership;
  } else {
    return false;
  }
  const std::size_t colon = payload.find(':', 2);
  if (colon == std::string::npos || colon + 1 >= payload.size()) return false;
  auto vault = crypto::FromHex(std::string_view(payload).substr(2, colon - 2));
  if (!vault.ok() || vault->empty()) return false;
  std::uint64_t n = 0;
  for (std::size_t i = colon + 1; i < payload.size(); ++i) {
    const char c = payload[i];
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out->vault = std::move(*vault);
  out->seq = n;
  return true;
}

class PostgresChangeFeed final : public ChangeFeed {
 public:
  PostgresChangeFeed(std::string uri, std::function<void(const FeedEvent&)> on_event, pg::Conn conn,
                     int wake_read, int wake_write)
      : uri_(std::move(uri)),
        on_event_(std::move(on_event)),
        conn_(std::move(conn)),
        wake_read_(wake_read),
        wake_write_(wake_write) {
    thread_ = std::thread([this] { Run(); });
  }

  ~PostgresChangeFeed() override {
    stopping_.store(true);
    const char b = 1;
    while (::write(wake_write_, &b, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
    ::close(wake_read_);
    ::close(wake_write_);
  }

  PostgresChangeFeed(const PostgresChangeFeed&) = delete;
  PostgresChangeFeed& operator=(const PostgresChangeFeed&) = delete;

 private:
  // Waits until `fd` is ready for `events`, the wake-up pipe is readable, or `timeout_ms`
  // passes (-1: no limit). 1: ready; 0: timed out; -1: stopping or poll failed.
  int Wait(int fd, short events, int timeout_ms) {
    pollfd fds[2] = {{wake_read_, POLLIN, 0}, {fd, events, 0}};
    const int n = fd >= 0 ? 2 : 1;
    for (;;) {
      const int rc = ::poll(fds, n, timeout_ms);
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0 || stopping_.load() || (fds[0].revents & POLLIN) != 0) return -1;
      if (rc == 0) return 0;
      return 1;
    }
  }

  // Connects without blocking the stop and LISTENs; nullptr when it failed or stopping.
  pg::Conn Reconnect() {
    pg::Conn c(PQconnectStart(uri_.c_str()));
    if (c == nullptr || PQstatus(c.get()) == CONNECTION_BAD) return nullptr;
    // As libpq documents it: wait as if PQconnectPoll had answered "writing" first.
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
      if (st == PGRES_POLLING_FAILED) return nullptr;
      const short events = st == PGRES_POLLING_WRITING ? POLLOUT : POLLIN;
      if (Wait(PQsocket(c.get()), events, kConnectTimeoutMs) != 1) return nullptr;
      st = PQconnectPoll(c.get());
    }
    pg::Quiet(c.get());
    if (!Listen(c.get())) return nullptr;
    return c;
  }

  // Sends LISTEN and waits for its result without blocking the stop.
  bool Listen(PGconn* c) {
    if (PQsendQuery(c, "LISTEN parley_relay") != 1) return false;
    bool ok = false;
    for (;;) {
      while (PQisBusy(c) == 0) {
        PGresult* r = PQgetResult(c);
        if (r == nullptr) return ok;
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
      }
      if (Wait(PQsocket(c), POLLIN, kConnectTimeoutMs) != 1) return false;
      if (PQconsumeInput(c) != 1) return false;
    }
  }

  void Deliver() {
    while (PGnotify* n = PQnotifies(conn_.get())) {
      FeedEvent e{FeedEvent::kChanges, {}, 0};
      const bool parsed = n->extra != nullptr && ParsePayload(n->extra, &e);
      PQfreemem(n);
      if (parsed) on_event_(e);
    }
  }

  void Run() {
    int delay_ms = 0;  // the first reconnection is tried at once
    while (!stopping_.load()) {
      if (conn_ == nullptr) {
        if (delay_ms > 0 && Wait(-1, 0, delay_ms) < 0) return;
        conn_ = Reconnect();
        if (stopping_.load()) return;
        if (conn_ == nullptr) {
          delay_ms = delay_ms == 0 ? kFirstDelayMs : std::min(delay_ms * 2, kMaxDelayMs);
          continue;
        }
        delay_ms = 0;
        on_event_(FeedEvent{FeedEvent::kResync, {}, 0});
        continue;
      }
      Deliver();
      const int rc = Wait(PQsocket(conn_.get()), POLLIN, -1);
      if (rc < 0) return;
      if (PQconsumeInput(conn_.get()) != 1 || PQstatus(conn_.get()) != CONNECTION_OK) {
        conn_.reset();
        continue;
      }
      // Results of nothing we sent (none are expected) are dropped.
      while (PQisBusy(conn_.get()) == 0) {
        PGresult* r = PQgetResult(conn_.get());
        if (r == nullptr) break;
        PQclear(r);
      }
      Deliver();
    }
  }

  std::string uri_;
  std::function<void(const FeedEvent&)> on_event_;
  pg::Conn conn_;
  int wake_read_;
  int wake_write_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<ChangeFeed>> OpenPostgresChangeFeed(
    const std::string& uri, std::function<void(const FeedEvent&)> on_event) {
  PARLEY_ASSIGN_OR_RETURN(pg::Conn conn, pg::Connect(uri));
  pg::Res r(PQexec(conn.get(), "LISTEN parley_relay"));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return pg::ErrorOf(conn.get(), r.get(), "listening");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Error(Domain::kSync, Code::kInternal, "the change feed cannot make its pipe");
  }
  return std::unique_ptr<ChangeFeed>(
      new PostgresChangeFeed(uri, std::move(on_event), std::move(conn), fds[0], fds[1]));
}

}  // namespace parley::relay
