// The Device API in one process: devices over real store files, relays served over the
// loopback transport (socketpairs adopted by in-process relays; no port is dialled).
// Enrolment through relays, sync with several relays, status, events, relay pinning,
// bundles and the lifecycle.
#include "parley/device.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "device_fixture.h"
#include "parley/platform/posix_env.h"
#include "parley/testing/fake_env.h"
#include "parley/testing/loopback_transport.h"
#include "support/temp_dir.h"
#include "sync_test_util.h"

namespace parley {
namespace {

using testing::InProcessRelay;
using testing::LoopbackTransport;

constexpr std::string_view kPass = testing::kDevicePass;

class DeviceTest : public testing::DeviceFixture {
 protected:
  static model::RecordId AddNegotiation(Device& d, const std::string& buyer) {
    auto id = d.model().AddNegotiation({buyer, "2027 agreement"});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }

  static std::vector<std::string> Buyers(Device& d) {
    std::vector<std::string> out;
    auto list = d.model().Negotiations();
    EXPECT_TRUE(list.ok());
    for (const auto& r : *list) out.push_back(r.get("buyer"));
    std::sort(out.begin(), out.end());
    return out;
  }

  // `admin` invites `joiner` from its pairing code; every pinned relay took the invite.
  static InviteResult MustInvite(Device& admin, Device& joiner) {
    auto code = joiner.PairingCode();
    EXPECT_TRUE(code.ok());
    auto invite = admin.Invite(code.ok() ? *code : "");
    EXPECT_TRUE(invite.ok()) << invite.status().ToString();
    if (!invite.ok()) return {};
    for (const auto& r : invite->relays)
      EXPECT_TRUE(r.status.ok()) << r.relay << ": " << r.status.ToString();
    return *invite;
  }

  // `joiner` joins `admin`'s vault through the relays both have pinned.
  static void Enrol(Device& admin, Device& joiner) {
    MustInvite(admin, joiner);
    auto joined = joiner.JoinThroughRelays();
    ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  }
};

TEST_F(DeviceTest, EnrolsThroughARelayAndSyncs) {
  std::string code;
  auto relay = Relay("office", &code);
  auto admin = Make("ana", "Coalition");
  auto phone = Make("ben", "");
  ASSERT_TRUE(admin->AddRelay(code).ok());
  ASSERT_TRUE(phone->AddRelay(code).ok());
  AddNegotiation(*admin, "Acme Apparel");

  const InviteResult invite = MustInvite(*admin, *phone);
  ASSERT_EQ(invite.relays.size(), 1u);
  auto admin_vault = admin->Vault();
  ASSERT_TRUE(admin_vault.ok() && admin_vault->has_value());
  EXPECT_EQ(invite.vault_id, (*admin_vault)->id);

  std::vector<DeviceEvent::Kind> events;
  std::uint64_t arrived = 0;
  phone->SetEventHandler([&](const DeviceEvent& e) {
    events.push_back(e.kind);
    if (e.kind == DeviceEvent::Kind::kChangesArrived) arrived += e.count;
  });
  auto joined = phone->JoinThroughRelays();
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->vault.name, "Coalition");
  EXPECT_EQ(joined->vault.id, (*admin_vault)->id);
  EXPECT_EQ(joined->safety_code, invite.safety_code);
  EXPECT_FALSE(invite.safety_code.empty());
  ASSERT_EQ(joined->synced.size(), 1u);
  EXPECT_TRUE(joined->synced[0].status.ok()) << joined->synced[0].status.ToString();
  EXPECT_GT(joined->synced[0].pulled, 0u);
  EXPECT_EQ(arrived, joined->synced[0].pulled);
  EXPECT_EQ(Buyers(*phone), std::vector<std::string>{"Acme Apparel"});

  // And back: the phone writes, the admin pulls it.
  AddNegotiation(*phone, "Blue Harvest");
  auto up = phone->Sync();
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->relays[0].pushed, 1u);
  auto down = admin->Sync();
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->relays[0].pulled, 1u);
  EXPECT_EQ(Buyers(*admin), (std::vector<std::string>{"Acme Apparel", "Blue Harvest"}));

  // A second join is refused plainly.
  auto again = phone->JoinThroughRelays();
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
}

TEST_F(DeviceTest, JoinWithoutAnInviteSaysSo) {
  std::string code;
  auto relay = Relay("office", &code);
  auto phone = Make("ben", "");
  auto none = phone->JoinThroughRelays();
  EXPECT_EQ(none.status().code(), Code::kInvalidArgument) << "no relay pinned yet";
  ASSERT_TRUE(phone->AddRelay(code).ok());
  none = phone->JoinThroughRelays();
  EXPECT_EQ(none.status().code(), Code::kNotFound) << none.status().ToString();
}

