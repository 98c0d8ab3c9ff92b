// A fixture for Device tests in one process: devices over real store files in a temporary
// directory, and relays served in-process over the loopback transport (no port dialled).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "parley/device.h"
#include "parley/platform/posix_env.h"
#include "parley/testing/fake_env.h"
#include "parley/testing/loopback_transport.h"
#include "support/temp_dir.h"
#include "sync_test_util.h"

namespace parley::testing {

inline constexpr std::string_view kDevicePass = "correct horse battery staple";

class DeviceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Initialize().ok());
    env_.SetTransport(&net_);
  }

  // A new device in `dir` (under the test's directory) named `name`; it founds a vault
  // named `vault` unless that is empty.
  std::unique_ptr<Device> Make(const std::string& dir, const std::string& name,
                               const std::string& vault) {
    DeviceOptions o;
    o.env = &env_;
    o.key_store = &keys_;
    o.data_dir = dir_.path() + "/" + dir;
    auto d = Device::Open(o);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    CreateOptions c;
    c.device_name = name;
    c.vault_name = vault;
    c.argon2 = crypto::MinimumArgon2Params();
    Status s = (*d)->Create(c, kDevicePass);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::move(d).value();
  }
  std::unique_ptr<Device> Make(const std::string& name, const std::string& vault) {
    return Make(name, name, vault);
  }

  // An in-process relay reachable at "<name>:1"; `*code` receives its pairing code.
  std::unique_ptr<InProcessRelay> Relay(const std::string& name, std::string* code) {
    auto r = std::make_unique<InProcessRelay>(dir_.path() + "/relay-" + name);
    *code = r->ServeOn(net_, name + ":1");
    return r;
  }

  TempDir dir_;
  MemoryKeyStore keys_;
  LoopbackTransport net_;
  FaultEnv env_{PosixEnv()};
};

}  // namespace parley::testing
