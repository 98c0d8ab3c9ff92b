// Several relay instances over one PostgreSQL server, started by the test
// (support/postgres_server.h), under the faults an operator meets: an instance SIGKILLed in
// the middle of pushes while another serves, the PostgreSQL server killed and restarted, a
// full tablespace. In each: every acknowledged change is there with the number it was
// acknowledged with, the vault's sequence has no gap, and every instance serves the same
// changes (devices converge).
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <thread>

#include "parley/platform/posix_env.h"
#include "relay_fixture.h"
#include "support/postgres_server.h"

namespace parley::testing {
namespace {

// Acknowledged pushes of every pusher, for the test to wait on.
struct Progress {
  std::mutex mu;
  std::condition_variable cv;
  int pushes = 0;
  void Add() {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++pushes;
    }
    cv.notify_all();
  }
  // Waits until `n` pushes were acknowledged in all; false after 60 s.
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(60), [&] { return pushes >= n; });
  }
};

// One device pushing a chain of `total` changes, a few per push, through whichever relay
// instance answers: after a cut connection or an unavailable answer it moves on to the next
// port of the list and resumes after its last acknowledged change (changes the relay stored
// without acknowledging come back as already held, with their number).
class Pusher {
 public:
  Pusher(const Device& d, const crypto::Bytes& vault, std::size_t total, Progress& progress)
      : device_(d), vault_(vault), progress_(progress) {
    for (std::size_t i = 0; i < total; ++i) made_.push_back(chain_.Next(200));
  }

  // Pushes until every change is acknowledged or `give_up` says so. `ports()` is read at
  // each connection attempt (the test may change it).
  void Run(const std::function<std::vector<std::uint16_t>()>& ports, const crypto::Bytes& key,
           const std::atomic<bool>& give_up) {
    std::size_t attempt = 0;
    while (next_ < made_.size() && !give_up.load()) {
      const std::vector<std::uint16_t> list = ports();
      auto c = TestClient::Connect(list[attempt++ % list.size()], key, device_);
      if (!c.ok()) continue;  // a killed instance or a restarting server: the next one
      PushOver(**c, give_up);
    }
  }

  std::map<crypto::Bytes, std::uint64_t> acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  bool done() const { return next_ == made_.size(); }
  std::atomic<int> refusals{0};

 private:
  void PushOver(TestClient& c, const std::atomic<bool>& give_up) {
    while (next_ < made_.size() && !give_up.load()) {
      pb::Frame f;
      f.mutable_push()->set_vault(vault_.data(), vault_.size());
      const std::size_t n = std::min<std::size_t>(1 + next_ % 4, made_.size() - next_);
      for (std::size_t i = 0; i < n; ++i) *f.mutable_push()->add_changes() = made_[next_ + i];
      auto r = c.Call(f);
      if (!r.ok()) return;  // cut: reconnect
      if (r->body_case() == pb::Frame::kError) {
        if (r->error().code() == pb::ERROR_UNAVAILABLE) {
          std::this_thread::sleep_for(std::chrono::milliseconds(r->error().retry_after_ms()));
          continue;  // storage away: retry as a device does, after the time it was told
        }
        refusals.fetch_add(1);
        return;
      }
      if (r->body_case() != pb::Frame::kPushAck ||
          r->push_ack().acks_size() != static_cast<int>(n)) {
        refusals.fetch_add(1);
        return;
      }
      for (int i = 0; i < r->push_ack().acks_size(); ++i) {
        const auto& a = r->push_ack().acks(i);
        if (a.refusal() != pb::REFUSAL_NONE || a.relay_seq() == 0) {
          refusals.fetch_add(1);
          return;
        }
        std::lock_guard<std::mutex> lock(mu_);
        acked_[ChangeIdOf(made_[next_ + static_cast<std::size_t>(i)])] = a.relay_seq();
      }
      next_ += n;
      progress_.Add();
    }
  }

  const Device& device_;
  crypto::Bytes vault_;
  Chain chain_{&device_.identity, vault_};
  Progress& progress_;
  std::vector<pb::Change> made_;
  std::atomic<std::size_t> next_{0};
  std::mutex mu_;
  std::map<crypto::Bytes, std::uint64_t> acked_;
};

