#include <algorithm>
#include <random>

#include "log_test_util.h"
#include "parley/core/sqlite_util.h"

namespace parley::logtest {
namespace {

TEST(Replica, AChangeLogInTheEarlierTableLayoutIsRefused) {
  testing::FakeClock clock;
  auto store = store::Store::CreateInMemoryForTesting("old");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE(Exec((*store)->db(),
                   "CREATE TABLE log_ops(op INTEGER PRIMARY KEY, rid INTEGER NOT NULL, kind "
                   "INTEGER NOT NULL, "
                   "field TEXT NOT NULL, value BLOB, hlc INTEGER NOT NULL, live INTEGER NOT NULL)")
                  .ok());
  auto replica = log::Replica::Open(**store, clock);
  EXPECT_EQ(replica.status().code(), Code::kUnsupported) << replica.status().ToString();
}

// A log written before each format mark (chain links; records bound to their creators and
// padded bodies) is refused rather than misread; an empty log takes the current formats.
TEST(Replica, AChangeLogInAnEarlierFormatIsRefused) {
  testing::FakeClock clock;
  for (const char* mark : {"chain_format", "record_format"}) {
    SCOPED_TRACE(mark);
    auto store = store::Store::CreateInMemoryForTesting("old");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    {
      auto replica = log::Replica::Open(**store, clock);
      ASSERT_TRUE(replica.ok()) << replica.status().ToString();
      ASSERT_TRUE((*replica)->CreateVault("v").ok());
    }
    const std::string drop = std::string("DELETE FROM log_meta WHERE k = '") + mark + "'";
    ASSERT_TRUE(Exec((*store)->db(), drop).ok());
    auto replica = log::Replica::Open(**store, clock);
    EXPECT_EQ(replica.status().code(), Code::kUnsupported) << replica.status().ToString();
    auto empty = store::Store::CreateInMemoryForTesting("empty");
    ASSERT_TRUE(empty.ok());
    ASSERT_TRUE(log::Replica::Open(**empty, clock).ok());
    ASSERT_TRUE(Exec((*empty)->db(), drop).ok());
    EXPECT_TRUE(log::Replica::Open(**empty, clock).ok());
  }
}

TEST(Replica, CreateSetGetOnOneDevice) {
  testing::FakeClock clock;
  Device a = MakeDevice(clock, "a");
  EXPECT_FALSE(a->HasVault());
  EXPECT_EQ(a->Begin().status().code(), Code::kNotFound);
  ASSERT_TRUE(a->CreateVault("team").ok());
  EXPECT_TRUE(a->HasVault());
  EXPECT_EQ(a->CreateVault("again").code(), Code::kAlreadyExists);
  log::RecordId id = CreateWith(a, "note", "text", "hello");
  auto rec = a->Get(id);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(rec->has_value());
  EXPECT_EQ((*rec)->type, "note");
  EXPECT_EQ((*rec)->get("text"), "hello");
  EXPECT_EQ((*rec)->existence, log::Existence::kAlive);
  SetOne(a, id, "text", "world");
  rec = a->Get(id);
  EXPECT_EQ(ValuesOf(**rec, "text"), std::vector<std::string>{"world"});
  auto list = a->List("note");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  auto found = a->Find("note", "text", "world");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 1u);
  auto prefix = a->ResolvePrefix(log::ToString(id).substr(0, 8));
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(*prefix, id);
  auto history = a->History(id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].op, "create");
  EXPECT_EQ((*history)[1].value, "hello");
  EXPECT_FALSE((*history)[1].live);
  EXPECT_EQ((*history)[2].value, "world");
  EXPECT_TRUE((*history)[2].live);
  EXPECT_EQ((*history)[2].author_name, "a");
  EXPECT_EQ(*a->ChangeCount(), 3u);  // genesis + 2
}

