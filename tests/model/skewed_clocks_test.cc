// The model's status history, session order and stall signal on a team whose clocks are
// decades apart: they follow the order in which changes were made (what each change's
// author had seen), never the clocks (docs/model.md, docs/change-format.md).
#include <string>
#include <vector>

#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;

// 2075-05-01, 2150-05-01 and 2025-05-01 (UTC): one device 75 years ahead, one 50 years
// behind, all inside the range a clock is believed in.
constexpr std::int64_t kNow = 3'323'894'400'000;
constexpr std::int64_t kAhead = 5'690'649'600'000;
constexpr std::int64_t kBehind = 1'746'057'600'000;

class SkewedClocks : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(admin_.ready() && ahead_.ready() && behind_.ready());
    ASSERT_NO_FATAL_FAILURE(admin_.Enroll(ahead_));
    ASSERT_NO_FATAL_FAILURE(admin_.Enroll(behind_));
    ASSERT_NO_FATAL_FAILURE(Everyone());
    auto n = admin_.model().AddNegotiation({"Fresh Harvest Foods", ""});
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    n_ = *n;
    CommitmentInput c;
    c.kind = "price_premium";
    c.text = "a premium per pound";
    auto premium = admin_.model().AddCommitment(n_, c);
    ASSERT_TRUE(premium.ok()) << premium.status().ToString();
    premium_ = *premium;
    ASSERT_TRUE(admin_.model().RequireElement(n_, {"financial_support", {premium_}, {}}).ok());
    ASSERT_NO_FATAL_FAILURE(Everyone());
  }
  // Every device ends up with every change.
  void Everyone() {
    for (int round = 0; round < 2; ++round) {
      for (Device* from : devices_) {
        for (Device* to : devices_) {
          if (from == to) continue;
          ASSERT_NO_FATAL_FAILURE(from->SendTo(*to));
        }
      }
    }
  }
  void Session(Device& d, const char* date) {
    ASSERT_TRUE(d.model().AddSession(n_, {date, "", ""}).ok()) << date;
  }
  void SetStatus(Device& d, const char* status) {
    ASSERT_TRUE(d.model().SetCommitmentStatus(premium_, status).ok()) << status;
  }
  // The stall signal as `d` sees it; `since` when stalled.
  void ExpectStall(Device& d, bool stalled, const std::string& since = "") {
    auto s = d.model().Stall(n_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->stalled, stalled) << "sessions " << s->sessions << ", since " << s->since;
    if (stalled) {
      EXPECT_EQ(s->since, since);
      EXPECT_EQ(s->elements, std::vector<std::string>{"financial_support"});
    }
  }
  void ExpectStallEverywhere(bool stalled, const std::string& since = "") {
    for (Device* d : devices_) {
      SCOPED_TRACE(d == &admin_ ? "admin" : d == &ahead_ ? "ahead" : "behind");
      ExpectStall(*d, stalled, since);
    }
  }

  testing::FakeClock now_clock_{kNow}, ahead_clock_{kAhead}, behind_clock_{kBehind};
  Device admin_{now_clock_, "office laptop", /*with_vault=*/true};
  Device ahead_{ahead_clock_, "ana phone", /*with_vault=*/false};
  Device behind_{behind_clock_, "old tablet", /*with_vault=*/false};
  std::vector<Device*> devices_{&admin_, &ahead_, &behind_};
  RecordId n_{};
  RecordId premium_{};
};

TEST_F(SkewedClocks, StatusHistoryEndsWithTheStatusTheCommitmentHas) {
  ASSERT_NO_FATAL_FAILURE(SetStatus(ahead_, "agreed"));  // dated 2150
  ASSERT_NO_FATAL_FAILURE(ahead_.SendTo(admin_));
  ASSERT_NO_FATAL_FAILURE(SetStatus(admin_, "countered"));  // dated 2075
  ASSERT_NO_FATAL_FAILURE(admin_.SendTo(behind_));
  ASSERT_NO_FATAL_FAILURE(SetStatus(behind_, "signed"));  // dated 2025
  ASSERT_NO_FATAL_FAILURE(Everyone());
  for (Device* d : devices_) {
    auto c = d->model().GetOfType(premium_, kCommitment);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->get("status"), "signed");
    auto history = d->model().StatusHistory(premium_);
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    std::vector<std::string> statuses;
    for (const auto& h : *history) statuses.push_back(h.status);
    EXPECT_EQ(statuses, (std::vector<std::string>{"proposed", "agreed", "countered", "signed"}));
    ASSERT_FALSE(history->empty());
    EXPECT_TRUE(history->back().live);
    EXPECT_EQ(history->back().author_name, "old tablet");
  }
}

