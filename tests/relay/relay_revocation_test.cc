// Device revocation at a real parley-relay process: lists with revoked keys, a revoked
// device refused at authentication and on every request (with the signed list as its proof,
// which the test verifies itself), revocations kept by every later list, lists signed by a
// non-admin or a revoked admin refused, and all of it still holding after a restart.
#include "relay_fixture.h"

namespace parley::testing {
namespace {

std::string Key(const Device& d) {
  return std::string(d.identity.public_key.begin(), d.identity.public_key.end());
}

class RelayRevocation : public RelayFixture {
 protected:
  void SetUp() override { StartWithVault(); }

  // A list for vault_ at `version`: `admins` and `members` with their roles, `revoked` in
  // MembershipList.revoked (each key as given), signed by `signer`.
  pb::SetMembership MakeList(std::uint64_t version, std::vector<const Device*> admins,
                             std::vector<const Device*> members, std::vector<std::string> revoked,
                             const Device& signer) {
    pb::MembershipList list;
    list.set_vault(vault_.data(), vault_.size());
    list.set_version(version);
    for (const Device* d : admins) {
      auto* m = list.add_members();
      m->set_identity(Key(*d));
      m->set_role("admin");
    }
    for (const Device* d : members) {
      auto* m = list.add_members();
      m->set_identity(Key(*d));
      m->set_role("member");
    }
    for (const std::string& r : revoked) list.add_revoked(r);
    return wire::MakeSetMembership(list, signer.identity);
  }
  pb::Frame Publish(TestClient& c, const pb::SetMembership& set) {
    pb::Frame f;
    *f.mutable_set_membership() = set;
    return Call(c, f);
  }
  // v1 admits member_; v2 revokes it (the list returned is v2).
  pb::SetMembership RevokeMember() {
    EXPECT_EQ(Publish(*admin_client_, MakeList(1, {&admin_}, {&member_}, {}, admin_)).body_case(),
              pb::Frame::kDone);
    pb::SetMembership v2 = MakeList(2, {&admin_}, {}, {Key(member_)}, admin_);
    pb::Frame done = Publish(*admin_client_, v2);
    EXPECT_EQ(done.body_case(), pb::Frame::kDone) << done.error().message();
    return v2;
  }
  // Checks, as the device itself would, that `e` is ERROR_REVOKED with a proof that
  // verifies, names vault_ and revokes `who`, and is the list `expected`.
  void ExpectProof(const pb::Error& e, const Device& who, const pb::SetMembership& expected) {
    ASSERT_EQ(e.code(), pb::ERROR_REVOKED) << e.message();
    ASSERT_TRUE(e.has_revocation());
    const pb::SetMembership& proof = e.revocation();
    EXPECT_TRUE(wire::VerifyMembershipSignature(proof).ok());
    auto parsed = wire::ParseMembership(proof.list());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->vault, vault_);
    EXPECT_TRUE(parsed->IsRevoked(who.identity.public_key));
    EXPECT_EQ(proof.list(), expected.list());
    EXPECT_EQ(proof.signer(), expected.signer());
    EXPECT_EQ(proof.signature(), expected.signature());
  }
  // Runs the handshake and Authenticate for `d` and returns the relay's answer.
  pb::Frame Authenticate(const Device& d, std::unique_ptr<TestClient>* client) {
    auto c = TestClient::Connect(relay_->port(), relay_->public_key(), d, /*authenticate=*/false);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return pb::Frame();
    pb::Frame auth;
    *auth.mutable_authenticate() =
        wire::MakeAuthenticate(d.identity, wire::MakeKxCertificate(d.identity, d.kx.public_key),
                               (*c)->session().handshake_hash());
    pb::Frame answer = Call(**c, auth);
    *client = std::move(*c);
    return answer;
  }
};

TEST_F(RelayRevocation, RevokedDeviceIsRefusedAtAuthenticationWithAProofThatVerifies) {
  const pb::SetMembership v2 = RevokeMember();
  std::unique_ptr<TestClient> member;
  pb::Frame answer = Authenticate(member_, &member);
  ASSERT_EQ(answer.body_case(), pb::Frame::kError);
  ExpectProof(answer.error(), member_, v2);
  EXPECT_TRUE(member->WaitClosed());
  EXPECT_TRUE(relay_->WaitForLog("event=revoked_refused"));
  // The log names the device by its first 8 bytes only.
  EXPECT_EQ(relay_->Log().find(crypto::ToHex(member_.identity.public_key)), std::string::npos);
  // Others are unaffected.
  EXPECT_EQ(Ping(*admin_client_, 7).pong().nonce(), 7u);
}

TEST_F(RelayRevocation, AConnectionOpenedBeforeTheListIsRefusedOnEveryRequest) {
  ASSERT_EQ(Publish(*admin_client_, MakeList(1, {&admin_}, {&member_}, {}, admin_)).body_case(),
            pb::Frame::kDone);
  auto member = Connect(member_);
  ASSERT_NE(member, nullptr);
  Chain mine(&member_.identity, vault_);
  ASSERT_EQ(Push(*member, {mine.Next()}).push_ack().acks(0).relay_seq(), 1u);
  pb::Frame sub;
  sub.mutable_subscribe()->set_vault(vault_.data(), vault_.size());
  ASSERT_EQ(Call(*member, sub).body_case(), pb::Frame::kDone);

  const pb::SetMembership v2 = MakeList(2, {&admin_}, {}, {Key(member_)}, admin_);
  ASSERT_EQ(Publish(*admin_client_, v2).body_case(), pb::Frame::kDone);

  ExpectProof(Push(*member, {mine.Next()}).error(), member_, v2);
  ExpectProof(Pull(*member, 0).error(), member_, v2);
  ExpectProof(Call(*member, sub).error(), member_, v2);
  pb::Frame env;
  env.mutable_get_envelopes()->set_vault(vault_.data(), vault_.size());
  ExpectProof(Call(*member, env).error(), member_, v2);
  // A revoked device cannot publish a list either (it is refused before the signer check).
  ExpectProof(Publish(*member, MakeList(3, {&admin_}, {}, {Key(member_)}, admin_)).error(), member_,
              v2);
  // Its changes are refused whoever pushes them, with their own refusal code.
  pb::Frame ack = Push(*admin_client_, {mine.Next()});
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_REVOKED);
  EXPECT_EQ(PullAll(*admin_client_).size(), 1u);  // only the change from before
  // The connection stays usable for what needs no vault.
  EXPECT_EQ(Ping(*member, 3).pong().nonce(), 3u);
}

