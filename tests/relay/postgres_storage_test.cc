// PostgreSQL relay storage as several relay instances use it, on a real server: storage
// objects over one database inserting at once, the change feed between them, quotas, a
// server that dies and comes back.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include "new_change.h"
#include "parley/relay/change_feed.h"
#include "parley/relay/relay_storage.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace parley::relay {
namespace {

using testing::Chain;
using testing::NewChangeOf;

class PostgresStorage : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    a_ = OpenOrDie();
    b_ = OpenOrDie();
    ASSERT_TRUE(a_ && b_);
    vault_ = crypto::RandomBytes(32);
    ASSERT_TRUE(a_->RegisterVault(vault_, author_.public_key).ok());
  }
  std::unique_ptr<RelayStorage> OpenOrDie() {
    auto s = OpenPostgresRelayStorage(server_.uri());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  testing::PostgresServer server_;   // outlives the storage objects
  std::unique_ptr<RelayStorage> a_;  // two relay instances
  std::unique_ptr<RelayStorage> b_;
  Bytes vault_;
  crypto::SignKeyPair author_ = crypto::NewSignKeyPair();
};

// Events of a change feed, waited for with a deadline.
class FeedEvents {
 public:
  std::function<void(const FeedEvent&)> Sink() {
    return [this](const FeedEvent& e) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(e);
      cv_.notify_all();
    };
  }
  // Waits (10 s at most) for an event that `match` accepts.
  bool WaitFor(const std::function<bool(const FeedEvent&)>& match) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const FeedEvent& e : events_) {
        if (match(e)) return true;
      }
      return false;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FeedEvent> events_;
};

// Two instances pushing into one vault at once: every change stored once, numbers 1..N
// without a gap, each chain intact.
TEST_F(PostgresStorage, ConcurrentInstancesGetGapFreeSequences) {
  constexpr int kBatches = 25;
  constexpr int kPerBatch = 20;
  crypto::SignKeyPair other = crypto::NewSignKeyPair();
  std::vector<std::vector<InsertOutcome>> outcomes(2);
  std::vector<Status> failures(2);
  auto push = [&](RelayStorage* db, const crypto::SignKeyPair* who, int slot) {
    Chain chain{who, vault_};
    for (int b = 0; b < kBatches; ++b) {
      std::vector<NewChange> batch;
      for (int i = 0; i < kPerBatch; ++i) batch.push_back(NewChangeOf(chain.Next(), vault_));
      auto out = db->InsertChanges(batch);
      if (!out.ok()) {
        failures[slot] = out.status();
        return;
      }
      outcomes[slot].insert(outcomes[slot].end(), out->begin(), out->end());
    }
  };
  std::thread t1(push, a_.get(), &author_, 0);
  std::thread t2(push, b_.get(), &other, 1);
  t1.join();
  t2.join();
  ASSERT_TRUE(failures[0].ok()) << failures[0].ToString();
  ASSERT_TRUE(failures[1].ok()) << failures[1].ToString();
  constexpr std::uint64_t kTotal = 2 * kBatches * kPerBatch;
  std::set<std::uint64_t> seqs;
  for (const auto& list : outcomes) {
    for (const InsertOutcome& o : list) {
      EXPECT_EQ(o.result, InsertResult::kStored);
      EXPECT_TRUE(seqs.insert(o.relay_seq).second) << "number given twice: " << o.relay_seq;
    }
  }
  ASSERT_EQ(seqs.size(), kTotal);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), kTotal);
  EXPECT_EQ(a_->GetVault(vault_)->head_seq, kTotal);
  bool more = true;
  auto rows = b_->ReadChanges(vault_, 0, 64 << 20, 10000, &more);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_FALSE(more);
  ASSERT_EQ(rows->size(), kTotal);
  for (std::size_t i = 0; i < rows->size(); ++i) EXPECT_EQ((*rows)[i].relay_seq, i + 1);
  auto heads = a_->AuthorHeads(vault_);
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 2u);
  for (const AuthorHead& h : *heads) EXPECT_EQ(h.seq, std::uint64_t{kBatches * kPerBatch});
}

