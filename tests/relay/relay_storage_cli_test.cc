// `parley-relay vault allow`, `vault list` and `migrate`, run as an operator
// runs them against a real relay process and its storage.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "relay_fixture.h"

namespace parley::testing {
namespace {

struct Ran {
  int exit_code = -1;
  std::string out;  // standard output and standard error
};

Ran RunRelay(const std::string& args) {
  Ran r;
  std::FILE* p = ::popen((RelayBinary() + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class RelayStorageCli : public RelayFixture {
 protected:
  std::string data() const { return dir_.Sub("relay"); }
};

TEST_F(RelayStorageCli, AnAllowlistRelayTakesTheVaultsTheOperatorAllowsWhileItServes) {
  StartRelay({"--admission", "allowlist"});
  if (HasFatalFailure()) return;
  auto c = Connect(admin_);
  ASSERT_NE(c, nullptr);
  pb::Frame reg;
  *reg.mutable_register_vault() = wire::MakeRegisterVault(admin_.identity);
  const crypto::Bytes vault(reg.register_vault().vault().begin(),
                            reg.register_vault().vault().end());
  pb::Frame refused = Call(*c, reg);
  ASSERT_EQ(refused.body_case(), pb::Frame::kError);
  EXPECT_EQ(refused.error().code(), pb::ERROR_NOT_ADMITTED);
  const std::string hex = crypto::ToHex(vault);
  EXPECT_NE(refused.error().message().find(hex), std::string::npos) << refused.error().message();
  // Allowed while the relay serves, the same registration is taken.
  Ran allow = RunRelay("vault allow --data " + data() + " " + hex + " --quota-bytes 5000000");
  ASSERT_EQ(allow.exit_code, 0) << allow.out;
  pb::Frame taken = Call(*c, reg);
  EXPECT_EQ(taken.body_case(), pb::Frame::kDone) << taken.error().message();
  Ran list = RunRelay("vault list --data " + data() + " --json");
  ASSERT_EQ(list.exit_code, 0) << list.out;
  const nlohmann::json j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j["vaults"].size(), 1u) << list.out;
  EXPECT_EQ(j["vaults"][0]["vault"], hex);
  EXPECT_TRUE(j["vaults"][0]["allowed"].get<bool>());
  EXPECT_TRUE(j["vaults"][0]["registered"].get<bool>());
  EXPECT_EQ(j["vaults"][0]["quota_bytes"].get<std::uint64_t>(), 5000000u);
  // Malformed ids and quotas are refused.
  EXPECT_EQ(RunRelay("vault allow --data " + data() + " " + hex.substr(2)).exit_code, 1);
  EXPECT_EQ(RunRelay("vault allow --data " + data() + " " + hex + " --quota-bytes 5MB").exit_code,
            1);
  EXPECT_EQ(RunRelay("vault --data " + data()).exit_code, 1);
}

TEST_F(RelayStorageCli, MigrateCopiesEverythingAndRefusesWhileServing) {
  StartWithVault();
  if (HasFatalFailure()) return;
  Chain chain(&admin_.identity, vault_);
  ASSERT_EQ(Push(*admin_client_, {chain.Next(), chain.Next(), chain.Next()}).body_case(),
            pb::Frame::kPushAck);
  const std::string target = "sqlite:" + dir_.Sub("relay") + "/moved.db";
  Ran busy = RunRelay("migrate --data " + data() + " --from sqlite --to " + target);
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_NE(busy.out.find("another parley-relay is serving"), std::string::npos) << busy.out;
  admin_client_.reset();
  ASSERT_TRUE(relay_->Stop().ok());
  Ran moved = RunRelay("migrate --data " + data() + " --from sqlite --to " + target);
  ASSERT_EQ(moved.exit_code, 0) << moved.out;
  // Into storage that holds a vault already: refused.
  Ran twice = RunRelay("migrate --data " + data() + " --from sqlite --to " + target);
  EXPECT_EQ(twice.exit_code, 1) << twice.out;
  relay_ = std::make_unique<RelayProcess>(data(), std::vector<std::string>{"--storage", target});
  ASSERT_TRUE(relay_->Start().ok()) << relay_->Log();
  admin_client_ = Connect(admin_);
  ASSERT_NE(admin_client_, nullptr);
  std::vector<pb::StoredChange> served = PullAll(*admin_client_);
  ASSERT_EQ(served.size(), 3u);
  for (std::size_t k = 0; k < served.size(); ++k) EXPECT_EQ(served[k].relay_seq(), k + 1);
}

}  // namespace
}  // namespace parley::testing