TEST_F(RelayRevocation, ListsMustKeepEveryRevocation) {
  Device other;
  RevokeMember();
  // Dropping the revoked key, or re-admitting it as a member: refused with its own code.
  EXPECT_EQ(Publish(*admin_client_, MakeList(3, {&admin_}, {}, {}, admin_)).error().code(),
            pb::ERROR_REVOCATION_DROPPED);
  EXPECT_EQ(Publish(*admin_client_, MakeList(3, {&admin_}, {&member_}, {}, admin_)).error().code(),
            pb::ERROR_REVOCATION_DROPPED);
  EXPECT_EQ(Publish(*admin_client_, MakeList(3, {&admin_, &member_}, {}, {Key(other)}, admin_))
                .error()
                .code(),
            pb::ERROR_REVOCATION_DROPPED);
  // A key both member and revoked, listed twice, or of the wrong size: malformed.
  EXPECT_EQ(Publish(*admin_client_, MakeList(3, {&admin_}, {&member_}, {Key(member_)}, admin_))
                .error()
                .code(),
            pb::ERROR_MALFORMED);
  EXPECT_EQ(
      Publish(*admin_client_, MakeList(3, {&admin_}, {}, {Key(member_), Key(member_)}, admin_))
          .error()
          .code(),
      pb::ERROR_MALFORMED);
  EXPECT_EQ(Publish(*admin_client_, MakeList(3, {&admin_}, {}, {Key(member_), "short"}, admin_))
                .error()
                .code(),
            pb::ERROR_MALFORMED);
  // The rollback to v1 (which admits the device) and a replay of v2 are stale.
  pb::Frame rollback = Publish(*admin_client_, MakeList(1, {&admin_}, {&member_}, {}, admin_));
  ASSERT_EQ(rollback.error().code(), pb::ERROR_CONFLICT);
  EXPECT_EQ(rollback.error().membership_version(), 2u);
  EXPECT_EQ(
      Publish(*admin_client_, MakeList(2, {&admin_}, {}, {Key(member_)}, admin_)).error().code(),
      pb::ERROR_CONFLICT);
  // Keeping it, and revoking another: accepted; both are refused from then on.
  ASSERT_EQ(Publish(*admin_client_, MakeList(3, {&admin_}, {}, {Key(other), Key(member_)}, admin_))
                .body_case(),
            pb::Frame::kDone);
  std::unique_ptr<TestClient> c;
  EXPECT_EQ(Authenticate(other, &c).error().code(), pb::ERROR_REVOKED);
  EXPECT_EQ(Authenticate(member_, &c).error().code(), pb::ERROR_REVOKED);
}

TEST_F(RelayRevocation, ListsSignedByANonAdminOrARevokedAdminAreRefused) {
  Device second;  // a second admin, revoked at v2
  ASSERT_EQ(
      Publish(*admin_client_, MakeList(1, {&admin_, &second}, {&member_}, {}, admin_)).body_case(),
      pb::Frame::kDone);
  ASSERT_EQ(Publish(*admin_client_, MakeList(2, {&admin_}, {&member_}, {Key(second)}, admin_))
                .body_case(),
            pb::Frame::kDone);
  // Sent by a current admin, signed by the revoked one: refused.
  pb::Frame by_revoked =
      Publish(*admin_client_, MakeList(3, {&second}, {&member_}, {Key(admin_)}, second));
  EXPECT_EQ(by_revoked.error().code(), pb::ERROR_NOT_ADMIN);
  // Signed by a plain member: refused.
  auto member = Connect(member_);
  ASSERT_NE(member, nullptr);
  EXPECT_EQ(Publish(*member, MakeList(3, {&member_}, {}, {Key(second), Key(admin_)}, member_))
                .error()
                .code(),
            pb::ERROR_NOT_ADMIN);
  // Nothing changed: the admin still moves the list on from v2.
  EXPECT_EQ(Publish(*admin_client_, MakeList(3, {&admin_}, {&member_}, {Key(second)}, admin_))
                .body_case(),
            pb::Frame::kDone);
}