// The same batch pushed through both instances at once is stored once: one side stores
// each change, the other is told it is held, with the same number.
TEST_F(PostgresStorage, ChangePushedTwiceThroughTwoInstancesIsStoredOnce) {
  Chain chain{&author_, vault_};
  for (int round = 0; round < 10; ++round) {
    std::vector<NewChange> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(NewChangeOf(chain.Next(), vault_));
    Result<std::vector<InsertOutcome>> first = Status(Domain::kSync, Code::kInternal, "not run");
    Result<std::vector<InsertOutcome>> second = first;
    std::thread t1([&] { first = a_->InsertChanges(batch); });
    std::thread t2([&] { second = b_->InsertChanges(batch); });
    t1.join();
    t2.join();
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const InsertOutcome& x = (*first)[i];
      const InsertOutcome& y = (*second)[i];
      EXPECT_EQ(x.relay_seq, y.relay_seq);
      EXPECT_EQ(x.relay_seq, static_cast<std::uint64_t>(round * 5 + i + 1));
      EXPECT_TRUE((x.result == InsertResult::kStored) != (y.result == InsertResult::kStored));
      EXPECT_TRUE(x.result == InsertResult::kAlreadyHeld || y.result == InsertResult::kAlreadyHeld);
    }
  }
  EXPECT_EQ(b_->GetVault(vault_)->head_seq, 50u);
}

TEST_F(PostgresStorage, FeedSeesAnotherInstancesCommits) {
  FeedEvents events;
  auto feed = OpenPostgresChangeFeed(server_.uri(), events.Sink());
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  Chain chain{&author_, vault_};
  ASSERT_TRUE(b_->InsertChanges(std::vector<NewChange>{NewChangeOf(chain.Next(), vault_),
                                                       NewChangeOf(chain.Next(), vault_)})
                  .ok());
  EXPECT_TRUE(events.WaitFor([&](const FeedEvent& e) {
    return e.kind == FeedEvent::kChanges && e.vault == vault_ && e.seq == 2;
  }));
  ASSERT_TRUE(
      a_->SetMembership(vault_, StoredMembership{1, "list", author_.public_key, Bytes(64, 1)})
          .ok());
  EXPECT_TRUE(events.WaitFor([&](const FeedEvent& e) {
    return e.kind == FeedEvent::kMembership && e.vault == vault_ && e.seq == 1;
  }));
}

// A server that dies: calls fail with kUnavailable (nothing half-stored), then work again
// once it is back, with everything committed before it died; the feed resyncs.
TEST_F(PostgresStorage, ServerKilledAndRestarted) {
  FeedEvents events;
  auto feed = OpenPostgresChangeFeed(server_.uri(), events.Sink());
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  Chain chain{&author_, vault_};
  std::vector<NewChange> before;
  for (int i = 0; i < 3; ++i) before.push_back(NewChangeOf(chain.Next(), vault_));
  ASSERT_TRUE(a_->InsertChanges(before).ok());

  server_.Kill();
  const NewChange during = NewChangeOf(chain.Next(), vault_);
  auto refused = a_->InsertChanges(std::vector<NewChange>{during});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().ToString();
  EXPECT_EQ(a_->GetVault(vault_).status().code(), Code::kUnavailable);  // still down
  EXPECT_EQ(b_->RegisterVault(crypto::RandomBytes(32), author_.public_key).code(),
            Code::kUnavailable);

  Status restarted = server_.Start();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  for (RelayStorage* db : {a_.get(), b_.get()}) {
    bool more = true;
    auto rows = db->ReadChanges(vault_, 0, 1 << 20, 100, &more);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ((*rows)[i].data, before[i].data);
  }
  auto after = a_->InsertChanges(std::vector<NewChange>{during});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)[0].result, InsertResult::kStored);
  EXPECT_EQ((*after)[0].relay_seq, 4u);
  EXPECT_TRUE(events.WaitFor([](const FeedEvent& e) { return e.kind == FeedEvent::kResync; }));
}

