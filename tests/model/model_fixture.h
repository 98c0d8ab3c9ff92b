// A device for model tests: a real encrypted store in a temporary directory (cheapest
// Argon2id cost), its replica and the model, all on a shared fake clock.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "parley/change.pb.h"
#include "parley/core/crypto.h"
#include "parley/core/model.h"
#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/platform/posix_env.h"
#include "parley/testing/fake_env.h"
#include "support/temp_dir.h"

namespace parley::model::testutil {

// 2025-05-01T00:00:00Z
inline constexpr std::int64_t kMay1 = 1'746'057'600'000;
inline constexpr std::int64_t kDayMs = 86'400'000;

class Device {
 public:
  Device(testing::FakeClock& clock, const std::string& name, bool with_vault) : clock_(clock) {
    EXPECT_TRUE(crypto::InitCrypto().ok());
    store::StoreOptions options;
    options.data_dir = dir_.Sub("data");
    options.argon2 = crypto::MinimumArgon2Params();
    options.device_name = name;
    Status created = store::Store::Create(PosixEnv(), key_store_, options, "correct horse");
    EXPECT_TRUE(created.ok()) << created.ToString();
    auto store = store::Store::Open(PosixEnv(), key_store_, options.data_dir, "correct horse");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return;
    store_ = std::move(store).value();
    auto replica = log::Replica::Open(*store_, clock_);
    EXPECT_TRUE(replica.ok()) << replica.status().ToString();
    if (!replica.ok()) return;
    replica_ = std::move(replica).value();
    if (with_vault) {
      Status vault = replica_->CreateVault("team");
      EXPECT_TRUE(vault.ok()) << vault.ToString();
    }
    model_ = std::make_unique<Model>(*replica_, clock_);
  }
  ~Device() {
    model_.reset();
    replica_.reset();
    if (store_) {
      EXPECT_TRUE(store_->Lock().ok());
    }
  }
  bool ready() const { return model_ != nullptr; }
  Model& model() { return *model_; }
  log::Replica& replica() { return *replica_; }
  store::Store& store() { return *store_; }
  // A path inside this device's temporary directory (outside its data directory).
  std::string Path(const std::string& name) { return dir_.Sub(name); }

  // Enrolls `other` (a device created without a vault) into this device's vault.
  void Enroll(Device& other) {
    auto invite = replica_->Invite(other.replica().DevicePairingCode());
    ASSERT_TRUE(invite.ok()) << invite.status().ToString();
    Status accepted = other.replica().AcceptInvite(*invite);
    ASSERT_TRUE(accepted.ok()) << accepted.ToString();
  }

  // Sends every change `to` lacks.
  void SendTo(Device& to) {
    auto known = to.replica().Known();
    ASSERT_TRUE(known.ok()) << known.status().ToString();
    auto changes = replica_->ChangesSince(*known);
    ASSERT_TRUE(changes.ok()) << changes.status().ToString();
    auto report = to.replica().Apply(*changes);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }

 private:
  testing::FakeClock& clock_;
  parley::testing::TempDir dir_;
  testing::MemoryKeyStore key_store_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<log::Replica> replica_;
  std::unique_ptr<Model> model_;
};

}  // namespace parley::model::testutil
