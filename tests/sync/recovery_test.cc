// The recovery key through the Device API, over relays served in-process (docs/recovery.md):
// the recovery member that vault creation enrols, the key shown once, the recovery invite
// published to a relay pinned later, Recover (the whole history, as an admin), the epoch
// keys of a revocation reaching the recovery member, rotation, two recoveries with one key
// one after the other, and the errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "device_fixture.h"

namespace parley {
namespace {

class RecoveryTest : public testing::DeviceFixture {
 protected:
  // An admin that founded "coalition", its key taken, one relay pinned and synced.
  std::unique_ptr<Device> Admin(std::string* key) {
    auto admin = Make("admin", "coalition");
    auto taken = admin->TakeRecoveryKey();
    EXPECT_TRUE(taken.ok()) << taken.status().ToString();
    if (taken.ok()) *key = *taken;
    EXPECT_TRUE(admin->AddRelay(relay_code_).ok());
    auto synced = admin->Sync();
    EXPECT_TRUE(synced.ok() && synced->any_ok());
    return admin;
  }
  std::unique_ptr<Device> Fresh(const std::string& name) {
    auto d = Make(name, "");
    EXPECT_TRUE(d->AddRelay(relay_code_).ok());
    return d;
  }
  // A record written on `d`: a negotiation with `buyer`.
  static void Note(Device& d, const std::string& buyer) {
    auto id = d.model().AddNegotiation({buyer, "2027 agreement"});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
  }
  static std::set<std::string> Notes(Device& d) {
    std::set<std::string> out;
    auto list = d.model().Negotiations();
    EXPECT_TRUE(list.ok());
    if (!list.ok()) return out;
    for (const auto& r : *list) out.insert(r.get("buyer"));
    return out;
  }
  static MemberSummary Self(Device& d) {
    auto members = d.Members();
    EXPECT_TRUE(members.ok());
    for (const auto& m : *members) {
      if (m.is_self) return m;
    }
    return {};
  }

  void SetUp() override {
    DeviceFixture::SetUp();
    relay_ = Relay("r", &relay_code_);
  }

  std::string relay_code_;
  std::unique_ptr<testing::InProcessRelay> relay_;
};

TEST_F(RecoveryTest, VaultCreationEnrolsTheRecoveryMemberAndShowsTheKeyOnce) {
  auto admin = Make("admin", "coalition");
  auto key = admin->TakeRecoveryKey();
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->size(), 44u);
  EXPECT_TRUE(recovery::RecoveryKey::Parse(*key).ok());
  EXPECT_EQ(admin->TakeRecoveryKey().status().code(), Code::kNotFound);
  auto members = admin->Members();
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  auto parsed_key = recovery::RecoveryKey::Parse(*key);
  ASSERT_TRUE(parsed_key.ok());
  const recovery::RecoveryKey& parsed = *parsed_key;
  const std::string recovery_id = crypto::ToHex(parsed.Identity().public_key);
  bool found = false;
  for (const auto& m : *members) {
    if (!m.recovery) continue;
    found = true;
    EXPECT_EQ(m.id, recovery_id);
    EXPECT_TRUE(m.admin);
    EXPECT_TRUE(m.can_receive_keys);
    EXPECT_EQ(m.name, "recovery key");
  }
  EXPECT_TRUE(found);
  // The only admin device is not demoted because a recovery key exists; the recovery
  // member's role is not changed by hand.
  EXPECT_EQ(admin->Demote("admin").status().code(), Code::kConflict);
  EXPECT_EQ(admin->Demote("recovery key").status().code(), Code::kInvalidArgument);
  // The key's text is in no file of the data directory.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(admin->data_dir())) {
    if (!entry.is_regular_file()) continue;
    auto read = env_.ReadFile(entry.path().string());
    ASSERT_TRUE(read.ok()) << entry.path();
    const std::string bytes(read->begin(), read->end());
    EXPECT_EQ(bytes.find(*key), std::string::npos) << entry.path();
  }
  // Opting out.
  DeviceOptions o;
  o.env = &env_;
  o.key_store = &keys_;
  o.data_dir = dir_.path() + "/plain";
  auto plain = Device::Open(o);
  ASSERT_TRUE(plain.ok());
  CreateOptions c;
  c.device_name = "plain";
  c.vault_name = "v";
  c.argon2 = crypto::MinimumArgon2Params();
  c.issue_recovery_key = false;
  ASSERT_TRUE((*plain)->Create(c, testing::kDevicePass).ok());
  EXPECT_EQ((*plain)->TakeRecoveryKey().status().code(), Code::kNotFound);
  auto plain_members = (*plain)->Members();
  ASSERT_TRUE(plain_members.ok());
  EXPECT_EQ(plain_members->size(), 1u);
}

