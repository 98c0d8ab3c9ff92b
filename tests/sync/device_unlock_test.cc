// The Device's hardened unlock: the strength floor at Create, ChangePassphrase, the
// failed-unlock wipe set through CreateOptions and SetWipeAfter (kThrottled, kWiped passed
// through), and Watch's lock timeout.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "device_fixture.h"

namespace parley::testing {
namespace {

constexpr std::string_view kPass = kDevicePass;
constexpr std::string_view kWrong = "not the passphrase";

class DeviceUnlockTest : public DeviceFixture {
 protected:
  std::unique_ptr<Device> OpenDevice(const std::string& dir) {
    DeviceOptions o;
    o.env = &env_;
    o.key_store = &keys_;
    o.data_dir = dir_.path() + "/" + dir;
    auto d = Device::Open(o);
    EXPECT_TRUE(d.ok());
    return std::move(d).value();
  }
  static std::vector<std::string> Buyers(Device& d) {
    std::vector<std::string> out;
    auto list = d.model().Negotiations();
    EXPECT_TRUE(list.ok());
    for (const auto& r : *list) out.push_back(r.get("buyer"));
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(DeviceUnlockTest, CreateRefusesAWeakPassphraseWithItsEstimate) {
  auto d = OpenDevice("weak");
  CreateOptions c;
  c.device_name = "ana";
  c.argon2 = crypto::MinimumArgon2Params();
  Status s = d->Create(c, "aaaaaaaaaaaa");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("12 characters"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("bits"), std::string::npos) << s.message();
  EXPECT_FALSE(Device::Exists(env_, d->data_dir()));
  EXPECT_TRUE(d->Create(c, "test passphrase for ana").ok());
}

TEST_F(DeviceUnlockTest, ChangePassphraseKeepsEveryRecord) {
  auto d = Make("ana", "Coalition");
  ASSERT_TRUE(d->model().AddNegotiation({"Acme Apparel", "2027 agreement"}).ok());
  EXPECT_EQ(d->ChangePassphrase(kWrong, "copper kettle winter parade").code(),
            Code::kWrongPassphrase);
  Status weak = d->ChangePassphrase(kPass, "password123");
  EXPECT_EQ(weak.code(), Code::kInvalidArgument);
  EXPECT_NE(weak.message().find("too weak"), std::string::npos) << weak.message();
  ASSERT_TRUE(d->ChangePassphrase(kPass, "copper kettle winter parade").ok());
  ASSERT_TRUE(d->Lock().ok());
  EXPECT_EQ(d->ChangePassphrase(kPass, "copper kettle winter parade").code(), Code::kLocked);
  EXPECT_EQ(d->Unlock(kPass).code(), Code::kWrongPassphrase);
  ASSERT_TRUE(d->Unlock("copper kettle winter parade").ok());
  EXPECT_EQ(Buyers(*d), std::vector<std::string>{"Acme Apparel"});
  auto vault = d->Vault();
  ASSERT_TRUE(vault.ok() && vault->has_value());
  EXPECT_EQ((*vault)->name, "Coalition");
}

TEST_F(DeviceUnlockTest, WipeAfterFromCreateOptionsAndSetWipeAfter) {
  auto d = OpenDevice("ana");
  CreateOptions c;
  c.device_name = "ana";
  c.vault_name = "Coalition";
  c.argon2 = crypto::MinimumArgon2Params();
  c.wipe_after = 4;
  ASSERT_TRUE(d->Create(c, kPass).ok());
  EXPECT_EQ(*d->WipeAfter(), 4u);
  ASSERT_TRUE(d->SetWipeAfter(3).ok());
  ASSERT_TRUE(d->Lock().ok());
  EXPECT_EQ(d->WipeAfter().status().code(), Code::kLocked);
  EXPECT_EQ(d->Unlock(kWrong).code(), Code::kWrongPassphrase);
  EXPECT_EQ(d->Unlock(kWrong).code(), Code::kWrongPassphrase);
  Status wiped = d->Unlock(kWrong);
  EXPECT_EQ(wiped.code(), Code::kWiped) << wiped.ToString();
  EXPECT_NE(wiped.message().find("wiped after 3 failed unlocks"), std::string::npos)
      << wiped.message();
  EXPECT_FALSE(d->unlocked());
  EXPECT_FALSE(Device::Exists(env_, d->data_dir()));
  EXPECT_EQ(d->Unlock(kPass).code(), Code::kNotFound);
}

// Watch with a lock timeout: idle for that long, the device locks itself, zeroes its keys and
// Watch says so with kLocked.
TEST_F(DeviceUnlockTest, WatchLocksTheDeviceAfterTheIdleTimeout) {
  std::string code;
  auto relay = Relay("office", &code);
  auto d = Make("ana", "Coalition");
  ASSERT_TRUE(d->AddRelay(code).ok());
  bool connected = false;
  d->SetEventHandler([&](const DeviceEvent& e) {
    if (e.kind == DeviceEvent::Kind::kConnected) connected = true;
  });
  WatchOptions o;
  o.lock_after_idle_ms = 300;
  const auto start = std::chrono::steady_clock::now();
  Status s = d->Watch(o);
  const auto took = std::chrono::steady_clock::now() - start;
  d->SetEventHandler(nullptr);
  EXPECT_EQ(s.code(), Code::kLocked) << s.ToString();
  EXPECT_NE(s.message().find("locked after 300 ms idle"), std::string::npos) << s.message();
  EXPECT_TRUE(connected) << "it watched before it locked";
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_FALSE(d->unlocked());
  EXPECT_EQ(d->DeviceName().status().code(), Code::kLocked) << "the keys are gone";
  // The user unlocks again and goes on.
  ASSERT_TRUE(d->Unlock(kPass).ok());
  EXPECT_EQ(*d->DeviceName(), "ana");
}

// Local activity (Wake(), as an app calls after an edit) restarts the idle time.
TEST_F(DeviceUnlockTest, WakesKeepAWatchUnlocked) {
  std::string code;
  auto relay = Relay("office", &code);
  auto d = Make("ana", "Coalition");
  ASSERT_TRUE(d->AddRelay(code).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> wakes{0};
  std::thread user([&] {
    // 1.5 s of activity, a wake every 50 ms: longer than the 400 ms timeout many times over.
    for (int i = 0; i < 30 && !stop.load(); ++i) {
      d->Wake();
      wakes.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  WatchOptions o;
  o.lock_after_idle_ms = 400;
  const auto start = std::chrono::steady_clock::now();
  Status s = d->Watch(o);
  const auto took = std::chrono::steady_clock::now() - start;
  stop.store(true);
  user.join();
  EXPECT_EQ(s.code(), Code::kLocked) << s.ToString();
  EXPECT_GE(took, std::chrono::milliseconds(1'400)) << "locked while the user was active";
  EXPECT_FALSE(d->unlocked());
}

}  // namespace
}  // namespace parley::testing
