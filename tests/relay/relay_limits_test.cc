// Abuse limits of an in-process relay on loopback TCP (RelayServer, real SQLite storage):
// silent connection floods (per address, in total, against the connection table), the
// connection rate per address, vault admission, vault quotas over the wire and the bound on
// outbound bytes. Source addresses are distinct loopback addresses (127.0.0.0/8).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "parley/relay/relay_server.h"
#include "parley/sync/change_parts.h"
#include "support/socket_stream.h"
#include "support/temp_dir.h"
#include "test_changes.h"
#include "test_client.h"

namespace parley::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Raises this process's descriptor limit (the test's connections and the in-process relay's
// share it) to the hard limit; the answer is the limit now in force.
rlim_t RaiseDescriptorLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  lim.rlim_cur = lim.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &lim);
  (void)::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

// A TCP connection from `source` (a loopback address) to 127.0.0.1:`port`; -1 on failure.
int ConnectFrom(const std::string& source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class RelayLimits : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }
  void TearDown() override {
    clients_.clear();
    if (server_) {
      server_->RequestStop();
      server_->Wait();
    }
    for (int fd : silent_) ::close(fd);
  }

  void MakeRelay(relay::RelayOptions options) {
    key_ = crypto::NewDhKeyPair();
    auto writer = relay::OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    auto reader = relay::OpenSqliteRelayStorage(dir_.Sub("relay.db"));
    ASSERT_TRUE(writer.ok() && reader.ok());
    options.listen_host = "127.0.0.1";
    options.listen_port = 0;
    options.io_threads = 2;
    options.metrics_path = dir_.Sub("metrics");
    options.metrics_interval_ms = 20;
    server_ = std::make_unique<relay::RelayServer>(
        options, crypto::DhKeyPairFromSecret(key_.secret_key.view()), std::move(writer).value(),
        std::move(reader).value());
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::map<std::string, std::uint64_t> Metrics() {
    std::map<std::string, std::uint64_t> out;
    std::ifstream in(dir_.Sub("metrics"));
    // "name value" lines; a few values are not whole numbers (written_at, started_at).
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string name;
      double value = 0;
      if (fields >> name >> value) out[name] = static_cast<std::uint64_t>(value);
    }
    return out;
  }
  // Waits (up to 30 s) until the metrics file satisfies `done`; the last figures read.
  template <typename Pred>
  std::map<std::string, std::uint64_t> WaitForMetrics(Pred done) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto m = Metrics();
      if (done(m) || Clock::now() > deadline) return m;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the file's own interval
    }
  }

  // `count` connections from each of `sources`, nothing sent on them.
  void Flood(const std::vector<std::string>& sources, int count) {
    for (const std::string& src : sources) {
      for (int i = 0; i < count; ++i) {
        const int fd = ConnectFrom(src, server_->port());
        ASSERT_GE(fd, 0) << "connect from " << src << ": " << std::strerror(errno);
        silent_.push_back(fd);
      }
    }
  }

  std::unique_ptr<TestClient> ClientFrom(const std::string& source, const Device& d) {
    const int fd = ConnectFrom(source, server_->port());
    EXPECT_GE(fd, 0);
    if (fd < 0) return nullptr;
    auto c = TestClient::Over(std::make_unique<SocketStream>(fd), key_.public_key, d);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  pb::Frame Call(TestClient& c, pb::Frame f) {
    auto r = c.Call(std::move(f));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : pb::Frame();
  }
  // Registers a new vault of `d` (the frame is kept in registration_).
  pb::Frame Register(TestClient& c, const Device& d, crypto::Bytes* vault) {
    registration_ = pb::Frame();
    *registration_.mutable_register_vault() = wire::MakeRegisterVault(d.identity);
    const std::string& id = registration_.register_vault().vault();
    vault->assign(id.begin(), id.end());
    return Call(c, registration_);
  }
  pb::Frame Push(TestClient& c, const crypto::Bytes& vault, std::vector<pb::Change> changes) {
    pb::Frame f;
    f.mutable_push()->set_vault(vault.data(), vault.size());
    for (auto& ch : changes) *f.mutable_push()->add_changes() = std::move(ch);
    return Call(c, f);
  }
  pb::Frame PullFrame(const crypto::Bytes& vault, std::uint64_t after) {
    pb::Frame f;
    f.mutable_pull()->set_vault(vault.data(), vault.size());
    f.mutable_pull()->set_after_seq(after);
    return f;
  }

  // A device's whole sync: register a vault, push three changes, pull them back.
  void SyncAsADevice(const std::string& source) {
    Device d;
    auto c = ClientFrom(source, d);
    ASSERT_NE(c, nullptr);
    crypto::Bytes vault;
    ASSERT_EQ(Register(*c, d, &vault).body_case(), pb::Frame::kDone);
    Chain chain(&d.identity, vault);
    pb::Frame ack = Push(*c, vault, {chain.Next(), chain.Next(), chain.Next()});
    ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck);
    for (const auto& a : ack.push_ack().acks()) EXPECT_EQ(a.refusal(), pb::REFUSAL_NONE);
    pb::Frame batch = Call(*c, PullFrame(vault, 0));
    ASSERT_EQ(batch.body_case(), pb::Frame::kPullBatch);
    EXPECT_EQ(batch.pull_batch().changes_size(), 3);
  }

  TempDir dir_;
  crypto::DhKeyPair key_;
  std::unique_ptr<relay::RelayServer> server_;
  std::vector<int> silent_;
  std::vector<std::unique_ptr<TestClient>> clients_;
  pb::Frame registration_;
};

