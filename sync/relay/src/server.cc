// The relay server: the listener, adopted sockets, the connection limit, signals, the
// metrics (file, HTTP endpoint, storage figures, health probe) and the two-phase shutdown
// (stop accepting and let connections finish; then cut stragglers after the grace period,
// stop the metrics endpoint, storage and the network threads).
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <thread>

#include "connection.h"
#include "log.h"
#include "metrics_http.h"
#include "parley/relay/change_feed.h"
#include "parley/relay/tuning.h"
#include "server_context.h"

namespace parley::relay {
namespace {

// Raises the soft limit on open descriptors to the hard limit: every connection holds one,
// and a flood of connections must meet the relay's own limits (max_connections,
// max_unauthenticated) before the kernel's. Best effort: the result is logged.
void RaiseDescriptorLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  LogInfo("descriptor_limit", {{"open_files", static_cast<std::uint64_t>(lim.rlim_cur)}});
}

}  // namespace

struct RelayServer::Impl {
  Impl(RelayOptions o, crypto::DhKeyPair key, std::unique_ptr<RelayStorage> w,
       std::unique_ptr<RelayStorage> r)
      : options(std::move(o)),
        ctx(std::make_unique<ServerContext>(options, std::move(key), std::move(w), std::move(r))),
        strand(asio::make_strand(io)),
        acceptor(strand),
        metrics_timer(strand),
        grace_timer(strand),
        work(asio::make_work_guard(io)) {
    SetLogIdKey(options.log_id_key);
  }

  ~Impl() { ctx->on_connection_gone = nullptr; }

  // A probe of storage on its reader thread, shared by the health checks waiting for it.
  struct HealthProbe {
    std::chrono::steady_clock::time_point started;
    std::vector<std::function<void(HealthAnswer)>> waiting;
  };

  asio::awaitable<void> AcceptLoop();
  // On the strand: serves `socket` (accepted or adopted) within the connection limit.
  void Admit(Connection::Socket socket);
  // On the strand: closes `socket` at once, counting it under `reason` (and in total).
  void Refuse(Connection::Socket& socket, RefusalReason reason, const char* why);
  // On the strand: closes the oldest unauthenticated connection; false when there is none.
  bool EvictOldestUnauthenticated();
  asio::awaitable<void> MetricsLoop();
  // Starts serving metrics_listen.
  Status StartMetricsHttp();
  // Reads the storage figures on the storage reader unless a read is already pending (any
  // thread).
  void RefreshStorageStats();
  // GET /healthz (the metrics endpoint's thread): serving, and storage answers a cheap read
  // in time; `done` gets the answer (here, or on the storage reader thread).
  void Health(std::function<void(HealthAnswer)> done);
  void BeginStop();    // on the strand
  void MaybeFinish();  // on the strand
  void Finish();
  // From the change feed's thread: another instance committed (see FollowStorage).
  void OnStorageEvent(const FeedEvent& event);

  // Connections still queued in `io` when it is destroyed refer to `ctx`: it goes last.
  RelayOptions options;
  std::unique_ptr<ServerContext> ctx;
  asio::io_context io;
  // Everything of the server itself (accepting, stop, metrics) runs on this strand.
  asio::strand<asio::io_context::executor_type> strand;
  asio::ip::tcp::acceptor acceptor;
  std::optional<asio::signal_set> signals;
  asio::steady_timer metrics_timer;
  asio::steady_timer grace_timer;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::uint64_t next_id = 1;
  std::chrono::steady_clock::time_point last_refusal_log{};
  bool stop_begun = false;
  bool finished = false;
  std::atomic<bool> started{false};  // read by Adopt() on any thread
  std::mutex join_mu;
  std::mutex feed_mu;                // guards feed
  std::unique_ptr<ChangeFeed> feed;  // FollowStorage; stopped before storage in Finish()
  bool feed_closed = false;          // Finish() ran: no feed may start (guarded by feed_mu)
  std::uint16_t metrics_port = 0;
  std::chrono::steady_clock::time_point stats_read_at;  // on the strand
  std::atomic<bool> stats_pending{false};
  std::mutex probe_mu;
  std::shared_ptr<HealthProbe> probe;  // the probe in progress, if any
  // Its callbacks use `ctx`: it is stopped, and destroyed, first.
  std::unique_ptr<MetricsHttp> http;
};

asio::awaitable<void> RelayServer::Impl::AcceptLoop() {
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor.async_accept(
        asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
    if (ctx->stopping.load()) break;
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      LogWarn("accept_failed", {{"reason", ec.message()}});
      asio::steady_timer pause(
          strand,
          std::chrono::milliseconds(tuning::kAcceptRetryPauseMs));  // e.g. out of descriptors
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    Admit(Connection::Socket(std::move(socket)));
  }
}

