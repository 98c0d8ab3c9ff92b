// A real parley-relay process serving well-behaved clients: authentication, registration,
// membership, push/pull, idempotence, refusals, subscriptions, envelopes, purge.
#include <map>

#include "relay_fixture.h"

namespace parley::testing {
namespace {

class RelayProtocol : public RelayFixture {
 protected:
  void SetUp() override {
    StartWithVault();
    if (HasFatalFailure()) return;
    chain_ = Chain(&admin_.identity, vault_);
  }
  Chain chain_;
};

TEST_F(RelayProtocol, WelcomeAnnouncesLimits) {
  EXPECT_EQ(admin_client_->welcome().protocol_version(), 1u);
  EXPECT_EQ(admin_client_->welcome().max_frame_bytes(), 65535u);
  EXPECT_GT(admin_client_->welcome().max_push_changes(), 0u);
}

TEST_F(RelayProtocol, PushThenPullAndReplaysAreStoredOnce) {
  std::vector<pb::Change> changes;
  for (int i = 0; i < 3; ++i) changes.push_back(chain_.Next(100));
  pb::Frame ack = Push(*admin_client_, changes);
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck) << ack.error().message();
  ASSERT_EQ(ack.push_ack().acks_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ack.push_ack().acks(i).refusal(), pb::REFUSAL_NONE);
    EXPECT_EQ(ack.push_ack().acks(i).relay_seq(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(crypto::Bytes(ack.push_ack().acks(i).change_id().begin(),
                            ack.push_ack().acks(i).change_id().end()),
              ChangeIdOf(changes[i]));
  }
  // The same push again (a replay): same numbers, nothing new stored.
  pb::Frame again = Push(*admin_client_, changes);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(again.push_ack().acks(i).relay_seq(), static_cast<std::uint64_t>(i + 1));

  auto all = PullAll(*admin_client_);
  ASSERT_EQ(all.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(all[i].relay_seq(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(all[i].change().SerializeAsString(), changes[i].SerializeAsString());
  }
  pb::Frame tail = Pull(*admin_client_, 2);
  ASSERT_EQ(tail.pull_batch().changes_size(), 1);
  EXPECT_EQ(tail.pull_batch().head_seq(), 3u);
  EXPECT_FALSE(tail.pull_batch().more());
}

TEST_F(RelayProtocol, PullBudgetSplitsAnswers) {
  for (int round = 0; round < 4; ++round) {  // a push frame holds about 20 such changes
    std::vector<pb::Change> changes;
    for (int i = 0; i < 10; ++i) changes.push_back(chain_.Next(3000));
    ASSERT_EQ(Push(*admin_client_, changes).body_case(), pb::Frame::kPushAck);
  }
  pb::Frame first = Pull(*admin_client_, 0, 10000);
  ASSERT_EQ(first.body_case(), pb::Frame::kPullBatch);
  EXPECT_LT(first.pull_batch().changes_size(), 40);
  EXPECT_TRUE(first.pull_batch().more());
  EXPECT_EQ(first.pull_batch().head_seq(), 40u);
  auto all = PullAll(*admin_client_);  // whole-frame budget: still several answers
  ASSERT_EQ(all.size(), 40u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].relay_seq(), i + 1);
}

TEST_F(RelayProtocol, ForgedAndBrokenChangesAreRefusedAndNotStored) {
  pb::Change good = chain_.Next();
  pb::Change bad_sig = chain_.Next();
  (*bad_sig.mutable_signature())[3] ^= 1;
  pb::Change altered = Chain(&admin_.identity, vault_).Next();
  (*altered.mutable_body())[0] ^= 1;  // the id changes: the signature no longer matches
  pb::Change gap = MakeChange(admin_.identity, vault_, 5, crypto::RandomBytes(32), 10);
  crypto::Bytes other_vault = crypto::RandomBytes(32);
  pb::Change wrong_vault = Chain(&admin_.identity, other_vault).Next();
  pb::Frame ack = Push(*admin_client_, {bad_sig, altered, gap, wrong_vault});
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_BAD_SIGNATURE);
  EXPECT_EQ(ack.push_ack().acks(1).refusal(), pb::REFUSAL_BAD_SIGNATURE);
  EXPECT_EQ(ack.push_ack().acks(2).refusal(), pb::REFUSAL_BROKEN_CHAIN);
  EXPECT_EQ(ack.push_ack().acks(3).refusal(), pb::REFUSAL_WRONG_VAULT);
  for (const auto& a : ack.push_ack().acks()) {
    EXPECT_EQ(a.relay_seq(), 0u);
    EXPECT_FALSE(a.reason().empty());
  }
  EXPECT_TRUE(PullAll(*admin_client_).empty());
  pb::Frame ok = Push(*admin_client_, {good});
  EXPECT_EQ(ok.push_ack().acks(0).relay_seq(), 1u);  // refusals used no number
}

TEST_F(RelayProtocol, NonMembersAreRefusedEverywhere) {
  auto outsider = Connect(outsider_);
  ASSERT_NE(outsider, nullptr);
  Chain theirs(&outsider_.identity, vault_);
  pb::Frame push;
  EXPECT_EQ(Push(*outsider, {theirs.Next()}).error().code(), pb::ERROR_NOT_MEMBER);
  EXPECT_EQ(Pull(*outsider, 0).error().code(), pb::ERROR_NOT_MEMBER);
  pb::Frame sub;
  sub.mutable_subscribe()->set_vault(vault_.data(), vault_.size());
  EXPECT_EQ(Call(*outsider, sub).error().code(), pb::ERROR_NOT_MEMBER);
  pb::Frame env;
  env.mutable_get_envelopes()->set_vault(vault_.data(), vault_.size());
  EXPECT_EQ(Call(*outsider, env).error().code(), pb::ERROR_NOT_MEMBER);
  // A member may not smuggle in a non-member's change either.
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  auto member = Connect(member_);
  pb::Frame ack = Push(*member, {Chain(&outsider_.identity, vault_).Next()});
  EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_NOT_MEMBER);
  EXPECT_TRUE(PullAll(*admin_client_).empty());
  // Unknown vault.
  crypto::Bytes nowhere = crypto::RandomBytes(32);
  EXPECT_EQ(Push(*admin_client_, {}, &nowhere).error().code(), pb::ERROR_UNKNOWN_VAULT);
}

TEST_F(RelayProtocol, MembershipRules) {
  // Version must be the next one; the refusal names the version the relay holds, in
  // membership_version (present even when it is 0).
  pb::Frame early = SetMembers(*admin_client_, {&member_}, 2);
  ASSERT_EQ(early.error().code(), pb::ERROR_CONFLICT);
  ASSERT_TRUE(early.error().has_membership_version());
  EXPECT_EQ(early.error().membership_version(), 0u);
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  pb::Frame again = SetMembers(*admin_client_, {&member_}, 1);
  ASSERT_EQ(again.error().code(), pb::ERROR_CONFLICT);
  ASSERT_TRUE(again.error().has_membership_version());
  EXPECT_EQ(again.error().membership_version(), 1u);
  // Signed by a plain member: refused.
  auto member = Connect(member_);
  EXPECT_EQ(SetMembers(*member, {&member_, &outsider_}, 2, &member_).error().code(),
            pb::ERROR_NOT_ADMIN);
  // The member can now push and pull.
  Chain mine(&member_.identity, vault_);
  EXPECT_EQ(Push(*member, {mine.Next()}).push_ack().acks(0).relay_seq(), 1u);
  EXPECT_EQ(PullAll(*member).size(), 1u);
  // Removing the member: refused from then on.
  ASSERT_EQ(SetMembers(*admin_client_, {}, 2).body_case(), pb::Frame::kDone);
  EXPECT_EQ(Push(*member, {mine.Next()}).error().code(), pb::ERROR_NOT_MEMBER);
  // Registering the same vault again is harmless for its creator, a conflict for others.
  pb::Frame reg;
  *reg.mutable_register_vault() = wire::MakeRegisterVault(outsider_.identity);
  auto outsider = Connect(outsider_);
  EXPECT_EQ(Call(*outsider, reg).body_case(), pb::Frame::kDone);
  *reg.mutable_register_vault() = wire::MakeRegisterVault(admin_.identity);
  EXPECT_EQ(Call(*outsider, reg).error().code(),
            pb::ERROR_MALFORMED);  // creator must be the sender
}

// A device the list does not hold publishes its own list on an admin's admission
// (docs/wire-protocol.md, "Admission"): only with a valid admission of itself by an admin of
// the current list, only a list it signs that names it as an admin; then it is a member.
TEST_F(RelayProtocol, AnAdmissionLetsTheAdmittedDevicePublishItsOwnList) {
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  auto outsider = Connect(outsider_);
  ASSERT_NE(outsider, nullptr);
  // outsider's list: admin_ and member_ as before, outsider_ as an admin.
  auto list_frame = [&](std::uint64_t version, const pb::Admission* admission, const Device& signer,
                        const char* own_role = "admin") {
    pb::MembershipList list;
    list.set_vault(vault_.data(), vault_.size());
    list.set_version(version);
    for (const auto& [d, role] : std::vector<std::pair<const Device*, const char*>>{
             {&admin_, "admin"}, {&member_, "member"}, {&outsider_, own_role}}) {
      auto* m = list.add_members();
      m->set_identity(d->identity.public_key.data(), 32);
      m->set_role(role);
    }
    pb::Frame f;
    *f.mutable_set_membership() = wire::MakeSetMembership(list, signer.identity);
    if (admission != nullptr) *f.mutable_set_membership()->mutable_admission() = *admission;
    return f;
  };
  const pb::Admission by_admin =
      wire::MakeAdmission(vault_, outsider_.identity.public_key, admin_.identity);
  const pb::Admission by_member =
      wire::MakeAdmission(vault_, outsider_.identity.public_key, member_.identity);
  const pb::Admission of_member =
      wire::MakeAdmission(vault_, member_.identity.public_key, admin_.identity);
  pb::Admission forged = by_admin;
  forged.mutable_signature()->back() ^= 1;

  EXPECT_EQ(Call(*outsider, list_frame(2, nullptr, outsider_)).error().code(),
            pb::ERROR_NOT_MEMBER);
  EXPECT_EQ(Call(*outsider, list_frame(2, &by_member, outsider_)).error().code(),
            pb::ERROR_NOT_ADMIN);
  EXPECT_EQ(Call(*outsider, list_frame(2, &of_member, outsider_)).error().code(),
            pb::ERROR_MALFORMED);
  EXPECT_EQ(Call(*outsider, list_frame(2, &forged, outsider_)).error().code(), pb::ERROR_MALFORMED);
  EXPECT_EQ(Call(*outsider, list_frame(2, &by_admin, admin_)).error().code(), pb::ERROR_MALFORMED);
  EXPECT_EQ(Call(*outsider, list_frame(2, &by_admin, outsider_, "member")).error().code(),
            pb::ERROR_MALFORMED);
  pb::Frame stale = Call(*outsider, list_frame(1, &by_admin, outsider_));
  ASSERT_EQ(stale.error().code(), pb::ERROR_CONFLICT);
  EXPECT_EQ(stale.error().membership_version(), 1u);
  ASSERT_EQ(Call(*outsider, list_frame(2, &by_admin, outsider_)).body_case(), pb::Frame::kDone);
  // A member now: it pushes, and publishes lists as the admin the list makes it.
  Chain theirs(&outsider_.identity, vault_);
  EXPECT_GT(Push(*outsider, {theirs.Next()}).push_ack().acks(0).relay_seq(), 0u);
  EXPECT_EQ(Call(*outsider, list_frame(3, nullptr, outsider_)).body_case(), pb::Frame::kDone);
  // An admission does not bring back a revoked device.
  pb::MembershipList revoking;
  revoking.set_vault(vault_.data(), vault_.size());
  revoking.set_version(4);
  auto* a = revoking.add_members();
  a->set_identity(admin_.identity.public_key.data(), 32);
  a->set_role("admin");
  revoking.add_revoked(outsider_.identity.public_key.data(), 32);
  pb::Frame revoke;
  *revoke.mutable_set_membership() = wire::MakeSetMembership(revoking, admin_.identity);
  ASSERT_EQ(Call(*admin_client_, revoke).body_case(), pb::Frame::kDone);
  EXPECT_EQ(Call(*outsider, list_frame(5, &by_admin, outsider_)).error().code(), pb::ERROR_REVOKED);
}

TEST_F(RelayProtocol, SubscribersAreNotifiedAfterCommit) {
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  auto member = Connect(member_);
  pb::Frame sub;
  sub.mutable_subscribe()->set_vault(vault_.data(), vault_.size());
  ASSERT_EQ(Call(*member, sub).body_case(), pb::Frame::kDone);
  ASSERT_EQ(Push(*admin_client_, {chain_.Next(), chain_.Next()}).body_case(), pb::Frame::kPushAck);
  auto note = member->Receive();
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  ASSERT_EQ(note->body_case(), pb::Frame::kNotify);
  EXPECT_EQ(note->id(), 0u);
  EXPECT_EQ(note->notify().head_seq(), 2u);
  EXPECT_EQ(crypto::Bytes(note->notify().vault().begin(), note->notify().vault().end()), vault_);
}

TEST_F(RelayProtocol, EnvelopesForTheirRecipientOnly) {
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  pb::Frame put;
  put.mutable_put_envelope()->set_vault(vault_.data(), vault_.size());
  put.mutable_put_envelope()->set_recipient(member_.identity.public_key.data(), 32);
  put.mutable_put_envelope()->set_sealed("sealed keys");
  EXPECT_EQ(Call(*admin_client_, put).body_case(), pb::Frame::kDone);
  EXPECT_EQ(Call(*admin_client_, put).body_case(), pb::Frame::kDone);  // idempotent
  auto member = Connect(member_);
  pb::Frame get;
  get.mutable_get_envelopes()->set_vault(vault_.data(), vault_.size());
  pb::Frame got = Call(*member, get);
  ASSERT_EQ(got.body_case(), pb::Frame::kEnvelopes);
  ASSERT_EQ(got.envelopes().sealed_size(), 1);
  EXPECT_EQ(got.envelopes().sealed(0), "sealed keys");
  EXPECT_EQ(Call(*admin_client_, get).envelopes().sealed_size(), 0);
  EXPECT_EQ(Call(*member, put).error().code(), pb::ERROR_NOT_ADMIN);
  put.mutable_put_envelope()->set_sealed(std::string(5000, 'x'));
  EXPECT_EQ(Call(*admin_client_, put).error().code(), pb::ERROR_TOO_LARGE);
  // The answer also lists each envelope with its vault.
  ASSERT_EQ(got.envelopes().items_size(), 1);
  EXPECT_EQ(got.envelopes().items(0).vault(), std::string(vault_.begin(), vault_.end()));
  EXPECT_EQ(got.envelopes().items(0).sealed(), "sealed keys");
}

// GetEnvelopes without a vault: the caller's envelopes in every vault whose member list
// holds it, and nobody else's.
TEST_F(RelayProtocol, AllVaultsEnvelopesAreTheCallersOnly) {
  auto text = [](const crypto::Bytes& b) { return std::string(b.begin(), b.end()); };
  auto put = [&](TestClient& c, const crypto::Bytes& vault, const Device& to,
                 const std::string& sealed) {
    pb::Frame f;
    f.mutable_put_envelope()->set_vault(vault.data(), vault.size());
    f.mutable_put_envelope()->set_recipient(to.identity.public_key.data(), 32);
    f.mutable_put_envelope()->set_sealed(sealed);
    return Call(c, f).body_case();
  };
  auto all_for = [&](TestClient& c) {
    pb::Frame f;
    f.mutable_get_envelopes();
    pb::Frame got = Call(c, f);
    EXPECT_EQ(got.body_case(), pb::Frame::kEnvelopes) << got.error().message();
    return got.envelopes();
  };
  // vault_: member_ and outsider_ are members, each has an envelope.
  ASSERT_EQ(SetMembers(*admin_client_, {&member_, &outsider_}, 1).body_case(), pb::Frame::kDone);
  ASSERT_EQ(put(*admin_client_, vault_, member_, "for member in 1"), pb::Frame::kDone);
  ASSERT_EQ(put(*admin_client_, vault_, outsider_, "for outsider in 1"), pb::Frame::kDone);
  // A second vault, another admin: member_ is invited there too.
  Device other;
  auto other_client = Connect(other);
  ASSERT_NE(other_client, nullptr);
  const crypto::Bytes first = vault_;
  pb::Frame reg;
  *reg.mutable_register_vault() = wire::MakeRegisterVault(other.identity);
  ASSERT_EQ(Call(*other_client, reg).body_case(), pb::Frame::kDone);
  const crypto::Bytes second(reg.register_vault().vault().begin(),
                             reg.register_vault().vault().end());
  pb::MembershipList list;
  list.set_vault(second.data(), second.size());
  list.set_version(1);
  list.add_members()->set_identity(other.identity.public_key.data(), 32);
  list.mutable_members(0)->set_role("admin");
  list.add_members()->set_identity(member_.identity.public_key.data(), 32);
  list.mutable_members(1)->set_role("member");
  pb::Frame set;
  *set.mutable_set_membership() = wire::MakeSetMembership(list, other.identity);
  ASSERT_EQ(Call(*other_client, set).body_case(), pb::Frame::kDone);
  ASSERT_EQ(put(*other_client, second, member_, "for member in 2"), pb::Frame::kDone);
  // An envelope for outsider_, who is not on the second vault's list.
  ASSERT_EQ(put(*other_client, second, outsider_, "for outsider in 2"), pb::Frame::kDone);

  auto member = Connect(member_);
  ASSERT_NE(member, nullptr);
  pb::Envelopes mine = all_for(*member);
  ASSERT_EQ(mine.items_size(), 2);
  ASSERT_EQ(mine.sealed_size(), 2);
  std::map<std::string, std::string> by_vault;
  for (int i = 0; i < mine.items_size(); ++i) {
    EXPECT_EQ(mine.sealed(i), mine.items(i).sealed());
    by_vault[mine.items(i).vault()] = mine.items(i).sealed();
  }
  EXPECT_EQ(by_vault[text(first)], "for member in 1");
  EXPECT_EQ(by_vault[text(second)], "for member in 2");

  // outsider_ has envelopes in both vaults but is a member of the first only.
  auto outsider = Connect(outsider_);
  ASSERT_NE(outsider, nullptr);
  pb::Envelopes theirs = all_for(*outsider);
  ASSERT_EQ(theirs.items_size(), 1);
  EXPECT_EQ(theirs.items(0).vault(), text(first));
  EXPECT_EQ(theirs.items(0).sealed(), "for outsider in 1");
  // Nothing addressed to the admins: an empty answer, not an error.
  EXPECT_EQ(all_for(*admin_client_).items_size(), 0);
  EXPECT_EQ(all_for(*other_client).items_size(), 0);

  // Removed from the first vault: its envelope there is no longer served either.
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 2).body_case(), pb::Frame::kDone);
  EXPECT_EQ(all_for(*outsider).items_size(), 0);
}

