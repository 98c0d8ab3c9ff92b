// The relay's metrics: the Prometheus text (parsed here by the rules of the text exposition
// format 0.0.4, not matched as strings), the HTTP endpoint (/metrics, /healthz, 404, what
// it refuses, stopping), and a real relay process scraped after a device synced: the figures are
// what the device did, the storage figures are there, and a stopped relay serves nothing and its
// metrics file says it stopped.
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "metrics.h"
#include "metrics_http.h"
#include "parley/relay/relay_server.h"
#include "relay_fixture.h"

namespace parley::testing {
namespace {

// ---- The text exposition format 0.0.4 ----

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromText {
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram, ...
  std::map<std::string, std::string> helps;
  std::vector<PromSample> samples;

  // The value of the sample `name` with exactly `labels`; nullopt when absent.
  std::optional<double> Get(const std::string& name,
                            const std::map<std::string, std::string>& labels = {}) const {
    for (const PromSample& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
};

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// The family a sample belongs to: its own name, or for a histogram's _bucket, _sum and
// _count samples the name without that suffix.
std::string FamilyOf(const PromText& t, const std::string& name) {
  if (t.types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      auto it = t.types.find(base);
      if (it != t.types.end() && (it->second == "histogram" || it->second == "summary"))
        return base;
    }
  }
  return "";
}

// Parses `text`; every line must be a comment, blank, or `name{labels} value`. Records a
// test failure for each broken rule and returns what it read.
PromText ParseProm(const std::string& text) {
  PromText t;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "the text ends with a line feed";
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line.substr(1));
      std::string kind, name;
      words >> kind >> name;
      if (kind == "TYPE") {
        std::string type;
        words >> type;
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        EXPECT_TRUE(kTypes.count(type)) << "line " << n << ": " << line;
        EXPECT_FALSE(t.types.count(name)) << "line " << n << ": a second TYPE for " << name;
        t.types[name] = type;
      } else if (kind == "HELP") {
        t.helps[name] = line;
      }
      continue;
    }
    PromSample s;
    std::size_t i = 0;
    EXPECT_TRUE(IsNameStart(line[0])) << "line " << n << ": " << line;
    while (i < line.size() && IsNameChar(line[i])) ++i;
    s.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t from = i;
        while (i < line.size() && IsNameChar(line[i])) ++i;
        const std::string label = line.substr(from, i - from);
        EXPECT_FALSE(label.empty()) << "line " << n << ": " << line;
        EXPECT_TRUE(i + 1 < line.size() && line[i] == '=' && line[i + 1] == '"')
            << "line " << n << ": " << line;
        i += 2;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            value += line[i + 1] == 'n' ? '\n' : line[i + 1];
            i += 2;
          } else {
            value += line[i++];
          }
        }
        ++i;  // the closing quote
        s.labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      EXPECT_LT(i, line.size()) << "line " << n << ": unterminated labels: " << line;
      ++i;  // '}'
    }
    EXPECT_TRUE(i < line.size() && line[i] == ' ') << "line " << n << ": " << line;
    const std::string value = line.substr(std::min(i + 1, line.size()));
    char* end = nullptr;
    s.value = std::strtod(value.c_str(), &end);
    const bool special = value == "+Inf" || value == "-Inf" || value == "NaN";
    EXPECT_TRUE(special || (!value.empty() && end == value.c_str() + value.size()))
        << "line " << n << ": the value (no timestamp expected): " << line;
    t.samples.push_back(std::move(s));
  }
  // Every sample's family has a TYPE; counters end in _total; histograms are whole.
  for (const PromSample& s : t.samples) {
    const std::string family = FamilyOf(t, s.name);
    EXPECT_FALSE(family.empty()) << s.name << " has no # TYPE";
    if (family.empty()) continue;
    EXPECT_TRUE(t.helps.count(family)) << family << " has no # HELP";
    if (t.types[family] == "counter") {
      EXPECT_TRUE(family.size() > 6 && family.compare(family.size() - 6, 6, "_total") == 0)
          << "counter " << family;
    }
    if (family.rfind("process_", 0) != 0) {
      EXPECT_EQ(family.rfind("parley_relay_", 0), 0u) << family;
    }
  }
  for (const auto& [family, type] : t.types) {
    if (type != "histogram") continue;
    double last = -1, last_le = -1;
    std::optional<double> inf;
    for (const PromSample& s : t.samples) {
      if (s.name != family + "_bucket") continue;
      auto le = s.labels.find("le");
      EXPECT_NE(le, s.labels.end()) << family << " bucket without le";
      if (le == s.labels.end()) continue;
      const double bound = le->second == "+Inf" ? 1e300 : std::strtod(le->second.c_str(), nullptr);
      EXPECT_GT(bound, last_le) << family << ": buckets in increasing le order";
      EXPECT_GE(s.value, last) << family << ": cumulative counts never decrease";
      last_le = bound;
      last = s.value;
      if (le->second == "+Inf") inf = s.value;
    }
    EXPECT_TRUE(inf.has_value()) << family << " has no +Inf bucket";
    auto count = t.Get(family + "_count");
    EXPECT_TRUE(count.has_value() && t.Get(family + "_sum").has_value()) << family;
    if (inf && count) {
      EXPECT_EQ(*inf, *count) << family << ": the +Inf bucket is the count";
    }
  }
  return t;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int ThreadCount() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