TEST_F(DeviceTest, SeveralRelaysCarryChangesBetweenEachOther) {
  std::string code_a, code_b;
  auto relay_a = Relay("a", &code_a);
  auto relay_b = Relay("b", &code_b);
  auto admin = Make("ana", "Coalition");
  auto north = Make("north", "");  // pins only relay a
  auto south = Make("south", "");  // pins only relay b
  ASSERT_TRUE(admin->AddRelay(code_a).ok());
  ASSERT_TRUE(admin->AddRelay(code_b).ok());
  ASSERT_TRUE(north->AddRelay(code_a).ok());
  ASSERT_TRUE(south->AddRelay(code_b).ok());
  Enrol(*admin, *north);
  Enrol(*admin, *south);

  AddNegotiation(*north, "North Co");
  ASSERT_TRUE(north->Sync().ok());
  // The admin's two rounds pull it from relay a and push it to relay b.
  auto both = admin->Sync();
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->relays.size(), 2u);
  EXPECT_TRUE(both->any_ok());
  for (const auto& r : both->relays)
    EXPECT_TRUE(r.status.ok()) << r.relay << ": " << r.status.ToString();
  ASSERT_TRUE(south->Sync().ok());
  EXPECT_EQ(Buyers(*south), std::vector<std::string>{"North Co"});

  // One relay unreachable: the other still syncs, and the result says which failed.
  net_.Unlisten("b:1");
  AddNegotiation(*admin, "Admin Co");
  auto half = admin->Sync();
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  ASSERT_EQ(half->relays.size(), 2u);
  EXPECT_TRUE(half->any_ok());
  std::size_t failed = 0;
  for (const auto& r : half->relays) {
    if (!r.status.ok()) {
      ++failed;
      EXPECT_EQ(r.relay, "b:1");
      EXPECT_EQ(r.status.code(), Code::kUnavailable) << r.status.ToString();
    }
  }
  EXPECT_EQ(failed, 1u);
}

TEST_F(DeviceTest, StatusSaysWhatIsSafelyOffTheDevice) {
  std::string code_a, code_b;
  auto relay_a = Relay("a", &code_a);
  auto relay_b = Relay("b", &code_b);
  auto admin = Make("ana", "Coalition");
  ASSERT_TRUE(admin->AddRelay(code_a).ok());
  ASSERT_TRUE(admin->AddRelay(code_b).ok());
  for (int i = 0; i < 3; ++i) AddNegotiation(*admin, "Buyer " + std::to_string(i));

  auto before = admin->SyncStatus();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_TRUE(before->vault.has_value());
  // The vault's genesis, its recovery member's enrolment and three negotiations.
  EXPECT_EQ(before->own_changes, 5u);
  EXPECT_EQ(before->own_acknowledged, 0u);
  ASSERT_EQ(before->relays.size(), 2u);
  for (const auto& r : before->relays) EXPECT_EQ(r.waiting, 5u);

  // Only relay a is reachable: its acknowledgements count, relay b still waits.
  net_.Unlisten("b:1");
  ASSERT_TRUE(admin->Sync().ok());
  auto after = admin->SyncStatus();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->own_acknowledged, 5u);
  EXPECT_EQ(after->own_unacknowledged(), 0u);
  for (const auto& r : after->relays)
    EXPECT_EQ(r.waiting, r.relay.label == "a:1" ? 0u : 5u) << r.relay.label;
  for (const auto& c : after->own) {
    ASSERT_EQ(c.acks.size(), 1u);
    EXPECT_EQ(c.acks[0].first, "a:1");
    EXPECT_GT(c.acks[0].second, 0u);
  }
  EXPECT_TRUE(after->gaps.empty());
}

TEST_F(DeviceTest, PinsListsAndRemovesRelays) {
  std::string code_a, code_b;
  auto relay_a = Relay("a", &code_a);
  auto relay_b = Relay("b", &code_b);
  auto admin = Make("ana", "Coalition");
  auto added = admin->AddRelay(code_a);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(admin->AddRelay(code_a).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(admin->AddRelay("parley-relay:garbage").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(admin->AddRelay(code_b).ok());
  ASSERT_TRUE(admin->Sync().ok());

  EXPECT_EQ(admin->RemoveRelay("nowhere:9").status().code(), Code::kNotFound);
  EXPECT_EQ(admin->RemoveRelay("ab").status().code(), Code::kNotFound)
      << "a prefix needs 4 characters";
  auto removed = admin->RemoveRelay(added->public_key.substr(0, 8));
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->address, "a:1");
  auto left = admin->Relays();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].address, "b:1");
  // Pinned again, relay a starts from nothing: every change waits for it again.
  ASSERT_TRUE(admin->AddRelay(code_a).ok());
  auto status = admin->SyncStatus();
  ASSERT_TRUE(status.ok());
  for (const auto& r : status->relays) {
    EXPECT_EQ(r.waiting, r.relay.address == "a:1" ? status->own_changes : 0u) << r.relay.address;
  }
}

