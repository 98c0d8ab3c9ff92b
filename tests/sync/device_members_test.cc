// The Device's members API in one process: listing every device ever enrolled, finding one
// by name or id prefix, promoting and demoting, revoking (never itself), and the lost-device
// wipe of a device that hears of its own revocation, by bundle or through a relay.
// Relays are in-process, served over the loopback transport.
#include <gtest/gtest.h>

#include <algorithm>

#include "device_fixture.h"
#include "parley/device.h"
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

class DeviceMembersTest : public testing::DeviceFixture {
 protected:
  // `joiner` joins `admin`'s vault with an invite file (no relay).
  static void EnrolByFile(Device& admin, Device& joiner) {
    auto code = joiner.PairingCode();
    ASSERT_TRUE(code.ok());
    auto invite = admin.Invite(*code);
    ASSERT_TRUE(invite.ok()) << invite.status().ToString();
    auto joined = joiner.JoinWithInvite(invite->invite);
    ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  }

  // `joiner` joins `admin`'s vault through the relays both have pinned.
  static void EnrolThroughRelay(Device& admin, Device& joiner) {
    auto code = joiner.PairingCode();
    ASSERT_TRUE(code.ok());
    auto invite = admin.Invite(*code);
    ASSERT_TRUE(invite.ok()) << invite.status().ToString();
    auto joined = joiner.JoinThroughRelays();
    ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  }

  // Carries every change `from` holds to `to` in a bundle; returns the import's status.
  Status Carry(Device& from, Device& to) {
    const std::string file = dir_.path() + "/carry.parley";
    auto exported = from.ExportBundle(file);
    if (!exported.ok()) return exported.status();
    return to.ImportBundle(file).status();
  }

  static MemberSummary Find(Device& d, const std::string& name) {
    auto members = d.Members();
    EXPECT_TRUE(members.ok()) << members.status().ToString();
    if (!members.ok()) return {};
    for (const auto& m : *members) {
      if (m.name == name) return m;
    }
    ADD_FAILURE() << "no member named " << name;
    return {};
  }

  static std::string Id(Device& d) {
    auto members = d.Members();
    EXPECT_TRUE(members.ok());
    if (!members.ok()) return {};
    for (const auto& m : *members) {
      if (m.is_self) return m.id;
    }
    ADD_FAILURE() << "no member is this device";
    return {};
  }
};

TEST_F(DeviceMembersTest, MembersListsTheFounderAndWhoEnrolledEachDevice) {
  auto ana = Make("ana", "Coalition");
  auto ben = Make("ben", "");
  auto before = ben->Members();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->empty());  // in no vault yet

  EnrolByFile(*ana, *ben);
  auto members = ana->Members();
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  ASSERT_EQ(members->size(), 3u);  // ana, ben and the vault's recovery key
  const MemberSummary r = Find(*ana, "recovery key");
  EXPECT_TRUE(r.recovery);
  EXPECT_TRUE(r.admin);
  const MemberSummary a = Find(*ana, "ana");
  const MemberSummary b = Find(*ana, "ben");
  EXPECT_EQ(a.id.size(), 64u);
  EXPECT_TRUE(a.is_self);
  EXPECT_TRUE(a.admin);
  EXPECT_TRUE(a.founder);
  EXPECT_TRUE(a.enrolled_by.empty());
  EXPECT_FALSE(a.revoked);
  EXPECT_GT(a.last_seq, 0u);  // the genesis change and the invite
  EXPECT_GT(a.last_change_ms, 0);

  EXPECT_FALSE(b.is_self);
  EXPECT_FALSE(b.admin);
  EXPECT_FALSE(b.founder);
  EXPECT_FALSE(b.revoked);
  EXPECT_EQ(b.enrolled_by, a.id);
  EXPECT_EQ(b.enrolled_by_name, "ana");
  EXPECT_GT(b.enrolled_ms, 0);
  EXPECT_EQ(b.enrolled_ms, a.last_change_ms);  // the invite was ana's last change
  EXPECT_EQ(b.last_seq, 0u);                   // ben wrote nothing yet
  EXPECT_TRUE(b.can_receive_keys);
  EXPECT_TRUE(b.revoked_by.empty());

  // The new device sees the same list, itself marked.
  const MemberSummary b_seen = Find(*ben, "ben");
  EXPECT_TRUE(b_seen.is_self);
  EXPECT_EQ(b_seen.enrolled_by, a.id);
  EXPECT_FALSE(Find(*ben, "ana").is_self);
}

