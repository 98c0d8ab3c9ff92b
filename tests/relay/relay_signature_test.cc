// Every pushed change has its own signature verified by a real parley-relay process: a
// badly signed change is refused even when its successor in the same push links to it and
// is correctly signed, and nothing of that author's run after it is stored.
#include "parley/sync/change_parts.h"
#include "relay_fixture.h"

namespace parley::testing {
namespace {

class RelaySignature : public RelayFixture {
 protected:
  void SetUp() override {
    StartWithVault();
    if (HasFatalFailure()) return;
  }
  // A change `seq` of admin_ after `prev`, whose signature is not the author's over its id.
  pb::Change BadlySigned(std::uint64_t seq, const crypto::Bytes& prev, std::size_t body) {
    pb::Change c = MakeChange(admin_.identity, vault_, seq, prev, body);
    c.mutable_signature()->at(11) ^= 0x04;
    return c;
  }
};

// Two changes of about 31.5 KB in one Push: the first badly signed, the second linking to
// it (its prev is the first's link, which covers that bad signature) and correctly signed.
TEST_F(RelaySignature, ABadlySignedChangeVouchedForByItsSuccessorIsRefused) {
  constexpr std::size_t kBody = 31 * 1024 + 512;
  pb::Change first = BadlySigned(1, {}, kBody);
  pb::Change second = MakeChange(admin_.identity, vault_, 2,
                                 ChangeLinkOf(ChangeIdOf(first), first.signature()), kBody);
  pb::Frame ack = Push(*admin_client_, {first, second});
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck) << ack.error().message();
  ASSERT_EQ(ack.push_ack().acks_size(), 2);
  EXPECT_EQ(ack.push_ack().acks(0).refusal(), pb::REFUSAL_BAD_SIGNATURE)
      << ack.push_ack().acks(0).reason();
  EXPECT_EQ(ack.push_ack().acks(1).refusal(), pb::REFUSAL_BROKEN_CHAIN)
      << ack.push_ack().acks(1).reason();
  EXPECT_EQ(ack.push_ack().acks(0).relay_seq(), 0u);
  EXPECT_EQ(ack.push_ack().acks(1).relay_seq(), 0u);
  EXPECT_TRUE(PullAll(*admin_client_).empty());
  EXPECT_EQ(Pull(*admin_client_, 0).pull_batch().head_seq(), 0u);

  // The author's correct chain is then taken from seq 1.
  Chain chain(&admin_.identity, vault_);
  pb::Frame good = Push(*admin_client_, {chain.Next(100), chain.Next(100)});
  ASSERT_EQ(good.body_case(), pb::Frame::kPushAck) << good.error().message();
  EXPECT_EQ(good.push_ack().acks(0).relay_seq(), 1u);
  EXPECT_EQ(good.push_ack().acks(1).relay_seq(), 2u);
}

// In the middle of a run after changes the relay holds: the bad one and every change of
// the run after it are refused; the changes before it and another author's are stored.
TEST_F(RelaySignature, TheRunAfterABadSignatureIsRefusedAndOthersAreStored) {
  ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  Chain chain(&admin_.identity, vault_);
  Chain other(&member_.identity, vault_);
  std::vector<pb::Change> push = {chain.Next(100), chain.Next(100)};
  pb::Change bad = BadlySigned(3, chain.last_link, 100);
  push.push_back(bad);
  push.push_back(other.Next(100));
  pb::Change fourth =
      MakeChange(admin_.identity, vault_, 4, ChangeLinkOf(ChangeIdOf(bad), bad.signature()), 100);
  push.push_back(fourth);
  push.push_back(MakeChange(admin_.identity, vault_, 5,
                            ChangeLinkOf(ChangeIdOf(fourth), fourth.signature()), 100));
  pb::Frame ack = Push(*admin_client_, push);
  ASSERT_EQ(ack.body_case(), pb::Frame::kPushAck) << ack.error().message();
  ASSERT_EQ(ack.push_ack().acks_size(), 6);
  EXPECT_EQ(ack.push_ack().acks(0).relay_seq(), 1u);
  EXPECT_EQ(ack.push_ack().acks(1).relay_seq(), 2u);
  EXPECT_EQ(ack.push_ack().acks(2).refusal(), pb::REFUSAL_BAD_SIGNATURE);
  EXPECT_EQ(ack.push_ack().acks(3).relay_seq(), 3u);
  EXPECT_EQ(ack.push_ack().acks(4).refusal(), pb::REFUSAL_BROKEN_CHAIN);
  EXPECT_EQ(ack.push_ack().acks(5).refusal(), pb::REFUSAL_BROKEN_CHAIN);
  auto all = PullAll(*admin_client_);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].change().SerializeAsString(), push[3].SerializeAsString());
}

// A change reassembled from parts is verified the same way.
TEST_F(RelaySignature, ABadlySignedChangeInPartsIsRefused) {
  pb::Change big = BadlySigned(1, {}, 100 * 1024);
  crypto::Bytes id = ChangeIdOf(big);
  std::vector<pb::ChangePart> parts = wire::SplitChange(big.SerializeAsString(), id);
  pb::Frame last;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    pb::Frame f;
    f.mutable_push()->set_vault(vault_.data(), vault_.size());
    *f.mutable_push()->mutable_part() = parts[i];
    last = Call(*admin_client_, f);
    if (i + 1 < parts.size()) {
      ASSERT_EQ(last.body_case(), pb::Frame::kDone) << last.error().message();
    }
  }
  ASSERT_EQ(last.body_case(), pb::Frame::kPushAck) << last.error().message();
  EXPECT_EQ(last.push_ack().acks(0).refusal(), pb::REFUSAL_BAD_SIGNATURE);
  EXPECT_TRUE(PullAll(*admin_client_).empty());
}

}  // namespace
}  // namespace parley::testing