class RelayPostgres : public RelayFixture {
 protected:
  void SetUp() override {
    pg_ = std::make_unique<PostgresServer>();
    Status s = pg_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Instance `i` of the relay over the test's PostgreSQL, with the first instance's key.
  std::unique_ptr<RelayProcess> Instance(int i) {
    const std::string data = dir_.Sub("relay" + std::to_string(i));
    if (i > 0) {
      Env& env = PosixEnv();
      EXPECT_TRUE(env.CreateDirs(data).ok());
      auto key = env.ReadFile(JoinPath(dir_.Sub("relay0"), "relay.key"));
      EXPECT_TRUE(key.ok());
      if (key.ok()) {
        EXPECT_TRUE(env.WriteFileAtomic(JoinPath(data, "relay.key"), *key).ok());
      }
    }
    auto r = std::make_unique<RelayProcess>(
        data, std::vector<std::string>{"--storage", pg_->uri(), "--admission", "open"});
    Status s = r->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return r;
  }
  // Registers the vault through `relay` with admin_ as admin and member_ as member.
  void RegisterThrough(RelayProcess& relay) {
    auto admin = TestClient::Connect(relay.port(), relay.public_key(), admin_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    Register(**admin);
    ASSERT_EQ(SetMembers(**admin, {&member_}, 1).body_case(), pb::Frame::kDone);
  }
  // Connects `device` to `relay`. After the PostgreSQL server came back, the relay's storage
  // connections find it again at their next call: the first connections may be turned away
  // meanwhile ("storage unavailable"), so this connects again with backoff, as devices do.
  std::unique_ptr<TestClient> ConnectAgain(RelayProcess& relay, const Device& device) {
    auto c = TestClient::Connect(relay.port(), relay.public_key(), device);
    for (int i = 0; i < 20 && !c.ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << std::min(i, 4)));  // backoff
      c = TestClient::Connect(relay.port(), relay.public_key(), device);
    }
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // Every acknowledged change is served by `relay` with its number; no gap; returns the
  // (relay seq -> change id) the relay serves.
  std::map<std::uint64_t, crypto::Bytes> CheckServed(RelayProcess& relay,
                                                     std::vector<Pusher*> pushers) {
    std::map<std::uint64_t, crypto::Bytes> served;
    auto c = ConnectAgain(relay, admin_);
    if (c == nullptr) return served;
    auto all = PullAll(*c);
    std::map<crypto::Bytes, std::uint64_t> held;
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].relay_seq(), i + 1) << "a gap in the vault's sequence";
      held[ChangeIdOf(all[i].change())] = all[i].relay_seq();
      served[all[i].relay_seq()] = ChangeIdOf(all[i].change());
    }
    EXPECT_EQ(held.size(), all.size()) << "a change served twice";
    for (Pusher* p : pushers) {
      for (const auto& [id, seq] : p->acked()) {
        auto it = held.find(id);
        EXPECT_NE(it, held.end()) << "an acknowledged change is missing";
        if (it != held.end()) {
          EXPECT_EQ(it->second, seq);
        }
      }
    }
    return served;
  }

  std::unique_ptr<PostgresServer> pg_;
};