void RelayServer::Impl::Refuse(Connection::Socket& socket, RefusalReason reason, const char* why) {
  ctx->metrics.Refused(reason);
  // A flood would flood the log too: the first refusal of each burst is logged, the
  // metrics count them all.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_log >= std::chrono::seconds(1)) {
    last_refusal_log = now;
    LogWarn("connection_refused", {{"reason", why}});
  }
  std::error_code ec;
  socket.close(ec);
}

bool RelayServer::Impl::EvictOldestUnauthenticated() {
  std::shared_ptr<Connection> oldest = ctx->unauthenticated.TakeOldest();
  if (!oldest) return false;
  ctx->metrics.evicted_unauthenticated.fetch_add(1, std::memory_order_relaxed);
  oldest->Evict();
  return true;
}

void RelayServer::Impl::Admit(Connection::Socket socket) {
  std::error_code ec;
  if (ctx->stopping.load()) {
    socket.close(ec);
    return;
  }
  // Sockets without a network address (AF_UNIX, adopted) have an empty key: no
  // per-address limits, only the totals.
  const std::string key = AddressKey(socket);
  if (ctx->unauthenticated.AddressFull(key)) {
    Refuse(socket, RefusalReason::kAddressLimit, "unauthenticated connections per address");
    return;
  }
  if (!key.empty() && ctx->address_limiter.Take(key, 1.0) > 0) {
    Refuse(socket, RefusalReason::kAddressRate, "connection rate per address");
    return;
  }
  // The connection table: authenticated connections plus those still in the handshake
  // (evicted ones no longer count, even before their socket is closed). When it is full,
  // the oldest unauthenticated connection makes room: a device always gets in while
  // anything unauthenticated holds a place.
  if (ctx->authenticated.load() + ctx->unauthenticated.size() >= options.max_connections &&
      !EvictOldestUnauthenticated()) {
    Refuse(socket, RefusalReason::kConnectionLimit, "connection limit");
    return;
  }
  if (ctx->unauthenticated.full()) (void)EvictOldestUnauthenticated();
  ctx->metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  ctx->metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t id = next_id++;
  auto conn = std::make_shared<Connection>(std::move(socket), *ctx, id);
  ctx->connections.Add(id, conn);
  ctx->unauthenticated.Add(id, key, conn);
  conn->Start();
}

asio::awaitable<void> RelayServer::Impl::MetricsLoop() {
  while (!finished) {
    metrics_timer.expires_after(std::chrono::milliseconds(options.metrics_interval_ms));
    std::error_code ec;
    co_await metrics_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (finished) break;
    if (std::chrono::steady_clock::now() - stats_read_at >=
        std::chrono::milliseconds(tuning::kStorageStatsIntervalMs)) {
      stats_read_at = std::chrono::steady_clock::now();
      RefreshStorageStats();
    }
    if (!options.metrics_path.empty())
      (void)ctx->metrics.WriteFile(options.metrics_path, !ctx->stopping.load());
  }
}

void RelayServer::Impl::RefreshStorageStats() {
  if (stats_pending.exchange(true)) return;
  ServerContext* c = ctx.get();
  std::atomic<bool>* pending = &stats_pending;
  c->storage.SubmitRead([c, pending](RelayStorage& s) {
    auto stats = s.Stats();
    if (stats.ok()) {
      c->metrics.SetStorageStats(*stats);
    } else {
      c->metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
      LogWarn("storage_error", {{"reason", "storage figures: " + stats.status().message()}});
    }
    pending->store(false);
  });
}

void RelayServer::Impl::Health(std::function<void(HealthAnswer)> done) {
  if (ctx->stopping.load()) return done({false, "stopping"});
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(probe_mu);
  if (probe) {
    // A probe older than the deadline is stuck: answer now rather than wait with it.
    if (now - probe->started > std::chrono::milliseconds(tuning::kHealthDeadlineMs)) {
      lock.unlock();
      return done({false, "storage did not answer within " +
                              std::to_string(tuning::kHealthDeadlineMs) + " ms"});
    }
    probe->waiting.push_back(std::move(done));
    return;
  }
  probe = std::make_shared<HealthProbe>();
  probe->started = now;
  probe->waiting.push_back(std::move(done));
  ctx->storage.SubmitRead([this, mine = probe](RelayStorage& s) {
    // A vault nobody can register (32 zero bytes): one index lookup, answered "not found".
    auto read = s.GetVault(crypto::Bytes(32, 0));
    HealthAnswer answer{true, "ok"};
    if (!read.ok() && read.status().code() != Code::kNotFound)
      answer = {false, "storage failed: " + read.status().message()};
    std::vector<std::function<void(HealthAnswer)>> waiting;
    {
      std::lock_guard<std::mutex> guard(probe_mu);
      if (probe == mine) probe.reset();
      waiting.swap(mine->waiting);
    }
    for (auto& w : waiting) w(answer);
  });
}

