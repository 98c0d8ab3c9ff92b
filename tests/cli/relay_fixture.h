// A GoogleTest fixture for CLI tests against a real `parley-relay` process on a free loopback
// port (started in SetUp, killed by RelayProcess's destructor also when a test fails; its log
// is printed on failure), with devices made through the `parley` command and pinned to it.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "parley/core/crypto.h"
#include "parley/sync/relay_pairing.h"
#include "support/relay_process.h"

namespace parley::cli_test {

class CliWithRelay : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    relay_ = std::make_unique<testing::RelayProcess>(root_.Sub("relay"));
    Status s = relay_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    code_ = wire::EncodeRelayPairingCode(
        {relay_->public_key(), "127.0.0.1:" + std::to_string(relay_->port())});
  }
  void TearDown() override {
    if (relay_ && HasFailure()) std::fprintf(stderr, "relay log:\n%s", relay_->Log().c_str());
  }
  // A device with a store (an admin of a new vault named `vault`, or in no vault when
  // empty) and the relay pinned.
  std::unique_ptr<Device> NewDevice(const std::string& name, const std::string& vault) {
    auto d = std::make_unique<Device>(root_.path(), name);
    std::vector<std::string> init = {"init", "--name", name};
    if (vault.empty()) {
      init.push_back("--no-vault");
    } else {
      init.insert(init.end(), {"--vault", vault});
    }
    EXPECT_EQ((*d)(init).exit_code, 0);
    Outcome pinned = (*d)({"relay", "add", code_});
    EXPECT_EQ(pinned.exit_code, 0) << pinned.err;
    return d;
  }
  std::string PairingCode(const Device& d) {
    return d.Json({"device", "id", "--no-qr"})["pairing_code"].AsString();
  }

  testing::TempDir root_;
  std::unique_ptr<testing::RelayProcess> relay_;
  std::string code_;
};

}  // namespace parley::cli_test
