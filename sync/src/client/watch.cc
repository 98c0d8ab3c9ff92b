// The watching loop (client.h, step 4): one connection per relay, all on this thread.
//
// Each pass: connect the relays whose retry time has come (a full exchange, then
// Subscribe); push to connected relays marked dirty (local edits via Wake(), or changes
// pulled from another relay); then wait in one poll for the cancel pipe, the wake pipe,
// every connection, the next retry and the next ping deadline. A Notify pulls; a relay
// silent for ping_interval_ms gets a Ping and must answer within io_timeout_ms. Any failure
// drops that connection and schedules its retry with backoff (attempts reset once a
// session reaches the synced state). A relay that says this device was revoked
// (ERROR_REVOKED) ends the watch instead: no reconnect loop against a permanent refusal.
// Other processes may write the same data directory (another `parley` command, an app
// extension): while a relay is connected, the database's data version (PRAGMA
// data_version, which changes only for other connections' commits) is looked at every
// kForeignCommitCheckMs, and a change marks every relay for a push.
#include <poll.h>

#include <algorithm>

#include "client_impl.h"
#include "parley/core/sqlite_util.h"

namespace parley::sync {
namespace {

struct Link {
  std::int64_t id = 0;
  std::string label;
  std::unique_ptr<RelayConnection> conn;
  RelayRecord relay;
  std::uint32_t attempt = 0;
  std::int64_t retry_at = 0;
  std::int64_t last_rx = 0;
  std::int64_t ping_sent = 0;  // 0: no Ping outstanding
  bool dirty = false;
};

// How often a connected watcher looks for commits of other processes.
constexpr std::int64_t kForeignCommitCheckMs = 1000;

// The database's data version as seen by `db` (changes when another connection commits).
Result<std::int64_t> DataVersion(sqlite3* db) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db, "PRAGMA data_version"));
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : std::int64_t{0};
}

bool Moved(const SyncReport& r) {
  return r.pushed + r.pulled + r.refused > 0 || r.registered_vault || r.published_members;
}

}  // namespace