TEST_F(SkewedClocks, StallCountsSessionsNotClocks) {
  // Movement by the device far ahead, before any session.
  ASSERT_NO_FATAL_FAILURE(SetStatus(ahead_, "countered"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ASSERT_NO_FATAL_FAILURE(Session(behind_, "2075-05-10"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(false);
  ASSERT_NO_FATAL_FAILURE(Session(ahead_, "2075-05-20"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(false);
  // Three sessions recorded after the last movement: stalled, though that movement is
  // dated 2150.
  ASSERT_NO_FATAL_FAILURE(Session(admin_, "2075-05-30"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(true, "2075-05-10");

  // Movement by the device far behind (dated 2025), after those sessions.
  ASSERT_NO_FATAL_FAILURE(SetStatus(behind_, "proposed"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(false);
  // Two more sessions: the movement is still within the last three.
  ASSERT_NO_FATAL_FAILURE(Session(ahead_, "2075-06-10"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ASSERT_NO_FATAL_FAILURE(Session(admin_, "2075-06-20"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(false);
  // The third: stalled again.
  ASSERT_NO_FATAL_FAILURE(Session(behind_, "2075-06-30"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(true, "2075-06-10");

  // Three sessions recorded on one device while another, not having seen them, changed
  // the status: the change is concurrent with them, so it counts as movement.
  ASSERT_NO_FATAL_FAILURE(Session(admin_, "2075-07-10"));
  ASSERT_NO_FATAL_FAILURE(Session(admin_, "2075-07-20"));
  ASSERT_NO_FATAL_FAILURE(Session(admin_, "2075-07-30"));
  ExpectStall(admin_, true, "2075-07-10");
  ASSERT_NO_FATAL_FAILURE(SetStatus(behind_, "countered"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(false);
}

TEST_F(SkewedClocks, MovementDatedDecadesBackStillCounts) {
  ASSERT_NO_FATAL_FAILURE(Session(admin_, "2075-05-10"));
  ASSERT_NO_FATAL_FAILURE(Session(ahead_, "2075-05-20"));
  ASSERT_NO_FATAL_FAILURE(ahead_.SendTo(admin_));
  ASSERT_NO_FATAL_FAILURE(Session(admin_, "2075-05-30"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(true, "2075-05-10");
  // The device far behind changes the status after the three sessions: dated 2025, it is
  // movement all the same.
  ASSERT_NO_FATAL_FAILURE(SetStatus(behind_, "countered"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(false);
  // So is a new commitment it links, created far behind.
  ASSERT_NO_FATAL_FAILURE(Session(behind_, "2075-06-10"));
  ASSERT_NO_FATAL_FAILURE(Session(behind_, "2075-06-20"));
  ASSERT_NO_FATAL_FAILURE(Session(behind_, "2075-06-30"));
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(true, "2075-06-10");
  CommitmentInput c;
  c.kind = "long_term_orders";
  c.text = "two seasons of orders";
  auto volume = behind_.model().AddCommitment(n_, c);
  ASSERT_TRUE(volume.ok()) << volume.status().ToString();
  ASSERT_TRUE(behind_.model().RequireElement(n_, {"financial_support", {*volume}, {}}).ok());
  ASSERT_NO_FATAL_FAILURE(Everyone());
  ExpectStallEverywhere(false);
}

TEST_F(SkewedClocks, SessionsOnTheSameDateKeepTheOrderTheyWereRecorded) {
  ASSERT_NO_FATAL_FAILURE(Session(ahead_, "2075-05-10"));  // recorded first, dated 2150
  ASSERT_NO_FATAL_FAILURE(ahead_.SendTo(behind_));
  ASSERT_TRUE(behind_.model().AddSession(n_, {"2075-05-10", "second", ""}).ok());
  ASSERT_NO_FATAL_FAILURE(Everyone());
  for (Device* d : devices_) {
    auto o = d->model().Overview(n_);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    ASSERT_EQ(o->sessions.size(), 2u);
    EXPECT_EQ(o->sessions[0].get("place"), "");
    EXPECT_EQ(o->sessions[1].get("place"), "second");
  }
}

}  // namespace
}  // namespace parley::model