TEST_F(RelayPostgres, InstanceKilledDuringPushesWhileAnotherServes) {
  auto a = Instance(0);
  auto b = Instance(1);
  ASSERT_FALSE(HasFailure());
  RegisterThrough(*a);
  ASSERT_FALSE(HasFatalFailure());
  Progress progress;
  Pusher p1(admin_, vault_, 120, progress), p2(member_, vault_, 120, progress);
  std::atomic<bool> give_up{false};
  std::atomic<bool> a_alive{true};
  const std::uint16_t port_a = a->port(), port_b = b->port();
  auto ports = [&] {
    return a_alive.load() ? std::vector<std::uint16_t>{port_a, port_b}
                          : std::vector<std::uint16_t>{port_b};
  };
  std::thread t1([&] { p1.Run(ports, a->public_key(), give_up); });
  std::thread t2([&] { p2.Run(ports, a->public_key(), give_up); });
  // Both instances take pushes; instance A dies in the middle of them.
  EXPECT_TRUE(progress.WaitFor(20));
  a_alive = false;
  a->Kill();
  // The other instance takes the rest (and every change A stored without acknowledging is
  // answered as already held).
  const bool finished = [&] {
    for (int i = 0; i < 600 && !(p1.done() && p2.done()); ++i) {
      std::unique_lock<std::mutex> lock(progress.mu);
      progress.cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    return p1.done() && p2.done();
  }();
  give_up = true;
  t1.join();
  t2.join();
  ASSERT_TRUE(finished) << "the pushes did not finish through the surviving instance";
  EXPECT_EQ(p1.refusals.load() + p2.refusals.load(), 0);
  auto served_b = CheckServed(*b, {&p1, &p2});
  EXPECT_EQ(served_b.size(), 240u);
  // A restarted instance serves exactly what the other does.
  auto a2 = Instance(0);
  EXPECT_EQ(CheckServed(*a2, {&p1, &p2}), served_b);
}

TEST_F(RelayPostgres, ServerKilledAndRestartedDuringPushes) {
  auto a = Instance(0);
  ASSERT_FALSE(HasFailure());
  RegisterThrough(*a);
  ASSERT_FALSE(HasFatalFailure());
  Progress progress;
  Pusher p1(admin_, vault_, 100, progress), p2(member_, vault_, 100, progress);
  std::atomic<bool> give_up{false};
  const std::uint16_t port = a->port();
  auto ports = [port] { return std::vector<std::uint16_t>{port}; };
  std::thread t1([&] { p1.Run(ports, a->public_key(), give_up); });
  std::thread t2([&] { p2.Run(ports, a->public_key(), give_up); });
  EXPECT_TRUE(progress.WaitFor(10));
  pg_->Kill();  // SIGKILL of the postmaster: every open connection of the relay is gone
  ASSERT_TRUE(pg_->Start().ok());
  const bool finished = [&] {
    for (int i = 0; i < 600 && !(p1.done() && p2.done()); ++i) {
      std::unique_lock<std::mutex> lock(progress.mu);
      progress.cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    return p1.done() && p2.done();
  }();
  give_up = true;
  t1.join();
  t2.join();
  ASSERT_TRUE(finished) << "the pushes did not finish after PostgreSQL came back";
  EXPECT_EQ(p1.refusals.load() + p2.refusals.load(), 0);
  EXPECT_EQ(CheckServed(*a, {&p1, &p2}).size(), 200u);
  EXPECT_TRUE(a->WaitForLog("event=push", 1));
}

TEST_F(RelayPostgres, FullTablespaceRefusesWithoutLoss) {
  // PostgreSQL may not make any file larger than 24 MiB (RLIMIT_FSIZE: the write fails with
  // EFBIG as on a full disk); WAL segments are 16 MiB, so only the tables fill up.
  pg_->Kill();
  pg_->set_file_size_limit(24 << 20);
  ASSERT_TRUE(pg_->Start().ok());
  auto a = Instance(0);
  ASSERT_FALSE(HasFailure());
  RegisterThrough(*a);
  ASSERT_FALSE(HasFatalFailure());
  auto c = TestClient::Connect(a->port(), a->public_key(), admin_);
  ASSERT_TRUE(c.ok());
  Chain chain(&admin_.identity, vault_);
  std::map<crypto::Bytes, std::uint64_t> acked;
  std::vector<pb::Change> pending;
  bool full = false;
  for (int i = 0; i < 2000 && !full; ++i) {
    pending.push_back(chain.Next(30'000));
    pb::Frame r = Push(**c, {pending.back()});
    if (r.body_case() == pb::Frame::kError) {
      ASSERT_EQ(r.error().code(), pb::ERROR_UNAVAILABLE) << r.error().message();
      full = true;
      break;
    }
    ASSERT_EQ(r.body_case(), pb::Frame::kPushAck);
    acked[ChangeIdOf(pending.back())] = r.push_ack().acks(0).relay_seq();
    pending.pop_back();
  }
  ASSERT_TRUE(full) << "the tablespace never filled";
  // The relay is still serving: reads work while writes fail.
  EXPECT_EQ(Ping(**c, 7).body_case(), pb::Frame::kPong);
  // Room again: the refused change goes in, after everything acknowledged, without a gap.
  pg_->Kill();
  pg_->set_file_size_limit(-1);
  ASSERT_TRUE(pg_->Start().ok());
  auto again = ConnectAgain(*a, admin_);
  ASSERT_NE(again, nullptr);
  pb::Frame r;
  for (int i = 0; i < 100; ++i) {  // the relay's connections find the server back
    r = Push(*again, {pending.back()});
    if (r.body_case() != pb::Frame::kError || r.error().code() != pb::ERROR_UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(r.error().retry_after_ms()));
  }
  ASSERT_EQ(r.body_case(), pb::Frame::kPushAck) << r.error().message();
  EXPECT_EQ(r.push_ack().acks(0).relay_seq(), acked.size() + 1);
  auto all = PullAll(*again);
  ASSERT_EQ(all.size(), acked.size() + 1);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].relay_seq(), i + 1);
  for (const auto& sc : all) {
    auto it = acked.find(ChangeIdOf(sc.change()));
    if (it != acked.end()) {
      EXPECT_EQ(it->second, sc.relay_seq());
    }
  }
}

TEST_F(RelayPostgres, SubscriberOnOneInstanceHearsPushesThroughAnother) {
  auto a = Instance(0);
  auto b = Instance(1);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(b->WaitForLog("event=following_storage"));
  RegisterThrough(*a);
  ASSERT_FALSE(HasFatalFailure());
  auto listener = TestClient::Connect(b->port(), b->public_key(), member_);
  ASSERT_TRUE(listener.ok());
  pb::Frame sub;
  sub.mutable_subscribe()->set_vault(vault_.data(), vault_.size());
  ASSERT_EQ(Call(**listener, sub).body_case(), pb::Frame::kDone);
  auto writer = TestClient::Connect(a->port(), a->public_key(), admin_);
  ASSERT_TRUE(writer.ok());
  Chain chain(&admin_.identity, vault_);
  pb::Frame r = Push(**writer, {chain.Next(), chain.Next()});
  ASSERT_EQ(r.body_case(), pb::Frame::kPushAck);
  // The Notify comes from instance B, woken by PostgreSQL's notification.
  auto n = (*listener)->Receive();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(n->body_case(), pb::Frame::kNotify);
  EXPECT_EQ(n->notify().head_seq(), 2u);
}

}  // namespace
}  // namespace parley::testing
