// Real processes over real sockets: a `parley-relay serve` process and three devices driven
// through the `parley` binary (separate data dirs). The devices are enrolled through the
// relay, edit offline while the relay is down (one field concurrently), and converge once it
// is back: the same records and the same conflict on every device.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "parley/sync/relay_pairing.h"
#include "support/relay_process.h"
#include "support/tcp_proxy.h"
#include "support/temp_dir.h"

namespace parley::testing {
namespace {

std::string Parley() { return std::string(PARLEY_BINARY_DIR) + "/apps/parley/parley"; }

struct CliRun {
  int code = -1;
  std::string out;
};

// Runs `parley --data DIR --keystore DIR ARGS` with a test passphrase; captures stdout.
CliRun Cli(const std::string& dir, const std::string& args) {
  const std::string cmd = "PARLEY_PASSPHRASE='process test passphrase' PARLEY_ARGON2=min " +
                          Parley() + " --data '" + dir + "/data' --keystore '" + dir + "/keys' " +
                          args + " 2>&1";
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The value of "key":"..." in a JSON text (enough for the flat outputs used here).
std::string JsonString(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const auto at = json.find(needle);
  if (at == std::string::npos) return "";
  return json.substr(at + needle.size(), json.find('"', at + needle.size()) - at - needle.size());
}

TEST(RealProcesses, ThreeDevicesOfflineEditsConflictAndConverge) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir dir;
  auto relay = std::make_unique<RelayProcess>(dir.Sub("relay"));
  ASSERT_TRUE(relay->Start().ok());
  // Devices pin a fixed front address; behind it the relay may restart on another port.
  TcpProxy front(relay->port());
  const std::string code = wire::EncodeRelayPairingCode(
      {relay->public_key(), "127.0.0.1:" + std::to_string(front.port())});
  const std::string a = dir.Sub("phone1"), b = dir.Sub("phone2"), c = dir.Sub("office");

  ASSERT_EQ(Cli(a, "init --name phone1 --vault team").code, 0);
  ASSERT_EQ(Cli(b, "init --name phone2 --no-vault").code, 0);
  ASSERT_EQ(Cli(c, "init --name office --no-vault").code, 0);
  for (const auto& d : {a, b, c}) ASSERT_EQ(Cli(d, "relay add " + code).code, 0) << d;
  ASSERT_EQ(Cli(a, "sync").code, 0);
  for (const auto& d : {b, c}) {
    const std::string pairing = Trim(Cli(d, "device id").out);
    CliRun inv = Cli(a, "--json vault invite " + pairing);
    ASSERT_EQ(inv.code, 0) << inv.out;
    const std::string vault = JsonString(inv.out, "vault_id");
    ASSERT_EQ(vault.size(), 64u) << inv.out;
    CliRun join = Cli(d, "join --vault " + vault);
    ASSERT_EQ(join.code, 0) << join.out;
  }
  CliRun neg = Cli(a, "--json negotiation add --buyer 'Fresh Foods' --title 'Round 1'");
  ASSERT_EQ(neg.code, 0) << neg.out;
  const std::string id = JsonString(neg.out, "id");
  for (const auto& d : {a, b, c}) ASSERT_EQ(Cli(d, "sync").code, 0) << d;

  // The relay goes down; everyone keeps working.
  relay->Kill();
  CliRun offline = Cli(b, "sync");
  EXPECT_NE(offline.code, 0) << offline.out;
  ASSERT_EQ(Cli(a, "note add " + id + " --text 'phone1 offline note'").code, 0);
  ASSERT_EQ(Cli(b, "note add " + id + " --text 'phone2 offline note'").code, 0);
  ASSERT_EQ(Cli(c, "need add " + id + " --text 'office need'").code, 0);
  ASSERT_EQ(Cli(a, "campaign status " + id + " paused").code, 0);
  ASSERT_EQ(Cli(b, "campaign status " + id + " won").code, 0);
  CliRun waiting = Cli(a, "status --verbose");
  EXPECT_NE(waiting.out.find("NOT acknowledged yet"), std::string::npos) << waiting.out;
  EXPECT_NE(Cli(a, "status").out.find("only on this device"),
            std::string::npos);  // the summary says so too

  // Back, on another port behind the same front address.
  relay = std::make_unique<RelayProcess>(dir.Sub("relay"));
  ASSERT_TRUE(relay->Start().ok());
  front.set_backend(relay->port());
  for (int round = 0; round < 2; ++round) {
    for (const auto& d : {a, b, c}) {
      CliRun s = Cli(d, "sync");
      ASSERT_EQ(s.code, 0) << d << ": " << s.out;
    }
  }
  const std::string show = Cli(a, "--json negotiation show " + id).out;
  for (const auto& d : {b, c}) EXPECT_EQ(Cli(d, "--json negotiation show " + id).out, show) << d;
  for (const auto& d : {a, b, c}) {
    CliRun conflicts = Cli(d, "--json conflicts");
    EXPECT_NE(conflicts.out.find("campaign_status"), std::string::npos)
        << d << ": " << conflicts.out;
    CliRun st = Cli(d, "--json status");
    EXPECT_NE(st.out.find("\"own_unacknowledged\":0"), std::string::npos) << d << ": " << st.out;
  }
  EXPECT_NE(show.find("phone1 offline note"), std::string::npos);
  EXPECT_NE(show.find("phone2 offline note"), std::string::npos);
}

}  // namespace
}  // namespace parley::testing