// Anyone may register a vault and list any key as revoked in it: that must not lock a
// device that is a member of another vault out of the relay.
TEST_F(RelayRevocation, ARevocationInAStrangersVaultDoesNotLockOutAMemberOfAnother) {
  ASSERT_EQ(Publish(*admin_client_, MakeList(1, {&admin_}, {&member_}, {}, admin_)).body_case(),
            pb::Frame::kDone);
  auto outsider = Connect(outsider_);
  ASSERT_NE(outsider, nullptr);
  pb::Frame reg;
  *reg.mutable_register_vault() = wire::MakeRegisterVault(outsider_.identity);
  const std::string theirs = reg.register_vault().vault();
  ASSERT_EQ(Call(*outsider, reg).body_case(), pb::Frame::kDone);
  pb::MembershipList list;
  list.set_vault(theirs);
  list.set_version(1);
  auto* m = list.add_members();
  m->set_identity(Key(outsider_));
  m->set_role("admin");
  list.add_revoked(Key(member_));
  pb::Frame set;
  *set.mutable_set_membership() = wire::MakeSetMembership(list, outsider_.identity);
  ASSERT_EQ(Call(*outsider, set).body_case(), pb::Frame::kDone);
  // member_ still authenticates and works in the vault that admits it.
  auto member = Connect(member_);
  ASSERT_NE(member, nullptr);
  Chain mine(&member_.identity, vault_);
  EXPECT_EQ(Push(*member, {mine.Next()}).push_ack().acks(0).relay_seq(), 1u);
  // Once its own vault revokes it too, it is refused at authentication.
  ASSERT_EQ(Publish(*admin_client_, MakeList(2, {&admin_}, {}, {Key(member_)}, admin_)).body_case(),
            pb::Frame::kDone);
  std::unique_ptr<TestClient> c;
  EXPECT_EQ(Authenticate(member_, &c).error().code(), pb::ERROR_REVOKED);
}

TEST_F(RelayRevocation, RevocationHoldsAfterARestart) {
  const pb::SetMembership v2 = RevokeMember();
  admin_client_.reset();
  ASSERT_TRUE(relay_->Stop().ok());
  ASSERT_TRUE(relay_->Start().ok());
  std::unique_ptr<TestClient> member;
  pb::Frame answer = Authenticate(member_, &member);
  ASSERT_EQ(answer.body_case(), pb::Frame::kError);
  ExpectProof(answer.error(), member_, v2);
  admin_client_ = Connect(admin_);
  ASSERT_NE(admin_client_, nullptr);
  EXPECT_EQ(Publish(*admin_client_, MakeList(3, {&admin_}, {&member_}, {}, admin_)).error().code(),
            pb::ERROR_REVOCATION_DROPPED);
  Chain theirs(&member_.identity, vault_);
  EXPECT_EQ(Push(*admin_client_, {theirs.Next()}).push_ack().acks(0).refusal(),
            pb::REFUSAL_REVOKED);
}

// A list's cutoff for a revoked device (revoked_after): its changes up to it were made before
// the revocation and are still taken, whoever pushes them (a team member copying them to
// this relay); the ones after it are refused.
TEST_F(RelayRevocation, ChangesUpToTheRevocationCutoffAreStillTaken) {
  ASSERT_EQ(Publish(*admin_client_, MakeList(1, {&admin_}, {&member_}, {}, admin_)).body_case(),
            pb::Frame::kDone);
  auto member = Connect(member_);
  ASSERT_NE(member, nullptr);
  Chain theirs(&member_.identity, vault_);
  ASSERT_EQ(Push(*member, {theirs.Next()}).push_ack().acks(0).refusal(), pb::REFUSAL_NONE);
  const pb::Change second = theirs.Next(), third = theirs.Next();
  pb::SetMembership v2 = MakeList(2, {&admin_}, {}, {Key(member_)}, admin_);
  {
    pb::MembershipList list;
    ASSERT_TRUE(list.ParseFromString(v2.list()));
    list.add_revoked_after(2);
    v2 = wire::MakeSetMembership(list, admin_.identity);
  }
  ASSERT_EQ(Publish(*admin_client_, v2).body_case(), pb::Frame::kDone);
  pb::Frame ack = Push(*admin_client_, {second, third});
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck) << ack.error().message();
  EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_NONE);
  EXPECT_EQ(ack.push_ack().acks(1).refusal(), pb::REFUSAL_REVOKED);
  EXPECT_EQ(PullAll(*admin_client_).size(), 2u);
  // The revoked device itself is still refused.
  ExpectProof(Pull(*member, 0).error(), member_, v2);
}

}  // namespace
}  // namespace parley::testing