// The feed's destructor returns while the server is down (its thread waits on the pipe).
TEST_F(PostgresStorage, FeedStopsWhileTheServerIsDown) {
  FeedEvents events;
  auto feed = OpenPostgresChangeFeed(server_.uri(), events.Sink());
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  server_.Kill();
  const auto start = std::chrono::steady_clock::now();
  feed->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(OpenPostgresChangeFeed(server_.uri(), events.Sink()).status().code(),
            Code::kUnavailable);
}

// A change that would take the vault over its quota is refused; the rest of the batch goes
// on. Purges and dropped slots give the bytes back.
TEST_F(PostgresStorage, QuotasRefuseWhatDoesNotFit) {
  Chain chain{&author_, vault_};
  std::vector<NewChange> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(NewChangeOf(chain.Next(1000), vault_));
  const std::uint64_t two = batch[0].data.size() + batch[1].data.size();
  a_->SetDefaultVaultQuota(two);
  auto out = a_->InsertChanges(batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].result, InsertResult::kStored);
  EXPECT_EQ((*out)[1].result, InsertResult::kStored);
  EXPECT_EQ((*out)[2].result, InsertResult::kOverQuota);
  EXPECT_EQ(a_->GetVault(vault_)->stored_bytes, two);
  // Its own allowance lifts it; instance b has no default quota but reads the allowance.
  ASSERT_TRUE(b_->AllowVault(vault_, two + batch[2].data.size()).ok());
  out = a_->InsertChanges(std::vector<NewChange>{batch[2]});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].result, InsertResult::kStored);
  EXPECT_EQ((*out)[0].relay_seq, 3u);
  ASSERT_TRUE(a_->Purge(vault_, std::vector<Bytes>{batch[0].id}).ok());
  EXPECT_EQ(a_->GetVault(vault_)->stored_bytes, batch[1].data.size() + batch[2].data.size());

  pb::Change with_slot = chain.Next(100);
  const std::string slot(72, 's');
  with_slot.add_key_slots(slot);
  const NewChange n = NewChangeOf(with_slot, vault_);
  ASSERT_TRUE(a_->AllowVault(vault_, 0).ok());  // back to the default: nothing fits
  EXPECT_EQ((*a_->InsertChanges(std::vector<NewChange>{n}))[0].result, InsertResult::kOverQuota);
  a_->SetDefaultVaultQuota(0);
  EXPECT_EQ((*a_->InsertChanges(std::vector<NewChange>{n}))[0].result, InsertResult::kStored);
  const std::uint64_t held = a_->GetVault(vault_)->stored_bytes;
  const crypto::Hash h = crypto::Blake2b256(crypto::AsBytes(slot));
  auto dropped =
      a_->DropKeySlots(vault_, std::vector<SlotRedaction>{{n.id, Bytes(h.begin(), h.end())}});
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 1u);
  EXPECT_LT(a_->GetVault(vault_)->stored_bytes, held);
  bool more = false;
  auto rows = a_->ReadChanges(vault_, 0, 1 << 20, 100, &more);
  ASSERT_TRUE(rows.ok());
  std::uint64_t sum = 0;
  for (const ChangeRow& r : *rows) sum += r.data.size();
  EXPECT_EQ(a_->GetVault(vault_)->stored_bytes, sum);
  auto stats = a_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->stored_bytes, sum);
  EXPECT_EQ(stats->changes, 4u);
  EXPECT_GT(stats->storage_bytes, 0u);
}

