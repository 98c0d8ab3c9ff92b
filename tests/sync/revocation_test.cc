// A device's side of revocation: CheckRevocationNotice proves a relay's notice only from what
// the device holds (a genuine notice; a forged signature, another vault, another device, a
// signer who is no admin, list bytes altered field by field are not proven), and the sync
// client against an in-process relay that revokes it: the session fails with the notice
// kept, and watch mode stops instead of reconnecting.
#include <gtest/gtest.h>

#include <functional>

#include "parley/core/replica_sync.h"
#include "parley/sync/auth.h"
#include "parley/sync/revocation.h"
#include "parley/sync/session.h"
#include "support/socket_stream.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

std::string Key(const SyncDevice& d) {
  const auto& k = d.store->device().identity.public_key;
  return std::string(k.begin(), k.end());
}

class RevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    team_ = MakeTeam(dir_.path(), {"admin", "member", "other"}, keys_, clock_);
    ASSERT_EQ(team_.size(), 3u);
    auto vault = log::GetVaultIdentity(*team_[0]->replica);
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_.assign(vault->vault.begin(), vault->vault.end());
  }
  SyncDevice& admin() { return *team_[0]; }
  SyncDevice& member() { return *team_[1]; }
  SyncDevice& other() { return *team_[2]; }

  // The list v`version` of the vault: admin as admin, `members` as members, `revoked`.
  pb::MembershipList List(std::uint64_t version, std::vector<SyncDevice*> members,
                          std::vector<std::string> revoked) {
    pb::MembershipList list;
    list.set_vault(vault_);
    list.set_version(version);
    auto* a = list.add_members();
    a->set_identity(Key(admin()));
    a->set_role("admin");
    for (SyncDevice* d : members) {
      auto* m = list.add_members();
      m->set_identity(Key(*d));
      m->set_role("member");
    }
    for (const std::string& r : revoked) list.add_revoked(r);
    return list;
  }
  static sync::RevocationNotice Notice(const pb::MembershipList& list, const SyncDevice& signer) {
    pb::SetMembership set = wire::MakeSetMembership(list, signer.store->device().identity);
    return sync::RevocationNotice{set.list(), set.signer(), set.signature(), "relay"};
  }
  sync::RevocationCheck Check(SyncDevice& d, const sync::RevocationNotice& n) {
    auto r = sync::CheckRevocationNotice(*d.replica, *d.store, n);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : sync::RevocationCheck{};
  }

  TempDir dir_;
  FakeClock clock_;
  MemoryKeyStore keys_;
  std::vector<std::unique_ptr<SyncDevice>> team_;
  std::string vault_;
};

TEST_F(RevocationTest, AGenuineNoticeIsProven) {
  const sync::RevocationNotice n = Notice(List(2, {&other()}, {Key(member())}), admin());
  sync::RevocationCheck c = Check(member(), n);
  EXPECT_TRUE(c.proven) << c.reason;
  EXPECT_EQ(c.revoked_by, Key(admin()));
  EXPECT_EQ(c.list_version, 2u);
  EXPECT_TRUE(c.reason.empty());
}

TEST_F(RevocationTest, ANoticeIsNotProvenWhenAnyCheckFails) {
  const pb::MembershipList genuine = List(2, {&other()}, {Key(member())});
  // A forged signature.
  sync::RevocationNotice forged = Notice(genuine, admin());
  forged.signature[5] = static_cast<char>(forged.signature[5] ^ 1);
  EXPECT_FALSE(Check(member(), forged).proven);
  // A signature under another key than the signer named.
  sync::RevocationNotice swapped = Notice(genuine, admin());
  swapped.signer = Key(other());
  EXPECT_FALSE(Check(member(), swapped).proven);
  // Another vault.
  pb::MembershipList elsewhere = genuine;
  elsewhere.set_vault(std::string(32, 'v'));
  EXPECT_FALSE(Check(member(), Notice(elsewhere, admin())).proven);
  // The list does not revoke this device (it revokes another).
  EXPECT_FALSE(Check(member(), Notice(List(2, {&member()}, {Key(other())}), admin())).proven);
  // Signed by a member who is no admin, and by a stranger to the vault.
  EXPECT_FALSE(Check(member(), Notice(genuine, other())).proven);
  auto stranger = SyncDevice::Create(dir_.path(), "stranger", keys_, clock_);
  EXPECT_FALSE(Check(member(), Notice(genuine, *stranger)).proven);
  // Not a list at all.
  sync::RevocationNotice garbage = Notice(genuine, admin());
  garbage.list = "not a list";
  EXPECT_FALSE(Check(member(), garbage).proven);
  // The list's bytes altered one field at a time, the signature kept.
  const sync::RevocationNotice signed_once = Notice(genuine, admin());
  std::vector<std::function<void(pb::MembershipList&)>> edits = {
      [](pb::MembershipList& l) { l.set_vault(std::string(32, 'w')); },
      [](pb::MembershipList& l) { l.set_version(l.version() + 1); },
      [](pb::MembershipList& l) { l.mutable_members(0)->set_identity(std::string(32, 'a')); },
      [](pb::MembershipList& l) { l.mutable_members()->RemoveLast(); },
      [](pb::MembershipList& l) { l.add_revoked(std::string(32, 'r')); },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    pb::MembershipList altered = genuine;
    edits[i](altered);
    sync::RevocationNotice n = signed_once;
    n.list = altered.SerializeAsString();
    sync::RevocationCheck c = Check(member(), n);
    EXPECT_FALSE(c.proven) << "edit " << i;
    EXPECT_FALSE(c.reason.empty()) << "edit " << i;
  }
  // And the untouched notice still is proven.
  EXPECT_TRUE(Check(member(), signed_once).proven);
}

