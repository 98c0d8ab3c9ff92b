// A record's history reads in the order its changes were made (happened-before, from what
// each change's author had seen), not in clock order: devices with clocks decades apart
// must not reorder it (docs/change-format.md, "History order").
#include <string>
#include <vector>

#include "log_test_util.h"

namespace parley::logtest {
namespace {

// 2075-05-01, 2150-05-01 and 2025-05-01 (UTC): a team whose clocks are 75 years ahead of
// and 50 years behind each other, all inside the range a clock is believed in.
constexpr std::int64_t kNow = 3'323'894'400'000;
constexpr std::int64_t kAhead = 5'690'649'600'000;
constexpr std::int64_t kBehind = 1'746'057'600'000;

class HistoryOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a->CreateVault("team").ok());
    for (Device* d : {&ahead, &behind}) {
      auto invite = a->Invite((*d)->DevicePairingCode());
      ASSERT_TRUE(invite.ok()) << invite.status().ToString();
      Status s = (*d)->AcceptInvite(*invite);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    Everyone();
  }
  void Everyone() {
    for (int round = 0; round < 2; ++round) {
      for (Device* from : {&a, &ahead, &behind}) {
        for (Device* to : {&a, &ahead, &behind}) {
          if (from != to) Sync(*from, *to);
        }
      }
    }
  }
  std::vector<log::HistoryEntry> HistoryOf(Device& d, const log::RecordId& id) {
    auto h = d->History(id);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : std::vector<log::HistoryEntry>{};
  }
  static std::vector<std::string> Ops(const std::vector<log::HistoryEntry>& h) {
    std::vector<std::string> out;
    for (const auto& e : h) out.push_back(e.op == "set" ? e.field + "=" + e.value : e.op);
    return out;
  }

  testing::FakeClock now_clock{kNow}, ahead_clock{kAhead}, behind_clock{kBehind};
  Device a = MakeDevice(now_clock, "a");
  Device ahead = MakeDevice(ahead_clock, "ahead");
  Device behind = MakeDevice(behind_clock, "behind");
};

TEST_F(HistoryOrder, StatusChangesReadInTheOrderTheyWereMade) {
  log::RecordId id = CreateWith(a, "commitment", "status", "proposed");
  Sync(a, ahead);
  SetOne(ahead, id, "status", "agreed");  // dated 2150
  Sync(ahead, a);
  SetOne(a, id, "status", "countered");  // dated 2075: a believes 2150 only up to a day ahead
  Sync(a, behind);
  SetOne(behind, id, "status", "signed");  // dated 2025
  Everyone();
  const std::vector<std::string> expected{"create", "status=proposed", "status=agreed",
                                          "status=countered", "status=signed"};
  for (Device* d : {&a, &ahead, &behind}) {
    auto rec = (*d)->Get(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ((*rec)->get("status"), "signed");
    std::vector<log::HistoryEntry> h = HistoryOf(*d, id);
    EXPECT_EQ(Ops(h), expected);
    ASSERT_FALSE(h.empty());
    EXPECT_TRUE(h.back().live);
    EXPECT_EQ(h.back().author_name, "behind");
  }
}

TEST_F(HistoryOrder, TheOriginatingCreateIsTheCreateWhateverItsClock) {
  // Created by the device far ahead; deleted and restored by the device far behind: the
  // restore's clock is decades before the create's.
  log::RecordId late = CreateWith(ahead, "note", "text", "v1");
  Sync(ahead, behind);
  DeleteOne(behind, late);
  RestoreOne(behind, late);
  // Created now; deleted and restored far behind, restored again far ahead.
  log::RecordId now = CreateWith(a, "note", "text", "v1");
  Sync(a, behind);
  DeleteOne(behind, now);
  RestoreOne(behind, now);
  Sync(behind, ahead);
  RestoreOne(ahead, now);
  Everyone();
  for (Device* d : {&a, &ahead, &behind}) {
    EXPECT_EQ(Ops(HistoryOf(*d, late)),
              (std::vector<std::string>{"create", "text=v1", "delete", "restore"}));
    EXPECT_EQ(Ops(HistoryOf(*d, now)),
              (std::vector<std::string>{"create", "text=v1", "delete", "restore", "restore"}));
  }
}

TEST_F(HistoryOrder, ConcurrentChangesKeepClockOrder) {
  log::RecordId id = CreateWith(a, "note", "text", "v1");
  Everyone();
  // Neither device has seen the other's edit: ordered by clock, the older clock first.
  SetOne(ahead, id, "text", "from ahead");
  SetOne(behind, id, "text", "from behind");
  SetOne(a, id, "text", "from a");
  Everyone();
  for (Device* d : {&a, &ahead, &behind}) {
    EXPECT_EQ(Ops(HistoryOf(*d, id)),
              (std::vector<std::string>{"create", "text=v1", "text=from behind", "text=from a",
                                        "text=from ahead"}));
  }
  // A later edit that saw all three comes after them, though its clock is the oldest.
  SetOne(behind, id, "text", "merged");
  Everyone();
  for (Device* d : {&a, &ahead, &behind}) {
    std::vector<log::HistoryEntry> h = HistoryOf(*d, id);
    ASSERT_EQ(h.size(), 6u);
    EXPECT_EQ(h.back().value, "merged");
    EXPECT_TRUE(h.back().live);
  }
}

TEST_F(HistoryOrder, HappenedBeforeAndCausalOrderAnswerForAnyChanges) {
  log::RecordId id = CreateWith(a, "note", "text", "v1");
  Everyone();
  SetOne(ahead, id, "text", "from ahead");  // concurrent with the next
  SetOne(behind, id, "text", "from behind");
  Sync(ahead, a);
  SetOne(a, id, "text", "after ahead");  // saw ahead's, not behind's
  Everyone();
  std::vector<log::HistoryEntry> h = HistoryOf(a, id);
  ASSERT_EQ(h.size(), 5u);
  auto stamp = [&](const std::string& value) {
    for (const auto& e : h) {
      if (e.value == value) return log::ChangeStamp{e.author, e.seq, e.hlc};
    }
    ADD_FAILURE() << value;
    return log::ChangeStamp{};
  };
  const log::ChangeStamp created = stamp("v1"), from_ahead = stamp("from ahead"),
                         from_behind = stamp("from behind"), after = stamp("after ahead");
  for (Device* d : {&a, &ahead, &behind}) {
    auto before = [&](const log::ChangeStamp& x, const log::ChangeStamp& y) {
      auto r = (*d)->HappenedBefore(x, y);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      return r.ok() && *r;
    };
    EXPECT_TRUE(before(created, from_ahead));
    EXPECT_TRUE(before(created, after));  // the same author, earlier
    EXPECT_TRUE(before(from_ahead, after));
    EXPECT_FALSE(before(after, from_ahead));
    EXPECT_FALSE(before(from_ahead, from_behind));
    EXPECT_FALSE(before(from_behind, from_ahead));
    EXPECT_FALSE(before(from_behind, after));
    EXPECT_FALSE(before(after, after));
    EXPECT_FALSE(before(log::ChangeStamp{"00", 1, 0}, after));  // an unknown author
    // Given newest first, with a repeat: every index once, causal order, concurrent by clock.
    const std::vector<log::ChangeStamp> list{after, from_behind, from_ahead, created, after};
    auto order = (*d)->CausalOrder(list);
    ASSERT_TRUE(order.ok()) << order.status().ToString();
    EXPECT_EQ(*order, (std::vector<std::size_t>{3, 1, 2, 0, 4}));
  }
}

}  // namespace
}  // namespace parley::logtest
