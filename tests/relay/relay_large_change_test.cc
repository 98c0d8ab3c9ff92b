// Changes larger than one frame, against a real parley-relay process: pushed and pulled in
// parts byte for byte, malformed part sequences refused with nothing stored, the relay's
// size limit enforced (docs/wire-protocol.md, "Changes in parts").
#include "parley/sync/change_parts.h"
#include "parley/sync/wire_limits.h"
#include "relay_fixture.h"

namespace parley::testing {
namespace {

class RelayLargeChange : public RelayFixture {
 protected:
  void Start(std::vector<std::string> args = {}) {
    StartRelay(std::move(args));
    client_ = Connect(admin_);
    ASSERT_NE(client_, nullptr);
    Register(*client_);
    chain_ = Chain(&admin_.identity, vault_);
  }

  static std::vector<pb::ChangePart> Parts(const pb::Change& c,
                                           std::size_t part_data = wire::kChangePartData) {
    crypto::Bytes id = ChangeIdOf(c);
    return wire::SplitChange(c.SerializeAsString(), id, part_data);
  }

  // Sends one part as a Push and returns the relay's answer to it.
  pb::Frame SendPart(const pb::ChangePart& part) {
    pb::Frame f;
    f.mutable_push()->set_vault(vault_.data(), vault_.size());
    *f.mutable_push()->mutable_part() = part;
    return Call(*client_, f);
  }

  // Pushes all parts in order; every answer but the last must be Done. Returns the last.
  pb::Frame PushParts(const std::vector<pb::ChangePart>& parts) {
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      pb::Frame a = SendPart(parts[i]);
      EXPECT_EQ(a.body_case(), pb::Frame::kDone) << "part " << i << ": " << a.error().message();
    }
    return SendPart(parts.back());
  }

  // Pulls after `after`; a change in parts is reassembled into the returned batch.
  pb::PullBatch PullReassembled(std::uint64_t after) {
    pb::Frame f;
    f.set_id(next_id_++);
    f.mutable_pull()->set_vault(vault_.data(), vault_.size());
    f.mutable_pull()->set_after_seq(after);
    EXPECT_TRUE(client_->Send(f).ok());
    auto first = client_->Receive();
    EXPECT_TRUE(first.ok());
    if (!first.ok() || first->body_case() != pb::Frame::kPullBatch) {
      ADD_FAILURE() << "no PullBatch: "
                    << (first.ok() ? first->error().message() : first.status().ToString());
      return {};
    }
    EXPECT_EQ(first->id(), f.id());
    pb::PullBatch batch = first->pull_batch();
    if (!batch.has_part()) return batch;
    EXPECT_EQ(batch.changes_size(), 0);
    wire::PartAssembler parts(wire::kMaxChangeBytes);
    const std::uint64_t seq = batch.part().relay_seq();
    for (;;) {
      Status s = parts.Add(batch.part());
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok() || parts.complete()) break;
      auto next = client_->Receive();
      EXPECT_TRUE(next.ok());
      if (!next.ok()) return {};
      EXPECT_EQ(next->id(), f.id());
      EXPECT_TRUE(next->pull_batch().has_part());
      batch = next->pull_batch();
      EXPECT_EQ(batch.part().relay_seq(), seq);
    }
    pb::PullBatch out;
    out.set_head_seq(batch.head_seq());
    out.set_more(batch.more());
    pb::StoredChange* sc = out.add_changes();
    sc->set_relay_seq(seq);
    EXPECT_TRUE(sc->mutable_change()->ParseFromString(parts.Take()));
    return out;
  }

  std::vector<pb::StoredChange> PullEverything() {
    std::vector<pb::StoredChange> out;
    std::uint64_t after = 0;
    for (int guard = 0; guard < 1000; ++guard) {
      pb::PullBatch b = PullReassembled(after);
      for (const auto& sc : b.changes()) {
        out.push_back(sc);
        after = sc.relay_seq();
      }
      if (!b.more()) break;
    }
    return out;
  }

  void ExpectNothingStored() {
    pb::Frame p = Pull(*client_, 0);
    ASSERT_EQ(p.body_case(), pb::Frame::kPullBatch);
    EXPECT_EQ(p.pull_batch().changes_size(), 0);
    EXPECT_FALSE(p.pull_batch().has_part());
    EXPECT_EQ(p.pull_batch().head_seq(), 0u);
  }

  void ExpectError(const pb::Frame& f, pb::ErrorCode code) {
    ASSERT_EQ(f.body_case(), pb::Frame::kError);
    EXPECT_EQ(f.error().code(), code) << f.error().message();
    EXPECT_FALSE(f.error().message().empty());
  }

