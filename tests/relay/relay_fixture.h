// A fixture for tests against a real relay process: devices, a registered vault, helpers
// that push and pull through the test client.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "support/relay_process.h"
#include "support/temp_dir.h"
#include "test_changes.h"
#include "test_client.h"

namespace parley::testing {

class RelayFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!relay_) return;
    // In sanitizer builds the relay reports there (and its tests must notice).
    EXPECT_EQ(relay_->Log().find("Sanitizer"), std::string::npos);
    if (HasFailure()) std::fprintf(stderr, "relay log:\n%s", relay_->Log().c_str());
  }
  void StartRelay(std::vector<std::string> args = {}) {
    relay_ = std::make_unique<RelayProcess>(dir_.Sub("relay"), std::move(args));
    Status s = relay_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Starts the relay; admin_client_ is then connected as admin_, with vault_ registered.
  void StartWithVault(std::vector<std::string> args = {}) {
    StartRelay(std::move(args));
    if (HasFatalFailure()) return;
    admin_client_ = Connect(admin_);
    ASSERT_NE(admin_client_, nullptr);
    Register(*admin_client_);
  }
  std::unique_ptr<TestClient> Connect(const Device& d) {
    auto c = TestClient::Connect(relay_->port(), relay_->public_key(), d);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  pb::Frame Call(TestClient& c, pb::Frame f) {
    auto r = c.Call(std::move(f));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : pb::Frame();
  }
  // Registers a new vault created by `admin_`.
  void Register(TestClient& c) {
    pb::Frame f;
    *f.mutable_register_vault() = wire::MakeRegisterVault(admin_.identity);
    vault_.assign(f.register_vault().vault().begin(), f.register_vault().vault().end());
    pb::Frame r = Call(c, f);
    ASSERT_EQ(r.body_case(), pb::Frame::kDone) << r.error().message();
  }
  // Sets the membership list (admin_ as admin plus `members`) at `version`, signed by admin_.
  pb::Frame SetMembers(TestClient& c, std::vector<const Device*> members, std::uint64_t version,
                       const Device* signer = nullptr) {
    pb::MembershipList list;
    list.set_vault(vault_.data(), vault_.size());
    list.set_version(version);
    auto* a = list.add_members();
    a->set_identity(admin_.identity.public_key.data(), 32);
    a->set_role("admin");
    for (const Device* d : members) {
      auto* m = list.add_members();
      m->set_identity(d->identity.public_key.data(), 32);
      m->set_role("member");
    }
    pb::Frame f;
    *f.mutable_set_membership() =
        wire::MakeSetMembership(list, (signer ? signer : &admin_)->identity);
    return Call(c, f);
  }
  pb::Frame Push(TestClient& c, std::vector<pb::Change> changes,
                 const crypto::Bytes* vault = nullptr) {
    pb::Frame f;
    const crypto::Bytes& v = vault ? *vault : vault_;
    f.mutable_push()->set_vault(v.data(), v.size());
    for (auto& ch : changes) *f.mutable_push()->add_changes() = std::move(ch);
    return Call(c, f);
  }
  pb::Frame Pull(TestClient& c, std::uint64_t after, std::uint32_t max_bytes = 0) {
    pb::Frame f;
    f.mutable_pull()->set_vault(vault_.data(), vault_.size());
    f.mutable_pull()->set_after_seq(after);
    f.mutable_pull()->set_max_bytes(max_bytes);
    return Call(c, f);
  }
  // Every change the relay serves for the vault, from the start.
  std::vector<pb::StoredChange> PullAll(TestClient& c) {
    std::vector<pb::StoredChange> out;
    std::uint64_t after = 0;
    for (;;) {
      pb::Frame r = Pull(c, after);
      EXPECT_EQ(r.body_case(), pb::Frame::kPullBatch) << r.error().message();
      if (r.body_case() != pb::Frame::kPullBatch) return out;
      for (const auto& sc : r.pull_batch().changes()) {
        out.push_back(sc);
        after = sc.relay_seq();
      }
      if (!r.pull_batch().more()) return out;
    }
  }
  pb::Frame Ping(TestClient& c, std::uint64_t nonce) {
    pb::Frame f;
    f.mutable_ping()->set_nonce(nonce);
    return Call(c, f);
  }

  TempDir dir_;
  std::unique_ptr<RelayProcess> relay_;
  Device admin_, member_, outsider_;
  crypto::Bytes vault_;
  std::unique_ptr<TestClient> admin_client_;  // set by StartWithVault
};

}  // namespace parley::testing