// Publishes `set` at the relay as `device` (a raw connection: the client publishes only
// what its own replica holds).
void PublishAs(const SyncDevice& device, const InProcessRelay& relay,
               const pb::SetMembership& set) {
  const store::DeviceKeys& keys = device.store->device();
  auto stream = SocketStream::ConnectLoopback(relay.port());
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  auto session = wire::NoiseSession::Initiator(keys.kx, relay.public_key());
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(wire::RunHandshake(*session, **stream).ok());
  pb::Frame auth;
  auth.set_id(1);
  *auth.mutable_authenticate() = wire::MakeAuthenticate(
      keys.identity, wire::MakeKxCertificate(keys.identity, keys.kx.public_key),
      session->handshake_hash());
  ASSERT_TRUE(wire::SendFrame(*session, **stream, auth).ok());
  auto welcome = wire::ReceiveFrame(*session, **stream);
  ASSERT_TRUE(welcome.ok() && welcome->has_welcome());
  pb::Frame f;
  f.set_id(2);
  *f.mutable_set_membership() = set;
  ASSERT_TRUE(wire::SendFrame(*session, **stream, f).ok());
  auto done = wire::ReceiveFrame(*session, **stream);
  ASSERT_TRUE(done.ok());
  ASSERT_TRUE(done->has_done()) << done->error().message();
}

TEST_F(RevocationTest, ARevokedDeviceFailsItsSessionKeepsTheNoticeAndStopsWatching) {
  InProcessRelay relay(dir_.Sub("relay"));
  for (auto& d : team_) d->Pin(relay.public_key(), relay.port());
  auto first = admin().Sync();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->published_members);
  ASSERT_TRUE(member().Sync().ok());
  const std::uint64_t held = admin().state->Relay(admin().relay)->members_version;
  PublishAs(admin(), relay,
            wire::MakeSetMembership(List(held + 1, {&other()}, {Key(member())}),
                                    admin().store->device().identity));

  auto refused = member().Sync();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_NE(
      refused.status().message().find("this device was revoked from the vault (relay says so"),
      std::string::npos)
      << refused.status().ToString();
  const auto& notice = member().client->last_revocation();
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->relay, member().state->Relay(member().relay)->label());
  sync::RevocationCheck c = Check(member(), *notice);
  EXPECT_TRUE(c.proven) << c.reason;
  EXPECT_EQ(c.list_version, held + 1);

  // The others go on; an admin whose replica does not know the revocation yet publishes
  // nothing (the relay keeps the revocation) and still syncs.
  ASSERT_TRUE(other().Sync().ok());
  EXPECT_FALSE(other().client->last_revocation().has_value());
  auto late = SyncDevice::Create(dir_.path(), "late", keys_, clock_);
  EnrollOffline(admin(), *late);
  auto now_members = log::ListMembers(*admin().replica, true);
  ASSERT_TRUE(now_members.ok());
  ASSERT_EQ(now_members->size(), 4u);  // so the admin does try to publish a new list
  auto again = admin().Sync();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->published_members);

  // Watch: one attempt, reported as a disconnection without retry, then the watch returns.
  sync::Canceller cancel;
  int disconnects = 0;
  std::int64_t retry = 0;
  sync::WatchObserver obs;
  obs.disconnected = [&](const std::string&, const Status& why, std::int64_t retry_ms) {
    ++disconnects;
    retry = retry_ms;
    EXPECT_EQ(why.code(), Code::kPermissionDenied);
  };
  Status watched = member().client->Watch({member().relay}, cancel, obs);
  EXPECT_EQ(watched.code(), Code::kPermissionDenied) << watched.ToString();
  EXPECT_EQ(disconnects, 1);
  EXPECT_EQ(retry, -1);
  EXPECT_TRUE(member().client->last_revocation().has_value());
}

}  // namespace
}  // namespace parley::testing