TEST_F(DeviceTest, WatchDeliversEventsUntilCancelled) {
  std::string code;
  auto relay = Relay("office", &code);
  auto admin = Make("ana", "Coalition");
  auto phone = Make("ben", "");
  ASSERT_TRUE(admin->AddRelay(code).ok());
  ASSERT_TRUE(phone->AddRelay(code).ok());
  Enrol(*admin, *phone);

  std::mutex mu;
  std::condition_variable cv;
  bool connected = false;
  std::uint64_t arrived = 0;
  phone->SetEventHandler([&](const DeviceEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (e.kind == DeviceEvent::Kind::kConnected) connected = true;
    if (e.kind == DeviceEvent::Kind::kChangesArrived) arrived += e.count;
    cv.notify_all();
  });
  Status watched;
  std::thread watcher([&] { watched = phone->Watch(); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return connected; }));
  }
  AddNegotiation(*admin, "Acme Apparel");
  ASSERT_TRUE(admin->Sync().ok());
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return arrived >= 1; }));
  }
  phone->CancelSync();
  watcher.join();
  EXPECT_TRUE(watched.ok()) << watched.ToString();
  phone->SetEventHandler(nullptr);
  EXPECT_EQ(Buyers(*phone), std::vector<std::string>{"Acme Apparel"});
}

// Wake() may come from any thread at any time, also while the owner thread is still
// opening the sync client of a freshly unlocked device.
TEST_F(DeviceTest, WakeFromAnotherThreadWhileWatchStarts) {
  std::string code;
  auto relay = Relay("office", &code);
  auto phone = Make("ben", "Coalition");
  ASSERT_TRUE(phone->AddRelay(code).ok());
  ASSERT_TRUE(phone->Lock().ok());
  ASSERT_TRUE(phone->Unlock(kPass).ok());

  std::mutex mu;
  std::condition_variable cv;
  bool connected = false;
  phone->SetEventHandler([&](const DeviceEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (e.kind == DeviceEvent::Kind::kConnected) connected = true;
    cv.notify_all();
  });
  std::atomic<bool> stop{false};
  std::thread waker([&] {
    while (!stop.load()) {
      phone->Wake();
      std::this_thread::yield();
    }
  });
  Status watched;
  std::thread watcher([&] { watched = phone->Watch(); });
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return connected; }));
  }
  phone->CancelSync();
  watcher.join();
  stop.store(true);
  waker.join();
  EXPECT_TRUE(watched.ok()) << watched.ToString();
  phone->SetEventHandler(nullptr);
}

TEST_F(DeviceTest, BundlesCarryOnlyWhatTheOtherLacks) {
  auto admin = Make("ana", "Coalition");
  auto phone = Make("ben", "");
  const InviteResult invite = MustInvite(*admin, *phone);
  EXPECT_TRUE(invite.relays.empty());
  auto joined = phone->JoinWithInvite(invite.invite);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->vault.name, "Coalition");
  EXPECT_EQ(joined->safety_code, invite.safety_code);
  EXPECT_EQ(phone->JoinWithInvite(invite.invite).status().code(), Code::kAlreadyExists);

  AddNegotiation(*admin, "Acme Apparel");
  const std::string file = dir_.path() + "/to-phone.parley";
  auto all = admin->ExportBundle(file);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::uint64_t arrived = 0;
  phone->SetEventHandler([&](const DeviceEvent& e) {
    if (e.kind == DeviceEvent::Kind::kChangesArrived) arrived += e.count;
  });
  auto imported = phone->ImportBundle(file);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->report.applied, arrived);
  EXPECT_EQ(Buyers(*phone), std::vector<std::string>{"Acme Apparel"});

  // The phone's state code: the admin's next bundle holds only the one new change.
  auto state = phone->BundleState();
  ASSERT_TRUE(state.ok());
  AddNegotiation(*admin, "Blue Harvest");
  auto since = admin->ExportBundle(file, *state);
  ASSERT_TRUE(since.ok()) << since.status().ToString();
  EXPECT_EQ(since->changes, 1u);
  EXPECT_EQ(admin->ExportBundle(file, "parley-state:nonsense").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(phone->ImportBundle(dir_.path() + "/absent.parley").status().code(), Code::kNotFound);
}

TEST_F(DeviceTest, LockedDevicesRefuseAndWipeLeavesNothing) {
  auto admin = Make("ana", "Coalition");
  AddNegotiation(*admin, "Acme Apparel");
  ASSERT_TRUE(admin->Lock().ok());
  EXPECT_FALSE(admin->unlocked());
  EXPECT_EQ(admin->PairingCode().status().code(), Code::kLocked);
  EXPECT_EQ(admin->Sync().status().code(), Code::kLocked);
  EXPECT_EQ(admin->SyncStatus().status().code(), Code::kLocked);
  EXPECT_EQ(admin->Unlock("wrong passphrase").code(), Code::kWrongPassphrase);
  ASSERT_TRUE(admin->Unlock(kPass).ok());
  EXPECT_EQ(Buyers(*admin), std::vector<std::string>{"Acme Apparel"});
  EXPECT_EQ(admin->Create({}, kPass).code(), Code::kAlreadyExists);

  const std::string data = admin->data_dir();
  ASSERT_TRUE(admin->Wipe().ok());
  EXPECT_FALSE(Device::Exists(env_, data));
  EXPECT_EQ(admin->Unlock(kPass).code(), Code::kNotFound);

  DeviceOptions missing;
  EXPECT_EQ(Device::Open(missing).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace parley