  void ExpectPingWorks() {
    pb::Frame pong = Ping(*client_, 77);
    ASSERT_EQ(pong.body_case(), pb::Frame::kPong);
    EXPECT_EQ(pong.pong().nonce(), 77u);
  }

  std::unique_ptr<TestClient> client_;
  Chain chain_;
  std::uint64_t next_id_ = 1'000'000;
};

TEST_F(RelayLargeChange, WelcomeAnnouncesTheChangeLimit) {
  Start();
  EXPECT_EQ(client_->welcome().max_change_bytes(), wire::kMaxChangeBytes);
}

TEST_F(RelayLargeChange, PushesAndPullsLargeChangesByteForByte) {
  Start();
  pb::Change small1 = chain_.Next(100);
  pb::Change big340 = chain_.Next(340 * 1024);
  pb::Change big2m = chain_.Next(2 * 1024 * 1024);
  pb::Change small2 = chain_.Next(100);

  pb::Frame a1 = Push(*client_, {small1});
  ASSERT_EQ(a1.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(a1.push_ack().acks(0).relay_seq(), 1u);

  std::vector<pb::ChangePart> p340 = Parts(big340);
  ASSERT_GE(p340.size(), 6u);
  pb::Frame a2 = PushParts(p340);
  ASSERT_EQ(a2.body_case(), pb::Frame::kPushAck) << a2.error().message();
  ASSERT_EQ(a2.push_ack().acks_size(), 1);
  EXPECT_EQ(a2.push_ack().acks(0).refusal(), pb::REFUSAL_NONE) << a2.push_ack().acks(0).reason();
  EXPECT_EQ(a2.push_ack().acks(0).relay_seq(), 2u);
  EXPECT_EQ(a2.push_ack().acks(0).change_id(), p340[0].change_id());

  pb::Frame a3 = PushParts(Parts(big2m));
  ASSERT_EQ(a3.body_case(), pb::Frame::kPushAck) << a3.error().message();
  EXPECT_EQ(a3.push_ack().acks(0).relay_seq(), 3u);

  // Pushing the large change again stores it once.
  pb::Frame again = PushParts(p340);
  ASSERT_EQ(again.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(again.push_ack().acks(0).relay_seq(), 2u);

  pb::Frame a4 = Push(*client_, {small2});
  ASSERT_EQ(a4.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(a4.push_ack().acks(0).relay_seq(), 4u);

  // The small change before a large one comes alone, with `more`.
  pb::PullBatch first = PullReassembled(0);
  ASSERT_EQ(first.changes_size(), 1);
  EXPECT_EQ(first.changes(0).relay_seq(), 1u);
  EXPECT_TRUE(first.more());
  EXPECT_EQ(first.head_seq(), 4u);
  // A large change is served alone, in parts, with `more` while changes follow it.
  pb::PullBatch second = PullReassembled(1);
  ASSERT_EQ(second.changes_size(), 1);
  EXPECT_EQ(second.changes(0).relay_seq(), 2u);
  EXPECT_TRUE(second.more());

  auto all = PullEverything();
  ASSERT_EQ(all.size(), 4u);
  const pb::Change* expected[] = {&small1, &big340, &big2m, &small2};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i].relay_seq(), i + 1);
    EXPECT_EQ(all[i].change().SerializeAsString(), expected[i]->SerializeAsString())
        << "change " << i;
  }
  // The last change is small: the final answer is an ordinary batch without `more`.
  pb::PullBatch last = PullReassembled(3);
  ASSERT_EQ(last.changes_size(), 1);
  EXPECT_FALSE(last.more());
  EXPECT_FALSE(last.has_part());
}