TEST_F(DeviceMembersTest, ResolveMemberByNameOrIdPrefix) {
  auto ana = Make("ana", "Coalition");
  auto ben = Make("ben", "");
  auto phone1 = Make("phone-a", "phone", "");
  auto phone2 = Make("phone-b", "phone", "");
  EnrolByFile(*ana, *ben);
  EnrolByFile(*ana, *phone1);
  EnrolByFile(*ana, *phone2);
  const std::string ben_id = Id(*ben);
  ASSERT_EQ(ben_id.size(), 64u);

  auto by_name = ana->ResolveMember("ben");
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(by_name->id, ben_id);

  std::string upper = ben_id.substr(0, 6);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return static_cast<char>(std::toupper(c)); });
  for (const std::string& prefix : {ben_id.substr(0, 4), ben_id.substr(0, 12), ben_id, upper}) {
    auto by_prefix = ana->ResolveMember(prefix);
    ASSERT_TRUE(by_prefix.ok()) << prefix << ": " << by_prefix.status().ToString();
    EXPECT_EQ(by_prefix->name, "ben");
  }

  auto unknown = ana->ResolveMember("carla");
  EXPECT_EQ(unknown.status().code(), Code::kNotFound) << unknown.status().ToString();
  auto short_prefix = ana->ResolveMember(ben_id.substr(0, 3));
  EXPECT_EQ(short_prefix.status().code(), Code::kInvalidArgument);
  EXPECT_NE(short_prefix.status().message().find("at least 4"), std::string::npos)
      << short_prefix.status().message();

  // Two devices named "phone": ambiguous, and the message names both with their id prefixes.
  auto ambiguous = ana->ResolveMember("phone");
  ASSERT_EQ(ambiguous.status().code(), Code::kInvalidArgument) << ambiguous.status().ToString();
  const std::string& message = ambiguous.status().message();
  EXPECT_NE(message.find("ambiguous"), std::string::npos) << message;
  for (Device* p : {phone1.get(), phone2.get()}) {
    const std::string id = Id(*p);
    EXPECT_NE(message.find(id.substr(0, 8)), std::string::npos) << message;
    auto exact = ana->ResolveMember(id.substr(0, 16));
    ASSERT_TRUE(exact.ok()) << exact.status().ToString();
    EXPECT_EQ(exact->id, id);
  }
  // The same from a plain member, and a locked device refuses.
  auto from_ben = ben->ResolveMember("ana");
  ASSERT_TRUE(from_ben.ok()) << from_ben.status().ToString();
  ASSERT_TRUE(ben->Lock().ok());
  EXPECT_EQ(ben->ResolveMember("ana").status().code(), Code::kLocked);
  EXPECT_EQ(ben->Members().status().code(), Code::kLocked);
}

TEST_F(DeviceMembersTest, RevokeRefusesThisDeviceItself) {
  auto ana = Make("ana", "Coalition");
  auto ben = Make("ben", "");
  EnrolByFile(*ana, *ben);
  auto self = ana->Revoke("ana");
  ASSERT_EQ(self.status().code(), Code::kInvalidArgument) << self.status().ToString();
  EXPECT_NE(self.status().message().find("cannot revoke itself"), std::string::npos)
      << self.status().message();
  auto by_id = ana->Revoke(Id(*ana).substr(0, 8));
  EXPECT_EQ(by_id.status().code(), Code::kInvalidArgument);
  // Nothing changed.
  EXPECT_FALSE(Find(*ana, "ana").revoked);
  EXPECT_EQ(ana->Revoke("nobody").status().code(), Code::kNotFound);
}