// The relay's load shape: 100 devices (one vault each) pushing batches of 20, through two
// instances whose writers group what is waiting into one InsertChanges call (as the
// storage worker does). Every change is stored once; the rate is printed and recorded.
TEST_F(PostgresStorage, TwoInstancesStoreGroupedPushes) {
  constexpr int kDevices = 100;
  constexpr int kBatches = 10;  // per device
  constexpr int kPerBatch = 20;
  constexpr int kGroup = 50;  // pushes per InsertChanges call
  std::vector<crypto::SignKeyPair> devices(kDevices);
  std::vector<Bytes> vaults;
  // calls[instance][k]: one grouped InsertChanges call.
  std::vector<std::vector<std::vector<NewChange>>> calls(2);
  std::vector<Chain> chains;
  for (int d = 0; d < kDevices; ++d) {
    devices[d] = crypto::NewSignKeyPair();
    vaults.push_back(crypto::RandomBytes(32));
    ASSERT_TRUE(a_->RegisterVault(vaults[d], devices[d].public_key).ok());
    chains.emplace_back(&devices[d], vaults[d]);
  }
  for (int b = 0; b < kBatches; ++b) {
    for (int first = 0; first < kDevices; first += kGroup) {
      std::vector<NewChange> call;
      for (int d = first; d < first + kGroup; ++d) {
        for (int i = 0; i < kPerBatch; ++i) {
          call.push_back(NewChangeOf(chains[d].Next(200), vaults[d]));
        }
      }
      // Each device is connected to one instance: its pushes stay in order.
      calls[first / kGroup % 2].push_back(std::move(call));
    }
  }
  std::vector<Status> failures(2);
  std::vector<std::size_t> stored(2, 0);
  auto run = [&](RelayStorage* db, int slot) {
    for (const auto& call : calls[slot]) {
      auto out = db->InsertChanges(call);
      if (!out.ok()) {
        failures[slot] = out.status();
        return;
      }
      for (const InsertOutcome& o : *out) stored[slot] += o.result == InsertResult::kStored;
    }
  };
  const auto start = std::chrono::steady_clock::now();
  std::thread t1(run, a_.get(), 0);
  std::thread t2(run, b_.get(), 1);
  t1.join();
  t2.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(failures[0].ok()) << failures[0].ToString();
  ASSERT_TRUE(failures[1].ok()) << failures[1].ToString();
  constexpr std::size_t kTotal = std::size_t{kDevices} * kBatches * kPerBatch;
  EXPECT_EQ(stored[0] + stored[1], kTotal);
  for (const Bytes& v : vaults)
    EXPECT_EQ(a_->GetVault(v)->head_seq, std::uint64_t{kBatches * kPerBatch});
  const double rate = static_cast<double>(kTotal) / seconds;
  std::printf("postgres: %zu changes in %.3f s through 2 instances: %.0f changes/s\n", kTotal,
              seconds, rate);
  RecordProperty("changes_per_second", static_cast<int>(rate));
}

// Instances starting together over an empty database both get a usable schema.
TEST(PostgresSchema, InstancesStartingTogetherAreSafe) {
  testing::PostgresServer server;
  Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  constexpr int kInstances = 4;
  std::vector<Status> results(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      auto s = OpenPostgresRelayStorage(server.uri());
      results[i] = s.status();
      if (s.ok())
        results[i] = (*s)->RegisterVault(crypto::RandomBytes(32), crypto::RandomBytes(32));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(PostgresSchema, UnreachableServerIsUnavailable) {
  testing::PostgresServer server;
  Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  const std::string uri = server.UriOf("no_such_database");
  auto s = OpenPostgresRelayStorage(uri);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable) << s.status().ToString();
}

TEST(StorageSpec, NamesTheBackend) {
  testing::TempDir dir;
  for (const std::string spec : {"", "sqlite"}) {
    auto s = OpenRelayStorage(spec, dir.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(::access(dir.Sub("relay.db").c_str(), F_OK), 0);
  }
  auto file = OpenRelayStorage("sqlite:" + dir.Sub("other.db"), "/nonexistent");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(::access(dir.Sub("other.db").c_str(), F_OK), 0);
  testing::PostgresServer server;
  Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  for (const std::string scheme : {"postgresql://", "postgres://"}) {
    const std::string uri = scheme + server.uri().substr(server.uri().find("://") + 3);
    EXPECT_TRUE(IsPostgresStorageSpec(uri));
    auto pg = OpenRelayStorage(uri, "/nonexistent");
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    EXPECT_TRUE((*pg)->ListVaults().ok());
  }
  EXPECT_EQ(OpenRelayStorage("mysql://x", dir.path()).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(IsPostgresStorageSpec("sqlite:postgresql://x"));
}

}  // namespace
}  // namespace parley::relay