TEST_F(RelayLargeChange, MalformedPartSequencesAreRefusedAndNothingIsStored) {
  Start();
  pb::Change big = chain_.Next(200 * 1024);
  const std::vector<pb::ChangePart> good = Parts(big);
  ASSERT_GE(good.size(), 4u);

  // Out of order: part 2 after part 0.
  ASSERT_EQ(SendPart(good[0]).body_case(), pb::Frame::kDone);
  ExpectError(SendPart(good[2]), pb::ERROR_MALFORMED);
  // The sequence was dropped: its next part belongs to nothing.
  ExpectError(SendPart(good[1]), pb::ERROR_MALFORMED);
  ExpectPingWorks();

  // A count that changes midway.
  {
    ASSERT_EQ(SendPart(good[0]).body_case(), pb::Frame::kDone);
    pb::ChangePart p = good[1];
    p.set_count(p.count() + 1);
    ExpectError(SendPart(p), pb::ERROR_MALFORMED);
  }
  // A change id that differs midway.
  {
    ASSERT_EQ(SendPart(good[0]).body_case(), pb::Frame::kDone);
    pb::ChangePart p = good[1];
    (*p.mutable_change_id())[0] ^= 1;
    ExpectError(SendPart(p), pb::ERROR_MALFORMED);
  }
  // The right bytes announced under another id: refused after reassembly.
  {
    std::vector<pb::ChangePart> forged = good;
    for (auto& p : forged) (*p.mutable_change_id())[5] ^= 1;
    ExpectError(PushParts(forged), pb::ERROR_MALFORMED);
  }
  // total_bytes larger than the bytes sent: the last part comes up short.
  {
    std::vector<pb::ChangePart> shortened = good;
    for (auto& p : shortened) p.set_total_bytes(p.total_bytes() + 1);
    ExpectError(PushParts(shortened), pb::ERROR_MALFORMED);
  }
  // More bytes than total_bytes.
  {
    std::vector<pb::ChangePart> overlong = good;
    overlong.back().mutable_data()->append("x");
    ExpectError(PushParts(overlong), pb::ERROR_MALFORMED);
  }
  // A single "part", an empty part, a part 0 while a change is open.
  {
    pb::ChangePart one = good[0];
    one.set_count(1);
    ExpectError(SendPart(one), pb::ERROR_MALFORMED);
    pb::ChangePart empty = good[0];
    empty.clear_data();
    ExpectError(SendPart(empty), pb::ERROR_MALFORMED);
    ASSERT_EQ(SendPart(good[0]).body_case(), pb::Frame::kDone);
    ExpectError(SendPart(good[0]), pb::ERROR_MALFORMED);
  }
  // Parts interrupted by another frame: the change is abandoned, the frame is answered.
  ASSERT_EQ(SendPart(good[0]).body_case(), pb::Frame::kDone);
  ExpectPingWorks();
  ExpectError(SendPart(good[1]), pb::ERROR_MALFORMED);
  // Parts with changes in the same push.
  {
    pb::Frame f;
    f.mutable_push()->set_vault(vault_.data(), vault_.size());
    *f.mutable_push()->mutable_part() = good[0];
    *f.mutable_push()->add_changes() = Chain(&admin_.identity, vault_).Next();
    ExpectError(Call(*client_, f), pb::ERROR_MALFORMED);
  }
  // Valid parts of bytes that are not a Change.
  {
    std::string junk(100'000, '\xff');
    ExpectError(PushParts(wire::SplitChange(junk, ChangeIdOf(big), wire::kChangePartData)),
                pb::ERROR_MALFORMED);
  }
  // A change pushed in parts whose signature does not verify: refused in the PushAck.
  {
    pb::Change forged = big;
    (*forged.mutable_signature())[0] ^= 1;
    pb::Frame a = PushParts(Parts(forged));
    ASSERT_EQ(a.body_case(), pb::Frame::kPushAck);
    EXPECT_EQ(a.push_ack().acks(0).refusal(), pb::REFUSAL_BAD_SIGNATURE);
    EXPECT_EQ(a.push_ack().acks(0).relay_seq(), 0u);
  }
  ExpectNothingStored();

  // After all that, the connection still works and the well-formed change is stored whole.
  pb::Frame ok = PushParts(good);
  ASSERT_EQ(ok.body_case(), pb::Frame::kPushAck) << ok.error().message();
  EXPECT_EQ(ok.push_ack().acks(0).relay_seq(), 1u);
  auto all = PullEverything();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].change().SerializeAsString(), big.SerializeAsString());
}

// A change over --max-change-bytes is refused on its part 0 as that one change:
// REFUSAL_TOO_LARGE in a PushAck, nothing allocated or stored, the connection unaffected.
TEST_F(RelayLargeChange, ChangesOverTheLimitAreRefusedBeforeAnyBuffer) {
  Start({"--max-change-bytes", "150000"});
  EXPECT_EQ(client_->welcome().max_change_bytes(), 150000u);
  pb::Change big = chain_.Next(200 * 1024);
  std::vector<pb::ChangePart> parts = Parts(big);
  auto expect_too_large = [](const pb::Frame& a) {
    ASSERT_EQ(a.body_case(), pb::Frame::kPushAck) << a.error().message();
    ASSERT_EQ(a.push_ack().acks_size(), 1);
    EXPECT_EQ(a.push_ack().acks(0).refusal(), pb::REFUSAL_TOO_LARGE);
    EXPECT_EQ(a.push_ack().acks(0).relay_seq(), 0u);
    EXPECT_NE(a.push_ack().acks(0).reason().find("150000"), std::string::npos)
        << a.push_ack().acks(0).reason();
  };
  expect_too_large(SendPart(parts[0]));
  ExpectError(SendPart(parts[1]), pb::ERROR_MALFORMED);  // nothing was opened
  // A first part announcing far more than any relay takes (nothing of it is allocated).
  pb::ChangePart huge = parts[0];
  huge.set_total_bytes(wire::kMaxChangeBytes * 64);
  huge.set_count(1'000'000);
  expect_too_large(SendPart(huge));
  ExpectPingWorks();
  ExpectNothingStored();
  // A change under the limit still goes through in parts.
  pb::Change fits = Chain(&admin_.identity, vault_).Next(100 * 1024);
  pb::Frame ok = PushParts(Parts(fits));
  ASSERT_EQ(ok.body_case(), pb::Frame::kPushAck) << ok.error().message();
  EXPECT_EQ(ok.push_ack().acks(0).relay_seq(), 1u);
}