Status SyncClient::Impl::Watch(const std::vector<std::int64_t>& ids, Canceller& cancel,
                               const WatchObserver& observer) {
  std::vector<Link> links;
  for (std::int64_t id : ids) {
    PARLEY_ASSIGN_OR_RETURN(RelayRecord r, state.Relay(id));
    Link& l = links.emplace_back();
    l.id = id;
    l.label = r.label();
  }
  // A relay that said this device was revoked ends the watch: no retry of it.
  auto revoked = [&](Link& l, const Status& why) -> Status {
    l.conn.reset();
    if (observer.disconnected) observer.disconnected(l.label, why, -1);
    return why;
  };
  auto drop = [&](Link& l, const Status& why) {
    l.conn.reset();
    l.ping_sent = 0;
    const std::int64_t delay = BackoffDelayMs(options.backoff, l.attempt, poller.Random());
    if (l.attempt < 64) ++l.attempt;
    l.retry_at = NowMs() + delay;
    if (observer.disconnected) observer.disconnected(l.label, why, delay);
  };
  auto after_exchange = [&](Link& l, const SyncReport& report) {
    if (report.pulled > 0) {
      for (Link& other : links) {
        if (&other != &l) other.dirty = true;
      }
    }
    if (Moved(report) && observer.synced) observer.synced(report);
  };
  // One exchange with a connected relay: push what waits (with `push`), pull (with `pull`).
  // A failure drops the connection. False when the watch ends: the user cancelled, or the
  // relay said this device was revoked (`*end` then holds the status to return).
  Status end = Status::Ok();
  auto exchange = [&](Link& l, bool push, bool pull) -> bool {
    SyncReport report;
    report.relay = l.label;
    ExchangeContext c = ctx();
    Status s = push ? PushPending(c, *l.conn, l.relay, report) : Status::Ok();
    if (s.ok() && pull) s = PullAvailable(c, *l.conn, l.relay, report);
    if (s.ok()) s = Finish(l.relay, report);
    if (s.code() == Code::kCancelled) return false;
    if (s.ok()) {
      after_exchange(l, report);
    } else if (revocation.has_value()) {
      end = revoked(l, s);
      return false;
    } else {
      drop(l, s);
    }
    return true;
  };

  // What other processes commit while this watch runs is pushed.
  std::int64_t seen_version = -1;
  if (auto version = DataVersion(store.db()); version.ok()) seen_version = *version;
  std::int64_t next_foreign_check = 0;
  auto look_for_foreign_commits = [&] {
    const bool connected =
        std::any_of(links.begin(), links.end(), [](const Link& l) { return l.conn != nullptr; });
    if (!connected || NowMs() < next_foreign_check) return;
    next_foreign_check = NowMs() + kForeignCommitCheckMs;
    auto version = DataVersion(store.db());
    if (!version.ok()) return;  // the next exchange meets the same error and says it
    if (seen_version >= 0 && *version != seen_version) {
      for (Link& l : links) l.dirty = true;
    }
    seen_version = *version;
  };

  std::int64_t recheck_at = -1;
  while (!cancel.cancelled()) {
    if (observer.check) {
      recheck_at = -1;
      PARLEY_RETURN_IF_ERROR(observer.check(NowMs(), &recheck_at));
    }
    // Connect what is due.
    for (Link& l : links) {
      if (l.conn || NowMs() < l.retry_at || cancel.cancelled()) continue;
      Status s = [&]() -> Status {
        PARLEY_ASSIGN_OR_RETURN(l.relay, state.Relay(l.id));
        PARLEY_ASSIGN_OR_RETURN(l.conn, Connect(l.relay, &cancel));
        PARLEY_ASSIGN_OR_RETURN(SyncReport report, Exchange(*l.conn, l.relay));
        pb::Frame sub;
        PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(replica));
        sub.mutable_subscribe()->set_vault(vault.vault.data(), vault.vault.size());
        PARLEY_RETURN_IF_ERROR(l.conn->Call(std::move(sub)).status());
        l.attempt = 0;
        l.dirty = false;
        l.last_rx = NowMs();
        if (observer.connected) observer.connected(l.label);
        after_exchange(l, report);
        return Status::Ok();
      }();
      if (s.code() == Code::kCancelled) return Status::Ok();
      if (!s.ok() && revocation.has_value()) return revoked(l, s);
      if (!s.ok()) drop(l, s);
    }
    // Push where something new is waiting, and pull what a Notify announced meanwhile.
    look_for_foreign_commits();
    for (Link& l : links) {
      if (!l.conn || cancel.cancelled()) continue;
      const bool notified = l.conn->TakeNotify().has_value();
      if (!l.dirty && !notified) continue;
      l.dirty = false;
      if (!exchange(l, /*push=*/true, /*pull=*/notified)) return end;
    }

    // Wait for the next event.
    const std::int64_t now = NowMs();
    std::int64_t timeout = -1;
    auto until = [&](std::int64_t at) {
      const std::int64_t t = std::max<std::int64_t>(0, at - now);
      timeout = timeout < 0 ? t : std::min(timeout, t);
    };
    if (recheck_at >= 0) until(recheck_at);
    std::vector<pollfd> fds;
    fds.push_back({cancel.fd(), POLLIN, 0});
    fds.push_back({waker->fd(), POLLIN, 0});
    std::vector<Link*> polled;
    for (Link& l : links) {
      if (!l.conn) {
        until(l.retry_at);
        continue;
      }
      if (l.dirty) until(now);
      until(next_foreign_check);
      fds.push_back({l.conn->poll_fd(), POLLIN, 0});
      polled.push_back(&l);
      until(l.ping_sent != 0 ? l.ping_sent + options.io_timeout_ms
                             : l.last_rx + options.ping_interval_ms);
    }
    const int n = poller.Poll(fds.data(), static_cast<nfds_t>(fds.size()), timeout);
    if (n < 0 && errno != EINTR) return Error(Domain::kSync, Code::kInternal, "poll failed");
    if (cancel.cancelled()) break;
    if (n > 0 && fds[1].revents != 0) {
      DrainWake();
      for (Link& l : links) l.dirty = true;
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      Link& l = *polled[i];
      if (n <= 0 || fds[i + 2].revents == 0) continue;
      auto frame = l.conn->Receive(0);
      if (!frame.ok()) {
        if (frame.status().code() == Code::kCancelled) return Status::Ok();
        if (revocation.has_value()) return revoked(l, frame.status());
        drop(l, frame.status());
        continue;
      }
      if (!frame->has_value()) continue;
      l.last_rx = NowMs();
      const pb::Frame& f = **frame;
      if (f.body_case() == pb::Frame::kNotify) {
        if (!exchange(l, /*push=*/false, /*pull=*/true)) return end;
      } else if (f.body_case() == pb::Frame::kPong) {
        l.ping_sent = 0;
      } else if (f.body_case() == pb::Frame::kError) {
        Status why = l.conn->NoteError(f.error());
        if (revocation.has_value()) return revoked(l, why);
        drop(l, why);
      }
    }
    // Keep-alive: ping idle relays, drop those that do not answer.
    for (Link& l : links) {
      if (!l.conn) continue;
      const std::int64_t t = NowMs();
      if (l.ping_sent != 0 && t - l.ping_sent >= options.io_timeout_ms) {
        drop(l, Error(Domain::kSync, Code::kUnavailable, "the relay did not answer a ping"));
      } else if (l.ping_sent == 0 && t - l.last_rx >= options.ping_interval_ms) {
        pb::Frame ping;
        ping.set_id(0);
        ping.mutable_ping()->set_nonce(poller.Random());
        Status s = l.conn->Send(ping);
        if (!s.ok()) {
          drop(l, s);
        } else {
          l.ping_sent = t;
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace parley::sync
