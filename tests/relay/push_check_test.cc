// The relay's check of a whole push: every change's signature is verified on its own, and a
// change linking to a badly signed one in the same push is refused with it.
#include <gtest/gtest.h>

#include "change_check.h"
#include "parley/sync/client_tuning.h"
#include "parley/sync/wire_limits.h"
#include "test_changes.h"

namespace parley::relay {
namespace {

using testing::Chain;

// The sync client sends a change whole only when it fits one Push frame with the client's
// slack; every such change is within the limit the relay checks a whole change against
// (both from wire_limits.h and frame_codec.h, so they cannot drift apart unnoticed).
static_assert(wire::kMaxFramePlaintext - sync::kPushFrameSlack <= wire::kMaxWholeChangeBytes);

class PushCheck : public ::testing::Test {
 protected:
  crypto::SignKeyPair a_ = crypto::NewSignKeyPair();
  crypto::SignKeyPair b_ = crypto::NewSignKeyPair();
  Bytes vault_ = crypto::RandomBytes(32);

  static google::protobuf::RepeatedPtrField<pb::Change> Push(
      const std::vector<pb::Change>& changes) {
    google::protobuf::RepeatedPtrField<pb::Change> out;
    for (const auto& c : changes) *out.Add() = c;
    return out;
  }
  // CheckPushedChanges gives, change by change, what CheckPushedChange gives.
  void ExpectSameVerdicts(const std::vector<pb::Change>& changes, const std::string& what) {
    const auto together = CheckPushedChanges(Push(changes), vault_);
    ASSERT_EQ(together.size(), changes.size());
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const CheckResult alone = CheckPushedChange(changes[i], vault_);
      EXPECT_EQ(together[i].refusal, alone.refusal)
          << what << ", change " << i << ": " << together[i].reason;
      EXPECT_EQ(together[i].change.id, alone.change.id) << what << ", change " << i;
      EXPECT_EQ(together[i].change.link, alone.change.link) << what << ", change " << i;
      EXPECT_EQ(together[i].change.data, alone.change.data) << what << ", change " << i;
    }
  }
};

TEST_F(PushCheck, ARunIsAcceptedWhole) {
  Chain chain{&a_, vault_};
  std::vector<pb::Change> run;
  for (int i = 0; i < 20; ++i) run.push_back(chain.Next());
  const auto out = CheckPushedChanges(Push(run), vault_);
  for (const auto& r : out) EXPECT_EQ(r.refusal, pb::REFUSAL_NONE) << r.reason;
  ExpectSameVerdicts(run, "intact run");
}

TEST_F(PushCheck, ATamperedSignatureAnywhereIsRefusedAsAlone) {
  Chain chain{&a_, vault_};
  std::vector<pb::Change> run;
  for (int i = 0; i < 8; ++i) run.push_back(chain.Next());
  for (std::size_t k = 0; k < run.size(); ++k) {
    auto bad = run;
    bad[k].mutable_signature()->at(7) ^= 0x01;
    const auto out = CheckPushedChanges(Push(bad), vault_);
    EXPECT_EQ(out[k].refusal, pb::REFUSAL_BAD_SIGNATURE) << "change " << k;
    ExpectSameVerdicts(bad, "signature of change " + std::to_string(k) + " tampered");
  }
}

TEST_F(PushCheck, InterleavedDevicesRepeatsAndGapsGetTheirOwnVerdicts) {
  Chain ca{&a_, vault_}, cb{&b_, vault_};
  std::vector<pb::Change> push;
  for (int i = 0; i < 5; ++i) {
    push.push_back(ca.Next());
    push.push_back(cb.Next());
  }
  push.push_back(push[2]);  // a's change 2 again
  (void)ca.Next();          // a's change 6 is missing: 7 starts a new run
  push.push_back(ca.Next());
  auto forged = push;
  forged[11].mutable_signature()->at(0) ^= 0x80;  // the lone change after the gap
  forged[2].mutable_signature()->at(0) ^= 0x80;   // and one copy of the repeated one
  ExpectSameVerdicts(push, "interleaved");
  ExpectSameVerdicts(forged, "interleaved, forged");
  const auto out = CheckPushedChanges(Push(forged), vault_);
  EXPECT_EQ(out[11].refusal, pb::REFUSAL_BAD_SIGNATURE);
  EXPECT_EQ(out[2].refusal, pb::REFUSAL_BAD_SIGNATURE);
  EXPECT_EQ(out[10].refusal, pb::REFUSAL_NONE);
}

TEST_F(PushCheck, MalformedAndForeignChangesAreRefusedAsAlone) {
  Chain chain{&a_, vault_};
  std::vector<pb::Change> push = {chain.Next(), chain.Next(), chain.Next()};
  push[1].set_header("not a header");
  Chain other{&a_, crypto::RandomBytes(32)};
  push.push_back(other.Next());
  ExpectSameVerdicts(push, "malformed");
  const auto out = CheckPushedChanges(Push(push), vault_);
  EXPECT_EQ(out[1].refusal, pb::REFUSAL_MALFORMED);
  EXPECT_EQ(out[3].refusal, pb::REFUSAL_WRONG_VAULT);
}

// The successor's link covers the bad signature, and the successor is correctly signed:
// the link vouches for nothing; the bad change and the run after it are refused.
TEST_F(PushCheck, ASuccessorDoesNotVouchForABadlySignedChange) {
  Chain chain{&a_, vault_};
  pb::Change first = chain.Next();
  pb::Change bad = testing::MakeChange(a_, vault_, 2, chain.last_link, 64);
  bad.mutable_signature()->at(3) ^= 0x10;
  const Bytes bad_link = testing::ChangeLinkOf(testing::ChangeIdOf(bad), bad.signature());
  pb::Change third = testing::MakeChange(a_, vault_, 3, bad_link, 64);
  pb::Change fourth = testing::MakeChange(
      a_, vault_, 4, testing::ChangeLinkOf(testing::ChangeIdOf(third), third.signature()), 64);
  Chain other{&b_, vault_};
  const auto out = CheckPushedChanges(Push({first, bad, other.Next(), third, fourth}), vault_);
  EXPECT_EQ(out[0].refusal, pb::REFUSAL_NONE) << out[0].reason;
  EXPECT_EQ(out[1].refusal, pb::REFUSAL_BAD_SIGNATURE);
  EXPECT_EQ(out[2].refusal, pb::REFUSAL_NONE) << out[2].reason;
  EXPECT_EQ(out[3].refusal, pb::REFUSAL_BROKEN_CHAIN);
  EXPECT_EQ(out[4].refusal, pb::REFUSAL_BROKEN_CHAIN);
  EXPECT_TRUE(out[3].change.data.empty());
  EXPECT_TRUE(out[4].change.data.empty());
}

}  // namespace
}  // namespace parley::relay