// A change pushed whole over the whole-change limit (it still fits the frame) is refused
// REFUSAL_TOO_LARGE as that one change; a change just at the limit is stored.
TEST_F(RelayLargeChange, AWholeChangeOverTheWholeLimitIsRefusedAlone) {
  Start();
  auto sized = [&](std::size_t serialized) {
    const crypto::Bytes prev = chain_.seq == 0 ? crypto::Bytes{} : chain_.last_link;
    std::size_t body = 60000;
    pb::Change c = MakeChange(admin_.identity, vault_, chain_.seq + 1, prev, body);
    for (int i = 0; i < 4 && c.ByteSizeLong() != serialized; ++i) {  // the varints settle at once
      body = body + serialized - c.ByteSizeLong();
      c = MakeChange(admin_.identity, vault_, chain_.seq + 1, prev, body);
    }
    EXPECT_EQ(c.ByteSizeLong(), serialized);
    return c;
  };
  pb::Frame over = Push(*client_, {sized(wire::kMaxWholeChangeBytes + 1)});
  ASSERT_EQ(over.body_case(), pb::Frame::kPushAck) << over.error().message();
  EXPECT_EQ(over.push_ack().acks(0).refusal(), pb::REFUSAL_TOO_LARGE);
  ExpectNothingStored();
  pb::Frame at = Push(*client_, {sized(wire::kMaxWholeChangeBytes)});
  ASSERT_EQ(at.body_case(), pb::Frame::kPushAck) << at.error().message();
  EXPECT_EQ(at.push_ack().acks(0).refusal(), pb::REFUSAL_NONE) << at.push_ack().acks(0).reason();
  EXPECT_EQ(at.push_ack().acks(0).relay_seq(), 1u);
}

TEST_F(RelayLargeChange, OtherConnectionsAreUnaffectedByAnOpenChange) {
  Start();
  SetMembers(*client_, {&member_}, 1);
  auto other = Connect(member_);
  ASSERT_NE(other, nullptr);
  pb::Change big = chain_.Next(300 * 1024);
  std::vector<pb::ChangePart> parts = Parts(big);
  ASSERT_EQ(SendPart(parts[0]).body_case(), pb::Frame::kDone);
  // Meanwhile another device pushes and pulls as usual.
  Chain theirs(&member_.identity, vault_);
  pb::Frame a = Push(*other, {theirs.Next(100)});
  ASSERT_EQ(a.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(a.push_ack().acks(0).relay_seq(), 1u);
  for (std::size_t i = 1; i + 1 < parts.size(); ++i)
    ASSERT_EQ(SendPart(parts[i]).body_case(), pb::Frame::kDone);
  pb::Frame last = SendPart(parts.back());
  ASSERT_EQ(last.body_case(), pb::Frame::kPushAck);
  EXPECT_EQ(last.push_ack().acks(0).relay_seq(), 2u);
  // An abandoned change on a connection that closes leaves nothing behind.
  auto third = Connect(admin_);
  ASSERT_NE(third, nullptr);
  pb::Change other_big = Chain(&admin_.identity, vault_).Next(300 * 1024);
  pb::Frame f;
  f.mutable_push()->set_vault(vault_.data(), vault_.size());
  *f.mutable_push()->mutable_part() = Parts(other_big)[0];
  ASSERT_EQ(Call(*third, f).body_case(), pb::Frame::kDone);
  third.reset();
  pb::Frame p = Pull(*other, 2);
  ASSERT_EQ(p.body_case(), pb::Frame::kPullBatch);
  EXPECT_EQ(p.pull_batch().head_seq(), 2u);
  EXPECT_EQ(p.pull_batch().changes_size(), 0);
}

}  // namespace
}  // namespace parley::testing
