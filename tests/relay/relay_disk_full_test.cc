// A relay whose storage runs out of room while devices push: the parley-relay process may
// not grow any file past 1 MiB (RLIMIT_FSIZE, writes failing with EFBIG as on a full disk).
// The push that does not fit is answered ERROR_UNAVAILABLE (docs/wire-protocol.md §4:
// storage failure, nothing of the request stored, resend after retry_after_ms); the relay
// keeps serving other connections; every acknowledged change, and only those, is served
// after a restart with room, with the number it was acknowledged with.
#include <map>

#include "relay_fixture.h"

namespace parley::testing {
namespace {

constexpr std::int64_t kFileSizeLimit = 1 << 20;
constexpr int kChangesPerPush = 10;
constexpr std::size_t kBodyBytes = 2000;

class RelayDiskFull : public RelayFixture {
 protected:
  // Starts the relay over `dir_`/relay, with the file size limit or without.
  void StartRelayLimited(bool limited) {
    relay_ = std::make_unique<RelayProcess>(dir_.Sub("relay"));
    if (limited) relay_->set_file_size_limit(kFileSizeLimit);
    Status s = relay_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::vector<pb::Change> NextPush(Chain& chain) {
    std::vector<pb::Change> out;
    for (int i = 0; i < kChangesPerPush; ++i) out.push_back(chain.Next(kBodyBytes));
    return out;
  }
  // Records the acks of a PushAck for `changes`; every change must be stored or held.
  void RecordAcks(const pb::Frame& r, const std::vector<pb::Change>& changes) {
    ASSERT_EQ(r.body_case(), pb::Frame::kPushAck) << r.error().message();
    ASSERT_EQ(r.push_ack().acks_size(), static_cast<int>(changes.size()));
    for (int i = 0; i < r.push_ack().acks_size(); ++i) {
      const pb::ChangeAck& a = r.push_ack().acks(i);
      ASSERT_EQ(a.refusal(), pb::REFUSAL_NONE) << a.reason();
      ASSERT_GT(a.relay_seq(), 0u);
      acked_[ChangeIdOf(changes[static_cast<std::size_t>(i)])] = a.relay_seq();
    }
  }
  static void ExpectStorageFull(const pb::Frame& r) {
    ASSERT_EQ(r.body_case(), pb::Frame::kError);
    EXPECT_EQ(r.error().code(), pb::ERROR_UNAVAILABLE) << r.error().message();
    EXPECT_EQ(r.error().message(), "storage unavailable");
    EXPECT_GT(r.error().retry_after_ms(), 0u);
  }
  // What the relay serves is exactly what it acknowledged, each with its number, no gap.
  void ExpectServesExactlyAcked() {
    auto c = Connect(admin_);
    ASSERT_NE(c, nullptr);
    auto all = PullAll(*c);
    ASSERT_EQ(all.size(), acked_.size());
    std::map<crypto::Bytes, std::uint64_t> served;
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].relay_seq(), i + 1) << "gap";
      served[ChangeIdOf(all[i].change())] = all[i].relay_seq();
    }
    EXPECT_EQ(served, acked_);
  }

  std::map<crypto::Bytes, std::uint64_t> acked_;
};

TEST_F(RelayDiskFull, RefusesPushesWhenFullAndLosesNothingAcknowledged) {
  StartRelayLimited(true);
  {
    auto admin = Connect(admin_);
    ASSERT_NE(admin, nullptr);
    Register(*admin);
    ASSERT_EQ(SetMembers(*admin, {&member_}, 1).body_case(), pb::Frame::kDone);
  }
  auto pusher = Connect(admin_);
  ASSERT_NE(pusher, nullptr);
  Chain chain(&admin_.identity, vault_);
  // Push until the storage cannot take more: the limit allows at most ~50 pushes.
  std::vector<pb::Change> refused;
  for (int push = 0; push < 200 && refused.empty(); ++push) {
    std::vector<pb::Change> changes = NextPush(chain);
    pb::Frame r = Push(*pusher, changes);
    if (r.body_case() == pb::Frame::kError) {
      ExpectStorageFull(r);
      refused = std::move(changes);
    } else {
      RecordAcks(r, changes);
    }
    ASSERT_FALSE(HasFatalFailure());
  }
  ASSERT_FALSE(refused.empty()) << "the relay never ran out of room";
  ASSERT_GT(acked_.size(), 0u) << "the relay was full from the start";
  EXPECT_TRUE(relay_->WaitForLog("event=storage_error"));

  // Still full: the same push again, and another device's push, are refused the same way.
  ExpectStorageFull(Push(*pusher, refused));
  {
    auto member = Connect(member_);
    ASSERT_NE(member, nullptr);
    Chain other(&member_.identity, vault_);
    ExpectStorageFull(Push(*member, NextPush(other)));
  }
  // The relay still answers, on the pushing connection and on a new one: Ping, and a Pull
  // serving exactly what was acknowledged.
  EXPECT_EQ(Ping(*pusher, 7).body_case(), pb::Frame::kPong);
  ExpectServesExactlyAcked();
  pusher.reset();
  // It stops cleanly while full.
  EXPECT_EQ(relay_->Terminate(), 0) << relay_->Log();

  // Restarted with room: everything acknowledged is there, numbered as acknowledged, and
  // nothing of the refused pushes.
  StartRelayLimited(false);
  ExpectServesExactlyAcked();
  // The refused push goes through now and extends the sequence without a gap.
  auto again = Connect(admin_);
  ASSERT_NE(again, nullptr);
  RecordAcks(Push(*again, refused), refused);
  ASSERT_FALSE(HasFatalFailure());
  std::vector<pb::Change> more = NextPush(chain);
  RecordAcks(Push(*again, more), more);
  ASSERT_FALSE(HasFatalFailure());
  ExpectServesExactlyAcked();
  EXPECT_EQ(relay_->CountLog("event=storage_error"), 0);
}

}  // namespace
}  // namespace parley::testing