TEST_F(DeviceMembersTest, PromoteAndDemoteNeedAnAdminAndKeepOne) {
  auto ana = Make("ana", "Coalition");
  auto ben = Make("ben", "");
  EnrolByFile(*ana, *ben);

  // A plain member may not change roles.
  EXPECT_EQ(ben->Promote("ben").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(ben->Demote("ana").status().code(), Code::kPermissionDenied);
  // The last admin cannot step down.
  auto last = ana->Demote("ana");
  EXPECT_EQ(last.status().code(), Code::kConflict) << last.status().ToString();
  EXPECT_TRUE(Find(*ana, "ana").admin);
  // Already a member.
  EXPECT_EQ(ana->Demote("ben").status().code(), Code::kAlreadyExists);

  // Promotion: no relay pinned, so nothing is published; the change travels by bundle.
  auto promoted = ana->Promote("ben");
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  EXPECT_TRUE(promoted->member.admin);
  EXPECT_EQ(promoted->member.name, "ben");
  EXPECT_TRUE(promoted->synced.empty());
  EXPECT_EQ(ana->Promote("ben").status().code(), Code::kAlreadyExists);
  ASSERT_TRUE(Carry(*ana, *ben).ok());
  EXPECT_TRUE(Find(*ben, "ben").admin);

  // Two admins now: ben demotes ana, who then may no longer change roles.
  auto demoted = ben->Demote("ana");
  ASSERT_TRUE(demoted.ok()) << demoted.status().ToString();
  EXPECT_FALSE(demoted->member.admin);
  ASSERT_TRUE(Carry(*ben, *ana).ok());
  EXPECT_FALSE(Find(*ana, "ana").admin);
  EXPECT_EQ(ana->Promote("ana").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(ben->Demote("ben").status().code(), Code::kConflict);
}

TEST_F(DeviceMembersTest, PromotionIsPublishedToEveryPinnedRelay) {
  std::string code1, code2;
  auto r1 = Relay("one", &code1);
  auto r2 = Relay("two", &code2);
  auto ana = Make("ana", "Coalition");
  auto ben = Make("ben", "");
  for (Device* d : {ana.get(), ben.get()}) {
    ASSERT_TRUE(d->AddRelay(code1).ok());
    ASSERT_TRUE(d->AddRelay(code2).ok());
  }
  ASSERT_TRUE(ana->Sync().ok());
  EnrolThroughRelay(*ana, *ben);
  auto promoted = ana->Promote(Id(*ben).substr(0, 6));
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  ASSERT_EQ(promoted->synced.size(), 2u);
  for (const auto& r : promoted->synced) {
    EXPECT_TRUE(r.status.ok()) << r.relay << ": " << r.status.ToString();
  }
  EXPECT_GE(promoted->synced[0].pushed + promoted->synced[1].pushed, 1u);
  auto synced = ben->Sync();
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  EXPECT_TRUE(Find(*ben, "ben").admin);
}

// A revoked device that receives its revocation in a bundle wipes itself: keys and files go,
// the event says who revoked it, and the call fails with the documented message.
TEST_F(DeviceMembersTest, ARevokedDeviceWipesItselfWhenItHearsOfIt) {
  auto ana = Make("ana", "Coalition");
  auto ben = Make("ben", "");
  auto carla = Make("carla", "");
  EnrolByFile(*ana, *ben);
  EnrolByFile(*ana, *carla);
  ASSERT_TRUE(Carry(*ana, *ben).ok());
  // Until it hears of its revocation the device works offline as before.
  auto before = ben->model().AddNegotiation({"Acme Apparel", "2027"});
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  auto revoked = ana->Revoke("ben");
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_TRUE(revoked->member.revoked);
  EXPECT_FALSE(revoked->member.admin);
  EXPECT_EQ(revoked->member.revoked_by, Id(*ana));
  EXPECT_EQ(revoked->member.revoked_by_name, "ana");
  EXPECT_GT(revoked->member.revoked_ms, 0);
  EXPECT_TRUE(revoked->synced.empty());
  // Revoking again: no longer a member.
  EXPECT_EQ(ana->Revoke("ben").status().code(), Code::kNotFound);
  // The listing keeps it, revoked.
  EXPECT_TRUE(Find(*ana, "ben").revoked);
  ASSERT_EQ(ana->Members()->size(), 4u);  // ana, ben, carl and the recovery key

  ASSERT_TRUE(ben->model().AddNegotiation({"Blue Harvest", "2027"}).ok());
  const std::string data = ben->data_dir();
  std::vector<DeviceEvent> events;
  ben->SetEventHandler([&](const DeviceEvent& e) {
    if (e.kind == DeviceEvent::Kind::kRevokedAndWiped) events.push_back(e);
  });
  Status heard = Carry(*ana, *ben);
  ASSERT_EQ(heard.code(), Code::kPermissionDenied) << heard.ToString();
  EXPECT_EQ(heard.message().rfind("this device was revoked from the vault", 0), 0u)
      << heard.message();
  EXPECT_NE(heard.message().find("by ana"), std::string::npos) << heard.message();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].revocation.by_name, "ana");
  EXPECT_EQ(events[0].revocation.by, Id(*ana));
  EXPECT_GT(events[0].revocation.at_ms, 0);
  ASSERT_TRUE(ben->revoked_and_wiped().has_value());
  EXPECT_EQ(ben->revoked_and_wiped()->by_name, "ana");
  EXPECT_FALSE(ben->unlocked());
  EXPECT_FALSE(Device::Exists(env_, data));
  EXPECT_EQ(ben->Unlock(kPass).code(), Code::kNotFound);

  // carla, not revoked, takes the same bundle and carries on.
  ASSERT_TRUE(Carry(*ana, *carla).ok());
  EXPECT_TRUE(carla->unlocked());
  EXPECT_TRUE(Find(*carla, "ben").revoked);
  EXPECT_FALSE(carla->revoked_and_wiped().has_value());
}

