// The relay killed with SIGKILL in the middle of pushes, many times: every change it
// acknowledged is there after the restart, with the number it was acknowledged with, and
// the vault's sequence has no gap.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <random>
#include <thread>

#include "relay_fixture.h"

namespace parley::testing {
namespace {

constexpr int kRestarts = 50;

// One device pushing its chain, one push of a few changes at a time, each waiting for its
// ack, until the connection dies. Acks are recorded as they arrive.
// Acknowledged pushes of every pusher, for the test to wait on.
struct Progress {
  std::mutex mu;
  std::condition_variable cv;
  int pushes = 0;
  int finished = 0;
  void Add(int n, int done) {
    {
      std::lock_guard<std::mutex> lock(mu);
      pushes += n;
      finished += done;
    }
    cv.notify_all();
  }
};

class Pusher {
 public:
  Pusher(const Device& d, const crypto::Bytes& vault, Progress& progress)
      : device_(d), vault_(vault), progress_(progress) {}

  // Changes of this device's chain (made once, pushed again after each crash).
  pb::Change& At(std::size_t i) {
    while (made_.size() <= i) made_.push_back(chain_.Next(100));
    return made_[i];
  }
  void Run(std::uint16_t port, const crypto::Bytes& relay_key) {
    RunUntilCut(port, relay_key);
    progress_.Add(0, 1);
  }
  void RunUntilCut(std::uint16_t port, const crypto::Bytes& relay_key) {
    auto c = TestClient::Connect(port, relay_key, device_);
    if (!c.ok()) return;
    // Resume after the last acknowledged change; the relay may hold more (stored but not
    // acknowledged before the kill): those come back as already held.
    std::size_t next = acked_count_;
    for (;;) {
      pb::Frame f;
      f.mutable_push()->set_vault(vault_.data(), vault_.size());
      const std::size_t n = 1 + next % 4;
      for (std::size_t i = 0; i < n; ++i) *f.mutable_push()->add_changes() = At(next + i);
      auto r = (*c)->Call(f);
      if (!r.ok() || r->body_case() != pb::Frame::kPushAck) return;
      for (int i = 0; i < r->push_ack().acks_size(); ++i) {
        const auto& a = r->push_ack().acks(i);
        if (a.refusal() != pb::REFUSAL_NONE) {
          failures_.fetch_add(1);
          return;
        }
        std::lock_guard<std::mutex> lock(mu_);
        acked_[ChangeIdOf(made_[next + i])] = a.relay_seq();
      }
      next += n;
      acked_count_ = next;
      progress_.Add(1, 0);
    }
  }
  std::map<crypto::Bytes, std::uint64_t> acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  std::atomic<int> failures_{0};

 private:
  const Device& device_;
  crypto::Bytes vault_;
  Chain chain_{&device_.identity, vault_};
  Progress& progress_;
  std::vector<pb::Change> made_;
  std::size_t acked_count_ = 0;
  std::mutex mu_;
  std::map<crypto::Bytes, std::uint64_t> acked_;
};

class RelayCrash : public RelayFixture {};

TEST_F(RelayCrash, AcknowledgedChangesSurviveSigkill) {
  StartRelay();
  {
    auto admin = Connect(admin_);
    ASSERT_NE(admin, nullptr);
    Register(*admin);
    ASSERT_EQ(SetMembers(*admin, {&member_}, 1).body_case(), pb::Frame::kDone);
  }
  Progress progress;
  Pusher a(admin_, vault_, progress), b(member_, vault_, progress);
  std::mt19937 rng(12345);
  for (int round = 0; round < kRestarts; ++round) {
    if (round > 0) StartRelay();
    ASSERT_FALSE(HasFatalFailure());
    // Check everything acknowledged so far.
    auto check = Connect(admin_);
    ASSERT_NE(check, nullptr);
    auto all = PullAll(*check);
    for (std::size_t i = 0; i < all.size(); ++i)
      ASSERT_EQ(all[i].relay_seq(), i + 1) << "gap, round " << round;
    std::map<crypto::Bytes, std::uint64_t> held;
    for (const auto& sc : all) held[ChangeIdOf(sc.change())] = sc.relay_seq();
    for (Pusher* p : {&a, &b}) {
      for (const auto& [id, seq] : p->acked()) {
        auto it = held.find(id);
        ASSERT_NE(it, held.end()) << "an acknowledged change is missing after restart " << round;
        EXPECT_EQ(it->second, seq);
      }
    }
    check.reset();
    // Push from two devices at once; kill after a random number of acknowledged pushes,
    // while both keep pushing.
    int target;
    {
      std::lock_guard<std::mutex> lock(progress.mu);
      target = progress.pushes + 1 + static_cast<int>(rng() % 6);
      progress.finished = 0;
    }
    const std::uint16_t port = relay_->port();
    const crypto::Bytes key = relay_->public_key();
    std::thread ta([&] { a.Run(port, key); });
    std::thread tb([&] { b.Run(port, key); });
    {
      std::unique_lock<std::mutex> lock(progress.mu);
      EXPECT_TRUE(progress.cv.wait_for(lock, std::chrono::seconds(30), [&] {
        return progress.pushes >= target || progress.finished == 2;
      }));
    }
    relay_->Kill();
    ta.join();
    tb.join();
  }
  EXPECT_EQ(a.failures_.load() + b.failures_.load(), 0);
  EXPECT_GT(a.acked().size() + b.acked().size(), static_cast<std::size_t>(kRestarts));
}

}  // namespace
}  // namespace parley::testing