Status RelayServer::Impl::StartMetricsHttp() {
  std::string host;
  std::uint16_t want = 0;
  if (!ParseHostPort(options.metrics_listen, &host, &want)) {
    return Error(Domain::kSync, Code::kInvalidArgument,
                 "the metrics address must be HOST:PORT with PORT 0..65535, not \"" +
                     options.metrics_listen + "\"");
  }
  MetricsHttpHandlers handlers;
  handlers.metrics = [c = ctx.get()] { return c->metrics.RenderPrometheus(!c->stopping.load()); };
  handlers.health = [this](std::function<void(HealthAnswer)> done) { Health(std::move(done)); };
  http = std::make_unique<MetricsHttp>(std::move(handlers));
  auto bound = http->Start(host, want);
  if (!bound.ok()) {
    http.reset();
    return bound.status();
  }
  metrics_port = *bound;
  LogInfo("metrics_listening", {{"addr", host}, {"port", static_cast<unsigned>(metrics_port)}});
  return Status::Ok();
}

void RelayServer::Impl::BeginStop() {
  if (stop_begun) return;
  stop_begun = true;
  ctx->stopping.store(true);
  LogInfo("stopping", {{"connections", static_cast<std::uint64_t>(ctx->connections.size())}});
  std::error_code ec;
  acceptor.close(ec);
  if (signals) signals->cancel(ec);
  for (auto& c : ctx->connections.All()) c->Stop();
  grace_timer.expires_after(std::chrono::milliseconds(options.shutdown_grace_ms));
  grace_timer.async_wait([this](std::error_code e) {
    if (e || finished) return;
    for (auto& c : ctx->connections.All()) c->Abort();
  });
  MaybeFinish();
}

void RelayServer::Impl::MaybeFinish() {
  if (!stop_begun || finished || ctx->connections.size() != 0) return;
  Finish();
}

void RelayServer::Impl::Finish() {
  finished = true;
  grace_timer.cancel();
  metrics_timer.cancel();
  if (http) http->Stop();  // before storage: a health probe may be waiting for it
  {
    std::lock_guard<std::mutex> lock(feed_mu);
    feed_closed = true;
    feed.reset();  // joins the feed's thread: no event arrives after this
  }
  ctx->storage.Stop();  // every queued commit completes first
  ctx->checks.join();   // idle: every connection awaited its checks
  if (!options.metrics_path.empty()) (void)ctx->metrics.WriteFile(options.metrics_path, false);
  work.reset();
  io.stop();
}

RelayServer::RelayServer(RelayOptions options, crypto::DhKeyPair static_key,
                         std::unique_ptr<RelayStorage> writer, std::unique_ptr<RelayStorage> reader)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(static_key), std::move(writer),
                                   std::move(reader))) {}

RelayServer::~RelayServer() {
  RequestStop();
  Wait();
}

Status RelayServer::Start() {
  Impl& m = *impl_;
  RaiseDescriptorLimit();
  std::error_code ec;
  asio::ip::tcp::resolver resolver(m.io);
  auto results = resolver.resolve(m.options.listen_host, std::to_string(m.options.listen_port),
                                  asio::ip::tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return Error(Domain::kSync, Code::kIoError,
                 "cannot resolve " + m.options.listen_host + ": " + ec.message());
  }
  const asio::ip::tcp::endpoint ep = *results.begin();
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Error(Domain::kSync, Code::kIoError,
                 "cannot listen on " + m.options.listen_host + ": " + ec.message());
  m.port = m.acceptor.local_endpoint().port();
  if (!m.options.metrics_listen.empty()) {
    if (Status s = m.StartMetricsHttp(); !s.ok()) {
      m.acceptor.close(ec);
      return s;
    }
  }
  m.ctx->on_connection_gone = [&m] { asio::post(m.strand, [&m] { m.MaybeFinish(); }); };
  if (m.options.handle_signals) {
    m.signals.emplace(m.strand, SIGTERM, SIGINT);
    m.signals->async_wait([&m](std::error_code e, int sig) {
      if (e) return;
      LogInfo("signal", {{"signal", sig}});
      m.BeginStop();
    });
  }
  asio::co_spawn(m.strand, m.AcceptLoop(), asio::detached);
  asio::co_spawn(m.strand, m.MetricsLoop(), asio::detached);
  m.stats_read_at = std::chrono::steady_clock::now();
  m.RefreshStorageStats();
  if (!m.options.metrics_path.empty()) (void)m.ctx->metrics.WriteFile(m.options.metrics_path, true);
  LogInfo("listening",
          {{"addr", ep.address().to_string()}, {"port", static_cast<unsigned>(m.port)}});
  for (int i = 0; i < std::max(1, m.options.io_threads); ++i)
    m.threads.emplace_back([&m] { m.io.run(); });
  m.started = true;
  return Status::Ok();
}