// The same through a relay: the revoking admin publishes with its Revoke call; the revoked
// device's next Sync ends it.
TEST_F(DeviceMembersTest, ARevokedDeviceWipesItselfOnItsNextSync) {
  std::string code;
  auto relay = Relay("office", &code);
  auto ana = Make("ana", "Coalition");
  auto ben = Make("ben", "");
  auto carla = Make("carla", "");
  for (Device* d : {ana.get(), ben.get(), carla.get()}) ASSERT_TRUE(d->AddRelay(code).ok());
  ASSERT_TRUE(ana->Sync().ok());
  EnrolThroughRelay(*ana, *ben);
  EnrolThroughRelay(*ana, *carla);
  ASSERT_TRUE(ana->Sync().ok());

  auto revoked = ana->Revoke("ben");
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  ASSERT_EQ(revoked->synced.size(), 1u);
  EXPECT_TRUE(revoked->synced[0].status.ok()) << revoked->synced[0].status.ToString();
  EXPECT_GE(revoked->synced[0].pushed, 1u);

  bool wiped_event = false;
  ben->SetEventHandler([&](const DeviceEvent& e) {
    if (e.kind == DeviceEvent::Kind::kRevokedAndWiped) wiped_event = true;
  });
  const std::string data = ben->data_dir();
  auto synced = ben->Sync();
  ASSERT_EQ(synced.status().code(), Code::kPermissionDenied) << synced.status().ToString();
  EXPECT_EQ(synced.status().message().rfind("this device was revoked from the vault", 0), 0u)
      << synced.status().message();
  EXPECT_TRUE(wiped_event);
  EXPECT_FALSE(Device::Exists(env_, data));

  auto carla_synced = carla->Sync();
  ASSERT_TRUE(carla_synced.ok()) << carla_synced.status().ToString();
  ASSERT_EQ(carla_synced->relays.size(), 1u);
  EXPECT_TRUE(carla_synced->relays[0].status.ok()) << carla_synced->relays[0].status.ToString();
  EXPECT_TRUE(Find(*carla, "ben").revoked);
}

}  // namespace
}  // namespace parley
