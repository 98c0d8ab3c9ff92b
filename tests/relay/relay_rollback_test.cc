// The Pull cursor check and the author heads (docs/wire-protocol.md, "Rollback") against a
// real parley-relay process whose data directory is replaced by an older copy of itself.
#include <filesystem>
#include <map>

#include "parley/sync/change_parts.h"
#include "relay_fixture.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

using Heads = std::map<crypto::Bytes, std::uint64_t>;

crypto::Bytes Key(const Device& d) {
  return crypto::Bytes(d.identity.public_key.begin(), d.identity.public_key.end());
}

class RelayRollback : public RelayFixture {
 protected:
  void SetUp() override {
    StartWithVault();
    if (HasFatalFailure()) return;
    ASSERT_EQ(SetMembers(*admin_client_, {&member_}, 1).body_case(), pb::Frame::kDone);
  }

  // Pushes `n` more changes of `chain`; returns their ids in order (the changes are added to
  // pushed_).
  std::vector<crypto::Bytes> PushMore(Chain& chain, int n) {
    std::vector<pb::Change> changes;
    std::vector<crypto::Bytes> ids;
    for (int i = 0; i < n; ++i) {
      crypto::Bytes id;
      changes.push_back(chain.Next(100, &id));
      ids.push_back(id);
      pushed_.push_back(changes.back());
    }
    pb::Frame ack = Push(*admin_client_, changes);
    EXPECT_EQ(ack.body_case(), pb::Frame::kPushAck) << ack.error().message();
    for (const auto& a : ack.push_ack().acks())
      EXPECT_EQ(a.refusal(), pb::REFUSAL_NONE) << a.reason();
    return ids;
  }

  pb::PullBatch PullAt(std::uint64_t after, const crypto::Bytes& after_id,
                       std::uint32_t max_bytes = 0) {
    pb::Frame f;
    f.mutable_pull()->set_vault(vault_.data(), vault_.size());
    f.mutable_pull()->set_after_seq(after);
    f.mutable_pull()->set_after_change_id(after_id.data(), after_id.size());
    f.mutable_pull()->set_max_bytes(max_bytes);
    pb::Frame r = Call(*admin_client_, f);
    EXPECT_EQ(r.body_case(), pb::Frame::kPullBatch) << r.error().message();
    return r.pull_batch();
  }

  static Heads HeadsOf(const pb::PullBatch& b) {
    Heads out;
    for (const auto& h : b.heads()) {
      EXPECT_TRUE(out.emplace(crypto::Bytes(h.author().begin(), h.author().end()), h.seq()).second)
          << "an author listed twice";
    }
    return out;
  }

  // Stops the relay (cleanly: what it acknowledged is in its files) and restarts it after
  // `between` ran; the admin reconnects.
  template <typename Fn>
  void Restart(Fn between) {
    admin_client_.reset();
    ASSERT_TRUE(relay_->Stop().ok());
    between();
    ASSERT_TRUE(relay_->Start().ok());
    admin_client_ = Connect(admin_);
    ASSERT_NE(admin_client_, nullptr);
  }

  std::string data() const { return dir_.Sub("relay"); }
  std::string copy() const { return dir_.Sub("relay-older"); }
  std::vector<pb::Change> pushed_;
};

TEST_F(RelayRollback, APullBeyondAnOlderCopyOfTheRelayIsAnsweredRewound) {
  Chain mine(&admin_.identity, vault_);
  Chain theirs(&member_.identity, vault_);
  std::vector<crypto::Bytes> ids = PushMore(mine, 3);  // relay_seq 1..3
  Restart([&] { fs::copy(data(), copy(), fs::copy_options::recursive); });
  if (HasFatalFailure()) return;
  for (const auto& id : PushMore(mine, 2)) ids.push_back(id);  // relay_seq 4, 5
  {
    pb::PullBatch b = PullAt(5, ids[4]);
    EXPECT_FALSE(b.rewound());
    EXPECT_EQ(b.changes_size(), 0);
    EXPECT_EQ(b.head_seq(), 5u);
    EXPECT_EQ(HeadsOf(b), (Heads{{Key(admin_), 5}}));
  }
  Restart([&] {
    fs::remove_all(data());
    fs::copy(copy(), data(), fs::copy_options::recursive);
  });
  if (HasFatalFailure()) return;

  // The device's cursor (5, id of change 5) is past the relay's head: rewound, and the
  // heads show what the relay holds now.
  pb::PullBatch b = PullAt(5, ids[4]);
  EXPECT_TRUE(b.rewound());
  EXPECT_EQ(b.changes_size(), 0);
  EXPECT_FALSE(b.more());
  EXPECT_EQ(b.head_seq(), 3u);
  EXPECT_EQ(HeadsOf(b), (Heads{{Key(admin_), 3}}));
  // A cursor the older copy holds is served as before.
  pb::PullBatch at3 = PullAt(3, ids[2]);
  EXPECT_FALSE(at3.rewound());
  EXPECT_EQ(HeadsOf(at3), (Heads{{Key(admin_), 3}}));
  pb::PullBatch at1 = PullAt(1, ids[0]);
  EXPECT_FALSE(at1.rewound());
  EXPECT_EQ(at1.changes_size(), 2);

  // Once another change takes relay_seq 4, a cursor at 4 with the old id is still rewound.
  pb::Frame ack = Push(*admin_client_, {theirs.Next(100)});
  ASSERT_EQ(ack.push_ack().acks(0).relay_seq(), 4u);
  pb::PullBatch b4 = PullAt(4, ids[3]);
  EXPECT_TRUE(b4.rewound());
  EXPECT_EQ(b4.head_seq(), 4u);
  EXPECT_EQ(HeadsOf(b4), (Heads{{Key(admin_), 3}, {Key(member_), 1}}));
  // A new change of the device alone does not extend what the relay holds; re-sent after its
  // own changes above its head (4 and 5), all are taken.
  pb::Change sixth = mine.Next(100);
  EXPECT_EQ(Push(*admin_client_, {sixth}).push_ack().acks(0).refusal(), pb::REFUSAL_BROKEN_CHAIN);
  pb::Frame resent = Push(*admin_client_, {pushed_[3], pushed_[4], sixth});
  ASSERT_EQ(resent.push_ack().acks_size(), 3);
  for (const auto& a : resent.push_ack().acks())
    EXPECT_EQ(a.refusal(), pb::REFUSAL_NONE) << a.reason();
  EXPECT_EQ(HeadsOf(PullAt(0, {})), (Heads{{Key(admin_), 6}, {Key(member_), 1}}));
}