TEST_F(RelayLimits, TwoThousandSilentConnectionsFromOneAddressDoNotStopADevice) {
  ASSERT_GE(RaiseDescriptorLimit(), 2'500u);
  MakeRelay({});
  Flood({"127.0.0.1"}, 2000);
  // Every one was taken or refused: 16 wait in the handshake, the rest were closed.
  auto m = WaitForMetrics(
      [](auto& fig) { return fig["connections_total"] + fig["connections_refused"] >= 2000; });
  EXPECT_EQ(m["connections_total"] + m["connections_refused"], 2000u);
  EXPECT_GE(m["connections_refused_per_address"], 1900u);
  EXPECT_EQ(m["connections_refused"], m["connections_refused_per_address"] +
                                          m["connections_refused_address_rate"] +
                                          m["connections_refused_connection_limit"]);
  // A device from another address syncs as usual, in normal time.
  const auto start = Clock::now();
  SyncAsADevice("127.0.0.2");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST_F(RelayLimits, ASilentFloodFromManyAddressesGivesUpTheOldestConnections) {
  ASSERT_GE(RaiseDescriptorLimit(), 2'500u);
  MakeRelay({});
  std::vector<std::string> sources;
  for (int i = 1; i <= 200; ++i) sources.push_back("127.0.1." + std::to_string(i));
  Flood(sources, 10);  // 2000, under every per-address limit
  auto m = WaitForMetrics([](auto& fig) { return fig["connections_total"] >= 2000; });
  EXPECT_EQ(m["connections_total"], 2000u);
  // At most 256 wait in the handshake; the others were given up, oldest first.
  EXPECT_GE(m["connections_evicted_unauthenticated"], 2000u - 256u);
  // The first connections of the flood are closed by the relay.
  SocketStream first(silent_.front(), std::chrono::seconds(10));
  silent_.erase(silent_.begin());
  EXPECT_TRUE(first.WaitClosed());
  const auto start = Clock::now();
  SyncAsADevice("127.0.0.1");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST_F(RelayLimits, ADeviceGetsInWhenUnauthenticatedConnectionsFillTheTable) {
  relay::RelayOptions o;
  o.max_connections = 32;
  MakeRelay(o);
  Device early;
  auto first = ClientFrom("127.0.0.1", early);
  ASSERT_NE(first, nullptr);
  std::vector<std::string> sources;
  for (int i = 1; i <= 100; ++i) sources.push_back("127.0.2." + std::to_string(i));
  Flood(sources, 1);
  auto m = WaitForMetrics([](auto& fig) { return fig["connections_total"] >= 101; });
  EXPECT_EQ(m["connections_refused_connection_limit"], 0u);
  EXPECT_GE(m["connections_evicted_unauthenticated"], 100u - 31u);
  SyncAsADevice("127.0.0.3");
  // The device that was there first still is.
  pb::Frame ping;
  ping.mutable_ping()->set_nonce(5);
  EXPECT_EQ(Call(*first, ping).body_case(), pb::Frame::kPong);
}

TEST_F(RelayLimits, NewConnectionsPerAddressAreRateLimited) {
  relay::RelayOptions o;
  o.address_rate_per_s = 0.001;
  o.address_rate_burst = 3;
  MakeRelay(o);
  Device d;
  for (int i = 0; i < 3; ++i) {
    auto c = ClientFrom("127.0.0.4", d);
    ASSERT_NE(c, nullptr);
    clients_.push_back(std::move(c));
  }
  SocketStream fourth(ConnectFrom("127.0.0.4", server_->port()), std::chrono::seconds(10));
  EXPECT_TRUE(fourth.WaitClosed());
  auto m = WaitForMetrics([](auto& fig) { return fig["connections_refused_address_rate"] >= 1; });
  EXPECT_EQ(m["connections_refused_address_rate"], 1u);
  SyncAsADevice("127.0.0.5");  // another address is not affected
}

TEST_F(RelayLimits, UnderAnAllowlistOnlyAdmittedVaultsAreRegistered) {
  relay::RelayOptions o;
  o.admission = relay::Admission::kAllowlist;
  MakeRelay(o);
  Device d;
  auto c = ClientFrom("127.0.0.1", d);
  ASSERT_NE(c, nullptr);
  crypto::Bytes vault;
  pb::Frame refused = Register(*c, d, &vault);
  ASSERT_EQ(refused.body_case(), pb::Frame::kError);
  EXPECT_EQ(refused.error().code(), pb::ERROR_NOT_ADMITTED);
  const std::string hex = crypto::ToHex(vault);
  EXPECT_NE(refused.error().message().find(hex), std::string::npos) << refused.error().message();
  EXPECT_NE(refused.error().message().find("parley-relay vault allow " + hex), std::string::npos);
  // Nothing was registered: a push is answered "unknown vault".
  Chain chain(&d.identity, vault);
  const pb::Change first = chain.Next();
  EXPECT_EQ(Push(*c, vault, {first}).error().code(), pb::ERROR_UNKNOWN_VAULT);
  // The operator admits it (another storage object over the same file, as the command
  // does); the same registration is then taken.
  auto op = relay::OpenSqliteRelayStorage(dir_.Sub("relay.db"));
  ASSERT_TRUE(op.ok());
  ASSERT_TRUE((*op)->AllowVault(vault, 0).ok());
  EXPECT_EQ(Call(*c, registration_).body_case(), pb::Frame::kDone);
  pb::Frame ack = Push(*c, vault, {first});
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_NONE);
  auto m = WaitForMetrics([](auto& fig) { return fig["vaults_not_admitted"] >= 1; });
  EXPECT_EQ(m["vaults_not_admitted"], 1u);
}

TEST_F(RelayLimits, AVaultOverItsQuotaIsRefusedPerChangeAndPurgingMakesRoom) {
  relay::RelayOptions o;
  o.vault_quota_bytes = 2000;
  MakeRelay(o);
  Device d;
  auto c = ClientFrom("127.0.0.1", d);
  ASSERT_NE(c, nullptr);
  crypto::Bytes vault;
  ASSERT_EQ(Register(*c, d, &vault).body_case(), pb::Frame::kDone);
  Chain chain(&d.identity, vault);
  std::vector<pb::Change> changes;
  std::vector<crypto::Bytes> ids;
  for (int i = 0; i < 5; ++i) {
    crypto::Bytes id;
    changes.push_back(chain.Next(600, &id));
    ids.push_back(id);
  }
  const std::vector<pb::Change> sent = changes;
  pb::Frame ack = Push(*c, vault, changes);
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck);
  ASSERT_EQ(ack.push_ack().acks_size(), 5);
  int stored = 0;
  while (stored < 5 && ack.push_ack().acks(stored).refusal() == pb::REFUSAL_NONE) ++stored;
  ASSERT_GE(stored, 1);
  ASSERT_LT(stored, 5);
  const pb::ChangeAck& over = ack.push_ack().acks(stored);
  EXPECT_EQ(over.refusal(), pb::REFUSAL_QUOTA_EXCEEDED);
  std::smatch match;
  const std::string reason = over.reason();
  ASSERT_TRUE(std::regex_match(
      reason, match, std::regex("the vault holds ([0-9]+) of its 2000 bytes on this relay")))
      << reason;
  const std::uint64_t held = std::stoull(match[1].str());
  EXPECT_LE(held, 2000u);
  EXPECT_GT(held + sent[stored].ByteSizeLong(), 2000u);
  // Later changes of the same chain cannot extend a change that was not stored.
  for (int i = stored + 1; i < 5; ++i)
    EXPECT_EQ(ack.push_ack().acks(i).refusal(), pb::REFUSAL_BROKEN_CHAIN);
  // The admin purges the first change: its bytes no longer count, and the refused change
  // (pushed again, unchanged) is stored.
  pb::Frame purge;
  purge.mutable_purge()->set_vault(vault.data(), vault.size());
  purge.mutable_purge()->add_change_ids(ids[0].data(), ids[0].size());
  ASSERT_EQ(Call(*c, purge).body_case(), pb::Frame::kDone);
  pb::Frame retry = Push(*c, vault, {sent[stored]});
  ASSERT_EQ(retry.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(retry.push_ack().acks(0).refusal(), pb::REFUSAL_NONE)
      << retry.push_ack().acks(0).reason();
  auto m = WaitForMetrics([](auto& fig) { return fig["changes_over_quota"] >= 1; });
  EXPECT_EQ(m["changes_over_quota"], 1u);
}

TEST_F(RelayLimits, AChangeInPartsWithoutRoomIsRefusedAtItsFirstPart) {
  relay::RelayOptions o;
  o.vault_quota_bytes = 100'000;
  MakeRelay(o);
  Device d;
  auto c = ClientFrom("127.0.0.1", d);
  ASSERT_NE(c, nullptr);
  crypto::Bytes vault;
  ASSERT_EQ(Register(*c, d, &vault).body_case(), pb::Frame::kDone);
  Chain chain(&d.identity, vault);
  const pb::Change big = chain.Next(150'000);
  std::vector<pb::ChangePart> parts =
      wire::SplitChange(big.SerializeAsString(), ChangeIdOf(big), wire::kChangePartData);
  ASSERT_GE(parts.size(), 2u);
  pb::Frame f;
  f.mutable_push()->set_vault(vault.data(), vault.size());
  *f.mutable_push()->mutable_part() = parts[0];
  pb::Frame answer = Call(*c, f);
  ASSERT_EQ(answer.body_case(), pb::Frame::kError);
  EXPECT_EQ(answer.error().code(), pb::ERROR_QUOTA_EXCEEDED);
  EXPECT_EQ(answer.error().message(), "the vault holds 0 of its 100000 bytes on this relay");
  // The connection carries on.
  pb::Frame ack = Push(*c, vault, {chain.Next(10)});
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_BROKEN_CHAIN);  // seq 2, no seq 1
}

TEST_F(RelayLimits, ASlowReaderIsHeldBackByTheOutboundBoundNotCut) {
  relay::RelayOptions o;
  o.max_outbound_bytes = 32 * 1024;
  o.max_queue_frames = 65536;  // the per-connection queue cap stays out of the way
  MakeRelay(o);
  Device d;
  auto c = ClientFrom("127.0.0.1", d);
  ASSERT_NE(c, nullptr);
  crypto::Bytes vault;
  ASSERT_EQ(Register(*c, d, &vault).body_case(), pb::Frame::kDone);
  Chain chain(&d.identity, vault);
  std::vector<pb::Change> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(chain.Next(3000));
  ASSERT_EQ(Push(*c, vault, batch).body_case(), pb::Frame::kPushAck);
  // Ask again and again without reading: the answers fill the socket buffers, then the
  // relay's queue up to the bound; then the relay stops reading this connection's frames.
  int sent = 0;
  for (; sent < 5000; ++sent) {
    pb::Frame pull = PullFrame(vault, 0);
    pull.set_id(1000 + sent);
    ASSERT_TRUE(c->Send(pull).ok());
    if (sent % 20 == 19 && Metrics()["outbound_waits"] > 0) break;
  }
  auto m = WaitForMetrics([](auto& fig) { return fig["outbound_waits"] > 0; });
  ASSERT_GT(m["outbound_waits"], 0u);
  // Reading again, every request is answered in full and the connection is not cut.
  for (int i = 0; i <= std::min(sent, 4999); ++i) {
    auto answer = c->Receive();
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.status().ToString();
    ASSERT_EQ(answer->body_case(), pb::Frame::kPullBatch) << i;
    EXPECT_EQ(answer->id(), 1000u + i);
  }
  pb::Frame ping;
  ping.mutable_ping()->set_nonce(9);
  EXPECT_EQ(Call(*c, ping).body_case(), pb::Frame::kPong);
  EXPECT_EQ(Metrics()["slow_clients_dropped"], 0u);
}

}  // namespace
}  // namespace parley::testing