// A plain TCP connection to 127.0.0.1:`port` that sends nothing (-1 on failure).
int IdleConnection(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return fd;
}

// A server that closes first makes the HTTP client's write fail, not kill the test.
void IgnoreSigpipe() { ::signal(SIGPIPE, SIG_IGN); }

// ---- The renderer ----

TEST(RelayMetricsText, RendersEveryFigureInTheTextFormat) {
  relay::Metrics m;
  m.connections_open = 2;
  m.connections_total = 5;
  m.changes_accepted = 7;
  m.changes_served = 4;
  m.Refused(relay::RefusalReason::kConnectionLimit);
  m.connections_refused.fetch_add(1);  // counted without a reason
  m.ErrorSent(pb::ERROR_RATE_LIMITED);
  m.ErrorSent(pb::ERROR_RATE_LIMITED);
  m.ErrorSent(pb::ERROR_NOT_MEMBER);
  m.devices.Add("device-a");
  m.devices.Add("device-a");  // a second connection of the same device
  m.devices.Add("device-b");
  m.devices.Remove("device-a");
  m.push_ack.Observe(std::chrono::microseconds(300));
  m.push_ack.Observe(std::chrono::microseconds(800));
  m.push_ack.Observe(std::chrono::milliseconds(30));
  m.push_ack.Observe(std::chrono::seconds(60));
  relay::StorageStats stats;
  stats.vaults = 3;
  stats.changes = 9;
  stats.stored_bytes = 1234;
  stats.storage_bytes = 40960;
  m.SetStorageStats(stats);

  const PromText t = ParseProm(m.RenderPrometheus(true));
  EXPECT_EQ(t.Get("parley_relay_up"), 1);
  EXPECT_EQ(t.types.at("parley_relay_connections_open"), "gauge");
  EXPECT_EQ(t.Get("parley_relay_connections_open"), 2);
  EXPECT_EQ(t.types.at("parley_relay_connections_total"), "counter");
  EXPECT_EQ(t.Get("parley_relay_connections_total"), 5);
  EXPECT_EQ(t.Get("parley_relay_changes_accepted_total"), 7);
  EXPECT_EQ(t.Get("parley_relay_changes_served_total"), 4);
  EXPECT_EQ(t.Get("parley_relay_connections_refused_total", {{"reason", "connection_limit"}}), 1);
  EXPECT_EQ(t.Get("parley_relay_connections_refused_total", {{"reason", "other"}}), 1);
  EXPECT_EQ(t.Get("parley_relay_errors_sent_total", {{"code", "ERROR_RATE_LIMITED"}}), 2);
  EXPECT_EQ(t.Get("parley_relay_errors_sent_total", {{"code", "ERROR_NOT_MEMBER"}}), 1);
  EXPECT_EQ(t.Get("parley_relay_errors_sent_total", {{"code", "ERROR_MALFORMED"}}), 0);
  EXPECT_EQ(t.Get("parley_relay_devices_authenticated"), 2);
  EXPECT_EQ(t.types.at("parley_relay_push_ack_seconds"), "histogram");
  EXPECT_EQ(t.Get("parley_relay_push_ack_seconds_bucket", {{"le", "0.0005"}}), 1);
  EXPECT_EQ(t.Get("parley_relay_push_ack_seconds_bucket", {{"le", "0.001"}}), 2);
  EXPECT_EQ(t.Get("parley_relay_push_ack_seconds_bucket", {{"le", "0.05"}}), 3);
  EXPECT_EQ(t.Get("parley_relay_push_ack_seconds_bucket", {{"le", "10"}}), 3);
  EXPECT_EQ(t.Get("parley_relay_push_ack_seconds_bucket", {{"le", "+Inf"}}), 4);
  EXPECT_EQ(t.Get("parley_relay_push_ack_seconds_count"), 4);
  EXPECT_NEAR(t.Get("parley_relay_push_ack_seconds_sum").value_or(-1), 60.0311, 1e-6);
  EXPECT_EQ(t.Get("parley_relay_vaults"), 3);
  EXPECT_EQ(t.Get("parley_relay_stored_changes"), 9);
  EXPECT_EQ(t.Get("parley_relay_stored_bytes"), 1234);
  EXPECT_EQ(t.Get("parley_relay_storage_bytes"), 40960);
  EXPECT_GT(t.Get("parley_relay_storage_stats_timestamp_seconds").value_or(0), 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto started = t.Get("process_start_time_seconds");
  ASSERT_TRUE(started.has_value());
  EXPECT_LE(*started, now + 0.001);  // the text rounds to milliseconds
  EXPECT_GT(*started, now - 60);
  bool version = false;
  for (const PromSample& s : t.samples) {
    if (s.name == "parley_relay_build_info") {
      version = !s.labels.at("version").empty() && s.value == 1;
    }
  }
  EXPECT_TRUE(version);
  EXPECT_EQ(ParseProm(m.RenderPrometheus(false)).Get("parley_relay_up"), 0);
}

TEST(RelayMetricsText, TheFileSaysWhoWroteItAndWhetherTheRelayRuns) {
  relay::Metrics m;
  m.changes_accepted = 3;
  const std::string up = m.RenderFile(true);
  EXPECT_NE(up.find("relay_up 1\n"), std::string::npos) << up;
  EXPECT_NE(up.find("pid " + std::to_string(::getpid()) + "\n"), std::string::npos) << up;
  EXPECT_NE(up.find("\nwritten_at "), std::string::npos) << up;
  EXPECT_NE(up.find("\nstarted_at "), std::string::npos) << up;
  EXPECT_NE(up.find("\nchanges_accepted 3\n"), std::string::npos) << up;
  EXPECT_NE(m.RenderFile(false).find("relay_up 0\n"), std::string::npos);
}

TEST(RelayMetricsText, HostPortIsParsedStrictly) {
  std::string host;
  std::uint16_t port = 1;
  EXPECT_TRUE(relay::ParseHostPort("127.0.0.1:0", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 0);
  EXPECT_TRUE(relay::ParseHostPort("[::1]:9100", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 9100);
  for (const char* bad : {"", "9100", ":9100", "host:", "host:65536", "host:9x", "::1:9100",
                          "[::1:9100", "host:123456"})
    EXPECT_FALSE(relay::ParseHostPort(bad, &host, &port)) << bad;
}

// ---- The HTTP endpoint, in-process ----

class MetricsEndpoint : public ::testing::Test {
 protected:
  void Start() {
    IgnoreSigpipe();
    relay::MetricsHttpHandlers h;
    h.metrics = [this] {
      ++scrapes_;
      return std::string(
          "# HELP parley_relay_up x\n# TYPE parley_relay_up gauge\n"
          "parley_relay_up 1\n");
    };
    h.health = [this](std::function<void(relay::HealthAnswer)> done) {
      if (silent_) return;  // never answers
      done(healthy_ ? relay::HealthAnswer{true, "ok"}
                    : relay::HealthAnswer{false, "storage failed: disk"});
    };
    http_ = std::make_unique<relay::MetricsHttp>(std::move(h));
    auto port = http_->Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
    ASSERT_NE(port_, 0);
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    return c;
  }

  std::atomic<int> scrapes_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<bool> silent_{false};
  std::unique_ptr<relay::MetricsHttp> http_;
  std::uint16_t port_ = 0;
};

TEST_F(MetricsEndpoint, ServesMetricsHealthAndNothingElse) {
  Start();
  auto c = Client();
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics) << httplib::to_string(metrics.error());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ParseProm(metrics->body).Get("parley_relay_up"), 1);

  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  healthy_ = false;
  health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "storage failed: disk\n");

  for (const char* path : {"/", "/metricsx", "/metrics/x", "/debug", "/healthz/"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
  auto other = c.Delete("/metrics");  // no route for another method
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(other->body, "not found\n");
  silent_ = true;
  health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "storage did not answer within 2000 ms\n");
  EXPECT_EQ(scrapes_.load(), 1);  // other requests never reached the renderer
}

// Sends `request` on a new connection and reads until the server closes it (15 s at most).
std::string Exchange(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{15, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    // Not half-closed after it: the library takes a half-closed client for gone.
    if (!request.empty()) (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        if (n < 0) out += "[recv failed]";
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

TEST_F(MetricsEndpoint, RefusesBodiesAndMalformedRequestsAndCutsASilentClient) {
  Start();
  // A request line over the library's 8 KiB.
  const std::string long_line = "GET /metrics?" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n";
  const std::string refused = Exchange(port_, long_line);
  EXPECT_EQ(refused.rfind("HTTP/1.1 414 ", 0), 0u) << refused.substr(0, 200);
  // A request with a body (no request body is accepted).
  const std::string post_body =
      Exchange(port_, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(post_body.rfind("HTTP/1.1 413 ", 0), 0u) << post_body;
  EXPECT_EQ(Exchange(port_, "HELLO\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  // HEAD: the headers only.
  const std::string head = Exchange(port_, "HEAD /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0u) << head;
  EXPECT_NE(head.find("text/plain; version=0.0.4; charset=utf-8"), std::string::npos) << head;
  EXPECT_EQ(head.find("parley_relay_up"), std::string::npos) << head;
  // A client that sends nothing is cut at the read timeout (5 s), not waited for.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(Exchange(port_, ""), "");
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(12));
  EXPECT_EQ(scrapes_.load(), 1);  // the HEAD request
}

TEST_F(MetricsEndpoint, AFloodOfIdleConnectionsAddsNoThreadAndStoppingEndsTheEndpoint) {
  Start();
  const int threads = ThreadCount();
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(IdleConnection(port_));
  EXPECT_EQ(ThreadCount(), threads);
  for (int fd : idle) ::close(fd);
  auto r = Client().Get("/metrics");  // answered once the idle ones are gone
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(ThreadCount(), threads);

  http_->Stop();
  auto after = Client().Get("/metrics");
  EXPECT_FALSE(after) << "still served after Stop";
}

// Idle connections held open wait in the library's queue (two workers, each held up to the
// 5 s read timeout by one of them), so they do delay scrapes; they do not hold up stopping:
// the workers finish the connection they serve, the queued ones are closed unread.
TEST_F(MetricsEndpoint, StoppingIsNotHeldUpByIdleConnectionsHeldOpen) {
  Start();
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(IdleConnection(port_));
  const auto before = std::chrono::steady_clock::now();
  http_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(10));
  for (int fd : idle) ::close(fd);
  EXPECT_FALSE(Client().Get("/metrics")) << "still served after Stop";
}

// ---- The relay server, in-process ----

class RelayMetricsServer : public ::testing::Test {
 protected:
  void SetUp() override {
    IgnoreSigpipe();
    ASSERT_TRUE(crypto::InitCrypto().ok());
  }
  std::unique_ptr<relay::RelayServer> Make(const std::string& metrics_listen) {
    auto writer = relay::OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    auto reader = relay::OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    EXPECT_TRUE(writer.ok() && reader.ok());
    relay::RelayOptions o;
    o.io_threads = 1;
    o.metrics_listen = metrics_listen;
    return std::make_unique<relay::RelayServer>(
        o, crypto::NewDhKeyPair(), std::move(writer).value(), std::move(reader).value());
  }
  TempDir dir_;
};

TEST_F(RelayMetricsServer, ServesHealthWhileRunningAndNothingOnceStopped) {
  auto server = Make("127.0.0.1:0");
  ASSERT_TRUE(server->Start().ok());
  ASSERT_NE(server->metrics_port(), 0);
  httplib::Client c("127.0.0.1", server->metrics_port());
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  server->RequestStop();
  server->Wait();
  httplib::Client after("127.0.0.1", server->metrics_port());
  after.set_connection_timeout(5);
  EXPECT_FALSE(after.Get("/healthz")) << "the endpoint outlived the relay";
}

TEST_F(RelayMetricsServer, StartFailsNamingAnAddressItCannotBind) {
  // A port held by another socket.
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  auto server = Make(taken);
  Status s = server->Start();
  ::close(holder);
  EXPECT_EQ(s.code(), Code::kIoError) << s.ToString();
  EXPECT_NE(s.message().find(taken), std::string::npos) << s.ToString();

  auto malformed = Make("localhost");
  EXPECT_EQ(malformed->Start().code(), Code::kInvalidArgument);
}

// ---- A real relay process ----

class RelayMetricsProcess : public RelayFixture {
 protected:
  void SetUp() override {
    IgnoreSigpipe();
    StartWithVault({"--metrics-listen", "127.0.0.1:0"});
    if (HasFatalFailure()) return;
    ASSERT_TRUE(relay_->WaitForLog("event=metrics_listening"));
    const std::string log = relay_->Log();
    const auto at = log.find("port=", log.find("event=metrics_listening"));
    ASSERT_NE(at, std::string::npos);
    metrics_port_ = static_cast<std::uint16_t>(std::stoi(log.substr(at + 5)));
    ASSERT_NE(metrics_port_, 0);
    chain_ = Chain(&admin_.identity, vault_);
  }
  // GET `path` on the metrics port: the status and body (status 0 when nothing answered).
  std::pair<int, std::string> Get(const std::string& path) {
    httplib::Client c("127.0.0.1", metrics_port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    auto r = c.Get(path);
    if (!r) return {0, ""};
    if (path == "/metrics") {
      EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    }
    return {r->status, r->body};
  }
  // Scrapes until `ready` holds for the parsed text (the storage figures are refreshed
  // every few seconds), 30 s at most.
  PromText ScrapeUntil(const std::function<bool(const PromText&)>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto [status, body] = Get("/metrics");
      EXPECT_EQ(status, 200);
      PromText t = ParseProm(body);
      if (ready(t) || std::chrono::steady_clock::now() > deadline || HasFailure()) return t;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Chain chain_;
  std::uint16_t metrics_port_ = 0;
};

TEST_F(RelayMetricsProcess, ScrapedFiguresAreWhatTheDeviceDid) {
  std::vector<pb::Change> changes;
  std::uint64_t data_bytes = 0;
  for (int i = 0; i < 3; ++i) {
    changes.push_back(chain_.Next(200));
    data_bytes += changes.back().ByteSizeLong();
  }
  ASSERT_EQ(Push(*admin_client_, changes).body_case(), pb::Frame::kPushAck);
  ASSERT_EQ(Push(*admin_client_, {changes[0]}).body_case(), pb::Frame::kPushAck);  // duplicate
  ASSERT_EQ(PullAll(*admin_client_).size(), 3u);
  crypto::Bytes nowhere = crypto::RandomBytes(32);
  ASSERT_EQ(Push(*admin_client_, {}, &nowhere).error().code(), pb::ERROR_UNKNOWN_VAULT);

  const PromText t = ScrapeUntil(
      [](const PromText& p) { return p.Get("parley_relay_stored_changes").value_or(0) == 3; });
  EXPECT_EQ(t.Get("parley_relay_up"), 1);
  EXPECT_EQ(t.Get("parley_relay_changes_accepted_total"), 3);
  EXPECT_EQ(t.Get("parley_relay_changes_duplicate_total"), 1);
  EXPECT_EQ(t.Get("parley_relay_changes_refused_total"), 0);
  EXPECT_EQ(t.Get("parley_relay_changes_served_total"), 3);
  EXPECT_EQ(t.Get("parley_relay_connections_open"), 1);
  EXPECT_EQ(t.Get("parley_relay_connections_total"), 1);
  EXPECT_EQ(t.Get("parley_relay_devices_authenticated"), 1);
  EXPECT_EQ(t.Get("parley_relay_auth_failed_total"), 0);
  EXPECT_EQ(t.Get("parley_relay_push_ack_seconds_count"), 2);  // two Push frames acknowledged
  EXPECT_EQ(t.Get("parley_relay_errors_sent_total", {{"code", "ERROR_UNKNOWN_VAULT"}}), 1);
  EXPECT_GE(t.Get("parley_relay_frames_in_total").value_or(0), 6);  // auth, register, 3+ calls
  EXPECT_GT(t.Get("parley_relay_bytes_in_total").value_or(0), static_cast<double>(data_bytes));
  EXPECT_GT(t.Get("parley_relay_bytes_out_total").value_or(0), static_cast<double>(data_bytes));
  EXPECT_EQ(t.Get("parley_relay_vaults"), 1);
  EXPECT_EQ(t.Get("parley_relay_stored_changes"), 3);
  EXPECT_EQ(t.Get("parley_relay_stored_bytes"), static_cast<double>(data_bytes));
  EXPECT_GT(t.Get("parley_relay_storage_bytes").value_or(0), static_cast<double>(data_bytes));
  EXPECT_TRUE(t.Get("process_start_time_seconds").has_value());

  auto [status, body] = Get("/healthz");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "ok\n");
  EXPECT_EQ(Get("/metrics.json").first, 404);
}

TEST_F(RelayMetricsProcess, AStoppedRelayServesNothingAndItsFileSaysItStopped) {
  ASSERT_EQ(Push(*admin_client_, {chain_.Next()}).body_case(), pb::Frame::kPushAck);
  const std::string file = dir_.Sub("relay") + "/metrics";
  const pid_t pid = relay_->pid();
  admin_client_.reset();
  ASSERT_TRUE(relay_->Stop().ok());
  EXPECT_EQ(Get("/metrics").first, 0) << "the endpoint outlived the relay";
  const std::string text = ReadFile(file);
  EXPECT_NE(text.find("relay_up 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pid " + std::to_string(pid) + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nchanges_accepted 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace parley::testing