TEST_F(RecoveryTest, RecoverRestoresTheHistoryAsAnAdmin) {
  // The relay is pinned after the vault was made: the first sync publishes the invite.
  auto admin = Make("admin", "coalition");
  auto key = admin->TakeRecoveryKey();
  ASSERT_TRUE(key.ok());
  Note(*admin, "before the relay");
  ASSERT_TRUE(admin->AddRelay(relay_code_).ok());
  ASSERT_TRUE(admin->Sync().ok());
  Note(*admin, "after the relay");
  ASSERT_TRUE(admin->Sync().ok());

  auto fresh = Fresh("new phone");
  auto done = fresh->Recover(*key);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->vault.name, "coalition");
  EXPECT_EQ(done->records, 2u);
  EXPECT_EQ(done->members, 3u);  // admin, the recovery member, this device
  EXPECT_EQ(Notes(*fresh), (std::set<std::string>{"before the relay", "after the relay"}));
  EXPECT_TRUE(Self(*fresh).admin);
  // No temporary store is left.
  for (const auto& entry : std::filesystem::directory_iterator(fresh->data_dir())) {
    EXPECT_NE(entry.path().filename().string().rfind(".recovery-", 0), 0u) << entry.path();
  }
  // A device in a vault does not recover.
  EXPECT_EQ(fresh->Recover(*key).status().code(), Code::kAlreadyExists);
  // The admin sees the new admin, enrolled by the recovery member.
  ASSERT_TRUE(admin->Sync().ok());
  bool seen = false;
  auto after = admin->Members();
  ASSERT_TRUE(after.ok());
  for (const auto& m : *after) {
    if (m.name == "new phone") {
      seen = true;
      EXPECT_TRUE(m.admin);
      EXPECT_EQ(m.enrolled_by_name, "recovery key");
    }
  }
  EXPECT_TRUE(seen);

  // The same key again, on another device: the recovery member's next change follows its
  // first one (held on the relay), and the vault takes a third admin.
  auto other = Fresh("tablet");
  auto again = other->Recover(*key);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Notes(*other), Notes(*fresh));
}

TEST_F(RecoveryTest, ARevocationSealsTheNewEpochToTheRecoveryMember) {
  std::string key;
  auto admin = Admin(&key);
  auto member = Fresh("member");
  auto code = member->PairingCode();
  ASSERT_TRUE(admin->Invite(*code).ok());
  ASSERT_TRUE(member->JoinThroughRelays().ok());
  ASSERT_TRUE(admin->Revoke("member").ok());
  // Written under the epoch that started with the revocation: the recovery invite, made
  // before it, did not carry that key.
  Note(*admin, "after the revocation");
  ASSERT_TRUE(admin->Sync().ok());
  auto fresh = Fresh("new phone");
  auto done = fresh->Recover(key);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(Notes(*fresh), (std::set<std::string>{"after the revocation"}));
}