TEST_F(RelayProtocol, PurgeDropsChangesForGood) {
  std::vector<pb::Change> changes = {chain_.Next(), chain_.Next(), chain_.Next()};
  ASSERT_EQ(Push(*admin_client_, changes).body_case(), pb::Frame::kPushAck);
  pb::Frame purge;
  purge.mutable_purge()->set_vault(vault_.data(), vault_.size());
  crypto::Bytes id = ChangeIdOf(changes[1]);
  purge.mutable_purge()->add_change_ids(id.data(), id.size());
  ASSERT_EQ(Call(*admin_client_, purge).body_case(), pb::Frame::kDone);
  auto all = PullAll(*admin_client_);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].relay_seq(), 1u);
  EXPECT_EQ(all[1].relay_seq(), 3u);
  EXPECT_EQ(Push(*admin_client_, {changes[1]}).push_ack().acks(0).refusal(), pb::REFUSAL_PURGED);
}

TEST_F(RelayProtocol, UnknownFrameTypesAreUnsupportedAndTheConnectionLives) {
  pb::Frame future;
  ASSERT_TRUE(
      future.ParseFromString(std::string("\x9a\x06\x00", 3)));  // field 99: a type from the future
  pb::Frame r = Call(*admin_client_, future);
  ASSERT_EQ(r.body_case(), pb::Frame::kError);
  EXPECT_EQ(r.error().code(), pb::ERROR_UNSUPPORTED);
  pb::Frame relay_only;
  relay_only.mutable_welcome();
  EXPECT_EQ(Call(*admin_client_, relay_only).error().code(), pb::ERROR_UNSUPPORTED);
  pb::Frame again;
  again.mutable_authenticate();
  EXPECT_EQ(Call(*admin_client_, again).error().code(), pb::ERROR_UNSUPPORTED);
  pb::Frame pong = Ping(*admin_client_, 77);
  ASSERT_EQ(pong.body_case(), pb::Frame::kPong);
  EXPECT_EQ(pong.pong().nonce(), 77u);
}

TEST_F(RelayProtocol, MetricsCountWhatHappened) {
  ASSERT_EQ(Push(*admin_client_, {chain_.Next(), chain_.Next()}).body_case(), pb::Frame::kPushAck);
  PullAll(*admin_client_);
  ASSERT_EQ(relay_->Terminate(), 0);
  FILE* p = ::popen((RelayBinary() + " metrics --data " + dir_.Sub("relay")).c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(::pclose(p), 0);
  EXPECT_NE(out.find("changes_accepted 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("changes_served 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("connections_total 1\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace parley::testing