TEST(Replica, EmptyAndAbandonedTransactionsStoreNothing) {
  testing::FakeClock clock;
  Device a = MakeDevice(clock, "a");
  ASSERT_TRUE(a->CreateVault("team").ok());
  {
    auto tx = a->Begin();
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ((*tx)->Commit().status().code(), Code::kInvalidArgument);
  }
  log::RecordId kept{};
  {
    auto tx = a->Begin();
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(a->Begin().status().code(), Code::kBusy);
    auto id = (*tx)->Create("note");
    ASSERT_TRUE(id.ok());
    kept = *id;
    log::RecordId unknown{};
    EXPECT_EQ((*tx)->Set(unknown, "x", "y").code(), Code::kNotFound);
  }  // dropped: rolled back
  EXPECT_FALSE(a->Get(kept)->has_value());
  EXPECT_EQ(*a->ChangeCount(), 1u);
  CreateWith(a, "note", "text", "after");  // the replica is still usable
  EXPECT_EQ(*a->ChangeCount(), 2u);
}

TEST(Replica, ApplyIsIdempotentAndCountsDuplicates) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 2);
  log::RecordId id = CreateWith(team[0], "note", "text", "v1");
  auto first = Sync(team[0], team[1]);
  EXPECT_EQ(first.applied, 1u);  // the note; genesis and invite came with the invite
  auto again = Sync(team[0], team[1]);
  EXPECT_EQ(again.applied, 0u);
  EXPECT_EQ(again.duplicates, All(team[0]).size());
  auto rec = team[1]->Get(id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->get("text"), "v1");
  // A batch that holds the same change twice counts it once.
  SetOne(team[0], id, "text", "v2");
  auto changes = All(team[0]);
  std::vector<pb::Change> twice{changes.back(), changes.back()};
  auto r = team[1]->Apply(twice);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->applied, 1u);
  EXPECT_EQ(r->duplicates, 1u);
}

TEST(Replica, OutOfOrderArrivalReportsGapsThenConverges) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 2);
  log::RecordId id = CreateWith(team[0], "note", "text", "v1");
  for (int i = 2; i <= 5; ++i) SetOne(team[0], id, "text", "v" + std::to_string(i));
  auto changes = All(team[0]);
  // Keep only the founder's note changes (seq 3..7) and apply them newest first, one by one.
  std::vector<pb::Change> mine;
  for (auto& c : changes) {
    pb::ChangeHeader h;
    ASSERT_TRUE(h.ParseFromString(c.header()));
    if (h.seq() >= 3) mine.push_back(c);
  }
  ASSERT_EQ(mine.size(), 5u);
  std::reverse(mine.begin(), mine.end());
  auto r = team[1]->Apply(std::span(mine.data(), 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->gaps.size(), 1u);
  EXPECT_NE(r->gaps[0].find("seq 3-6"), std::string::npos) << r->gaps[0];
  for (std::size_t i = 1; i < mine.size(); ++i) {
    r = team[1]->Apply(std::span(mine.data() + i, 1));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_TRUE(r->gaps.empty());
  auto rec = team[1]->Get(id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ(ValuesOf(**rec, "text"), std::vector<std::string>{"v5"});
  auto known = team[1]->Known();
  ASSERT_TRUE(known.ok());
  auto known0 = team[0]->Known();
  EXPECT_EQ(known->entries, known0->entries);
  EXPECT_TRUE(team[1]->ChangesSince(*known0)->empty());
}

TEST(Replica, RedeliveryOfAHeldChangeIsADuplicateNotAFork) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 2);
  CreateWith(team[0], "note", "text", "v1");
  const pb::Change original = All(team[0]).back();
  ASSERT_TRUE(team[1]->Apply(std::span(&original, 1)).ok());
  auto dup = team[1]->Apply(std::span(&original, 1));
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->duplicates, 1u);
  EXPECT_EQ(dup->applied, 0u);
}

}  // namespace
}  // namespace parley::logtest