TEST_F(RecoveryTest, RotationReplacesTheKey) {
  std::string key;
  auto admin = Admin(&key);
  Note(*admin, "first");
  auto rotated = admin->RotateRecoveryKey();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_NE(rotated->recovery_key, key);
  EXPECT_EQ(rotated->revoked,
            crypto::ToHex(recovery::RecoveryKey::Parse(key)->Identity().public_key));
  ASSERT_EQ(rotated->published.size(), 1u);
  EXPECT_TRUE(rotated->published[0].status.ok()) << rotated->published[0].status.ToString();
  std::size_t current_recovery = 0;
  auto listed = admin->Members();
  ASSERT_TRUE(listed.ok());
  for (const auto& m : *listed) current_recovery += m.recovery && !m.revoked ? 1 : 0;
  EXPECT_EQ(current_recovery, 1u);
  Note(*admin, "second");
  ASSERT_TRUE(admin->Sync().ok());

  auto fresh = Fresh("new phone");
  auto old = fresh->Recover(key);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), Code::kPermissionDenied);
  EXPECT_NE(old.status().message().find("this recovery key was replaced by a newer one"),
            std::string::npos)
      << old.status().ToString();
  ASSERT_FALSE(fresh->Vault()->has_value());
  // The failed attempt left nothing behind; the new key works on the same device.
  auto done = fresh->Recover(rotated->recovery_key);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(Notes(*fresh), (std::set<std::string>{"first", "second"}));
}

TEST_F(RecoveryTest, Errors) {
  std::string key;
  auto admin = Admin(&key);
  auto unpinned = Make("unpinned", "");
  EXPECT_EQ(unpinned->Recover(key).status().code(), Code::kNotFound);
  auto fresh = Fresh("fresh");
  std::string typo = key;
  typo[5] = typo[5] == 'A' ? 'B' : 'A';
  auto mistyped = fresh->Recover(typo);
  EXPECT_EQ(mistyped.status().code(), Code::kInvalidArgument);
  EXPECT_NE(mistyped.status().message().find("mistyped"), std::string::npos)
      << mistyped.status().ToString();
  auto unknown = fresh->Recover(recovery::RecoveryKey::Generate().Text());
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  EXPECT_NE(unknown.status().message().find("no relay holds a vault for this recovery key"),
            std::string::npos);
  EXPECT_EQ(admin->Recover(key).status().code(), Code::kAlreadyExists);
  // A plain member may not rotate.
  auto member = Fresh("member");
  ASSERT_TRUE(admin->Invite(*member->PairingCode()).ok());
  ASSERT_TRUE(member->JoinThroughRelays().ok());
  EXPECT_EQ(member->RotateRecoveryKey().status().code(), Code::kPermissionDenied);
}

// The relay is brought back from a copy of its data taken before the current recovery
// invite was published (before a rotation): the admin's next sync finds that the relay's
// history went backwards and publishes the member list and the invite there again, so the
// newest key recovers the vault.
TEST_F(RecoveryTest, AfterARelayRollbackTheRecoveryInviteIsPublishedAgain) {
  std::string first_key;
  auto admin = Admin(&first_key);
  Note(*admin, "before the copy");
  ASSERT_TRUE(admin->Sync().ok());
  const std::string relay_dir = dir_.path() + "/relay-r";
  const std::string older = dir_.path() + "/relay-older";
  relay_->Stop();
  std::filesystem::copy(relay_dir, older, std::filesystem::copy_options::recursive);
  relay_->Restart();

  auto rotated = admin->RotateRecoveryKey();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  ASSERT_EQ(rotated->published.size(), 1u);
  EXPECT_TRUE(rotated->published[0].status.ok()) << rotated->published[0].status.ToString();
  Note(*admin, "after the copy");
  ASSERT_TRUE(admin->Sync().ok());

  relay_->Stop();
  std::filesystem::remove_all(relay_dir);
  std::filesystem::copy(older, relay_dir, std::filesystem::copy_options::recursive);
  relay_->Restart();
  auto synced = admin->Sync();
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  bool rolled_back = false;
  for (const auto& f : synced->relays[0].relay_faults)
    rolled_back = rolled_back || f.fault == "rolled_back";
  ASSERT_EQ(synced->relays.size(), 1u);
  ASSERT_TRUE(synced->relays[0].status.ok()) << synced->relays[0].status.ToString();
  EXPECT_TRUE(rolled_back);

  auto fresh = Fresh("fresh");
  auto done = fresh->Recover(rotated->recovery_key);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(Notes(*fresh), (std::set<std::string>{"before the copy", "after the copy"}));
  EXPECT_TRUE(Self(*fresh).admin);
  // The key the rotation replaced stays refused.
  auto other = Fresh("other");
  EXPECT_EQ(other->Recover(first_key).status().code(), Code::kPermissionDenied);
}

}  // namespace
}  // namespace parley