TEST_F(RelayRollback, ACursorWhoseIdDiffersIsRewoundAndAnEmptyIdIsNotChecked) {
  Chain mine(&admin_.identity, vault_);
  std::vector<crypto::Bytes> ids = PushMore(mine, 2);
  pb::PullBatch wrong = PullAt(2, ids[0]);
  EXPECT_TRUE(wrong.rewound());
  EXPECT_EQ(wrong.changes_size(), 0);
  EXPECT_EQ(wrong.head_seq(), 2u);
  pb::PullBatch beyond = PullAt(9, ids[1]);
  EXPECT_TRUE(beyond.rewound());
  // Without an id the cursor is not checked (the answer of a relay before this check).
  pb::PullBatch unchecked = PullAt(9, {});
  EXPECT_FALSE(unchecked.rewound());
  EXPECT_EQ(unchecked.changes_size(), 0);
  pb::PullBatch from0 = PullAt(0, {});
  EXPECT_FALSE(from0.rewound());
  EXPECT_EQ(from0.changes_size(), 2);
  EXPECT_EQ(HeadsOf(from0), (Heads{{Key(admin_), 2}}));
  // An id that is not 32 bytes is malformed.
  pb::Frame f;
  f.mutable_pull()->set_vault(vault_.data(), vault_.size());
  f.mutable_pull()->set_after_seq(1);
  f.mutable_pull()->set_after_change_id("short");
  EXPECT_EQ(Call(*admin_client_, f).error().code(), pb::ERROR_MALFORMED);
}

TEST_F(RelayRollback, HeadsComeWithTheLastBatchOnly) {
  Chain mine(&admin_.identity, vault_);
  Chain theirs(&member_.identity, vault_);
  for (int round = 0; round < 3; ++round) {
    std::vector<pb::Change> changes;
    for (int i = 0; i < 5; ++i) {
      changes.push_back(mine.Next(2000));
      changes.push_back(theirs.Next(2000));
    }
    ASSERT_EQ(Push(*admin_client_, changes).body_case(), pb::Frame::kPushAck);
  }
  // An empty vault-wide answer (up to date) carries them too.
  std::uint64_t after = 0;
  crypto::Bytes after_id;
  int batches = 0;
  for (;;) {
    pb::PullBatch b = PullAt(after, after_id, 10000);
    ++batches;
    EXPECT_FALSE(b.rewound());
    if (b.more()) {
      EXPECT_EQ(b.heads_size(), 0);
    } else {
      EXPECT_EQ(HeadsOf(b), (Heads{{Key(admin_), 15}, {Key(member_), 15}}));
      break;
    }
    ASSERT_GT(b.changes_size(), 0);
    after = b.changes(b.changes_size() - 1).relay_seq();
    after_id = ChangeIdOf(b.changes(b.changes_size() - 1).change());
  }
  EXPECT_GT(batches, 2);
  pb::PullBatch up_to_date = PullAt(30, after_id);
  EXPECT_EQ(up_to_date.changes_size(), 0);
  EXPECT_EQ(HeadsOf(up_to_date), (Heads{{Key(admin_), 15}, {Key(member_), 15}}));
}

// The last change of a pull served in parts: its parts carry the heads (or, if they did not
// fit, `more` sends the device back for an empty answer that does).
TEST_F(RelayRollback, HeadsAfterAChangeServedInParts) {
  Chain mine(&admin_.identity, vault_);
  pb::Change big = mine.Next(100 * 1024);
  crypto::Bytes id = ChangeIdOf(big);
  std::vector<pb::ChangePart> parts = wire::SplitChange(big.SerializeAsString(), id);
  for (const pb::ChangePart& p : parts) {
    pb::Frame f;
    f.mutable_push()->set_vault(vault_.data(), vault_.size());
    *f.mutable_push()->mutable_part() = p;
    pb::Frame a = Call(*admin_client_, f);
    ASSERT_NE(a.body_case(), pb::Frame::kError) << a.error().message();
  }
  pb::Frame f;
  f.set_id(1000);
  f.mutable_pull()->set_vault(vault_.data(), vault_.size());
  ASSERT_TRUE(admin_client_->Send(f).ok());
  pb::PullBatch last;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto r = admin_client_->Receive();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->pull_batch().has_part());
    last = r->pull_batch();
    if (i + 1 < parts.size()) {
      EXPECT_EQ(last.heads_size(), 0);
    }
  }
  EXPECT_FALSE(last.more());
  EXPECT_EQ(HeadsOf(last), (Heads{{Key(admin_), 1}}));
}

}  // namespace
}  // namespace parley::testing