Status RelayServer::Adopt(int fd) {
  Impl& m = *impl_;
  auto refuse = [fd](Code code, const std::string& why) {
    ::close(fd);
    return Error(Domain::kSync, code, why);
  };
  if (fd < 0) return Error(Domain::kSync, Code::kInvalidArgument, "no socket to adopt");
  if (!m.started.load())
    return refuse(Code::kUnavailable, "the relay is not serving (Adopt before Start)");
  int type = 0;
  socklen_t type_len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM) {
    return refuse(Code::kInvalidArgument, "the descriptor is not a stream socket");
  }
  sockaddr_storage addr{};
  socklen_t addr_len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) {
    return refuse(Code::kInvalidArgument, "the descriptor is not a socket");
  }
  const int family = addr.ss_family;
  const int protocol = family == AF_INET || family == AF_INET6 ? IPPROTO_TCP : 0;
  Connection::Socket socket(asio::make_strand(m.io));
  std::error_code ec;
  socket.assign(asio::generic::stream_protocol(family, protocol), fd, ec);
  if (ec) return refuse(Code::kIoError, "cannot adopt the socket: " + ec.message());
  asio::post(m.strand, [&m, s = std::move(socket)]() mutable { m.Admit(std::move(s)); });
  return Status::Ok();
}

std::uint16_t RelayServer::port() const { return impl_->port; }

std::uint16_t RelayServer::metrics_port() const { return impl_->metrics_port; }

void RelayServer::RequestStop() {
  Impl* m = impl_.get();
  asio::post(m->strand, [m] { m->BeginStop(); });
}

void RelayServer::Wait() {
  std::lock_guard<std::mutex> lock(impl_->join_mu);
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  if (impl_->started && impl_->threads.size() > 0 && impl_->finished) {
    impl_->threads.clear();
    LogInfo("stopped");
  }
}

void RelayServer::Impl::OnStorageEvent(const FeedEvent& event) {
  if (ctx->stopping.load()) return;
  const std::string vault(event.vault.begin(), event.vault.end());
  switch (event.kind) {
    case FeedEvent::kMembership:
      ctx->vaults.Erase(vault);  // reloaded from storage at its next use
      return;
    case FeedEvent::kChanges:
      for (auto& sub : ctx->connections.Subscribers(vault)) sub->Notify(vault, event.seq);
      return;
    case FeedEvent::kResync:
      break;
  }
  // Notifications may have been lost: trust no cached list, and announce every subscribed
  // vault's head as storage holds it now (a device pulls only what it lacks).
  ctx->vaults.Clear();
  for (const std::string& v : ctx->connections.SubscribedVaults()) {
    ServerContext* c = ctx.get();
    ctx->storage.SubmitRead([c, v](RelayStorage& storage) {
      auto info = storage.GetVault(crypto::AsBytes(v));
      if (!info.ok() || info->head_seq == 0) return;
      for (auto& sub : c->connections.Subscribers(v)) sub->Notify(v, info->head_seq);
    });
  }
}

Status RelayServer::FollowStorage(const std::string& spec) {
  Impl& m = *impl_;
  if (!IsPostgresStorageSpec(spec)) return Status::Ok();  // one process serves a SQLite file
  if (!m.started.load())
    return Error(Domain::kSync, Code::kUnavailable, "FollowStorage before Start");
  auto feed = OpenPostgresChangeFeed(spec, [&m](const FeedEvent& e) { m.OnStorageEvent(e); });
  if (!feed.ok()) return feed.status();
  std::lock_guard<std::mutex> lock(m.feed_mu);
  if (m.feed_closed) return Status::Ok();  // stopped meanwhile: the feed goes with this scope
  m.feed = std::move(*feed);
  LogInfo("following_storage");
  return Status::Ok();
}

}  // namespace parley::relay
