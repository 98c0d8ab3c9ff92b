// The brief's queries over a real store: bottom-line report, stall signal, campaign warning.
#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;
using testutil::kDayMs;

class QueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(device_.ready());
    auto n = model().AddNegotiation({"Fresh Harvest Foods", ""});
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    n_ = *n;
  }
  Model& model() { return device_.model(); }
  RecordId Commit(std::string kind, std::string status = "proposed") {
    CommitmentInput c;
    c.kind = std::move(kind);
    c.text = "terms of " + c.kind;
    c.status = std::move(status);
    auto id = model().AddCommitment(n_, c);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : RecordId{};
  }
  BottomLineReport Report() {
    auto r = model().BottomLine(n_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : BottomLineReport{};
  }
  void Session(const char* date) {
    ASSERT_TRUE(model().AddSession(n_, {date, "", ""}).ok()) << date;
  }

  testing::FakeClock clock_{testutil::kMay1};
  Device device_{clock_, "office laptop", /*with_vault=*/true};
  RecordId n_{};
};

TEST_F(QueriesTest, NoBottomLineYet) {
  BottomLineReport r = Report();
  EXPECT_TRUE(r.elements.empty());
  EXPECT_FALSE(r.meets);
  EXPECT_EQ(r.verdict, Verdict::kNoBottomLine);
}

TEST_F(QueriesTest, OnlyAgreedOrSignedCommitmentsCoverAnElement) {
  RecordId premium = Commit("price_premium");
  RecordId audits = Commit("independent_monitoring", "agreed");
  ASSERT_TRUE(model().RequireElement(n_, {"financial_support", {premium}, {"price_premium"}}).ok());
  ASSERT_TRUE(model().RequireElement(n_, {"independent_monitoring", {audits}, {}}).ok());
  ASSERT_TRUE(model().RequireElement(n_, {"market_consequences", {}, {}}).ok());

  BottomLineReport r = Report();
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[0].element, "financial_support");
  EXPECT_FALSE(r.elements[0].covered);  // proposed only
  EXPECT_EQ(r.elements[0].linked, std::vector<RecordId>{premium});
  EXPECT_TRUE(r.elements[0].covering.empty());
  EXPECT_EQ(r.elements[0].forms, std::vector<std::string>{"price_premium"});
  EXPECT_TRUE(r.elements[1].covered);
  EXPECT_EQ(r.elements[1].covering, std::vector<RecordId>{audits});
  EXPECT_FALSE(r.elements[2].covered);  // nothing linked
  EXPECT_FALSE(r.meets);
  EXPECT_EQ(r.verdict, Verdict::kWalkAway);

  // Countered or withdrawn terms do not cover either.
  ASSERT_TRUE(model().SetCommitmentStatus(premium, "countered").ok());
  EXPECT_FALSE(Report().elements[0].covered);
  ASSERT_TRUE(model().SetCommitmentStatus(premium, "signed").ok());
  RecordId sanctions = Commit("market_consequences", "agreed");
  ASSERT_TRUE(model().RequireElement(n_, {"market_consequences", {sanctions}, {}}).ok());
  r = Report();
  EXPECT_TRUE(r.meets);
  EXPECT_EQ(r.verdict, Verdict::kMeets);
  // An agreed commitment withdrawn later uncovers its element again.
  ASSERT_TRUE(model().SetCommitmentStatus(audits, "withdrawn").ok());
  r = Report();
  EXPECT_FALSE(r.elements[1].covered);
  EXPECT_FALSE(r.meets);
  EXPECT_EQ(r.verdict, Verdict::kWalkAway);
}

TEST_F(QueriesTest, StallNeedsThreeSessionsWithoutMovement) {
  RecordId premium = Commit("price_premium");  // created on May 1
  ASSERT_TRUE(model().RequireElement(n_, {"financial_support", {premium}, {}}).ok());
  ASSERT_TRUE(model().RequireElement(n_, {"worker_gains", {}, {}}).ok());
  clock_.AdvanceMs(40 * kDayMs);  // June 10
  Session("2025-05-10");
  Session("2025-05-20");
  auto two = model().Stall(n_);
  ASSERT_TRUE(two.ok());
  EXPECT_FALSE(two->stalled);  // only two sessions
  EXPECT_EQ(two->sessions, 2u);

  Session("2025-05-30");
  auto three = model().Stall(n_);
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_TRUE(three->stalled);
  EXPECT_EQ(three->since, "2025-05-10");
  EXPECT_EQ(three->elements, (std::vector<std::string>{"financial_support", "worker_gains"}));
  BottomLineReport r = Report();
  EXPECT_TRUE(r.stall.stalled);

  // A linked commitment changing status is movement: only the element with nothing
  // linked still stalls.
  ASSERT_TRUE(model().SetCommitmentStatus(premium, "countered").ok());  // June 10 >= May 10
  auto moved = model().Stall(n_);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->elements, std::vector<std::string>{"worker_gains"});

  // Three more sessions after that movement: the window moves past it.
  Session("2025-06-20");
  Session("2025-06-27");
  Session("2025-07-04");
  auto later = model().Stall(n_);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->since, "2025-06-20");
  EXPECT_EQ(later->elements, (std::vector<std::string>{"financial_support", "worker_gains"}));

  // Covered elements never stall.
  ASSERT_TRUE(model().SetCommitmentStatus(premium, "agreed").ok());
  RecordId gains = Commit("worker_gains", "agreed");
  ASSERT_TRUE(model().RequireElement(n_, {"worker_gains", {gains}, {}}).ok());
  auto covered = model().Stall(n_);
  ASSERT_TRUE(covered.ok());
  EXPECT_FALSE(covered->stalled);
  EXPECT_TRUE(covered->elements.empty());
}

TEST_F(QueriesTest, CampaignWarningWhenStoppingWithoutASignedAgreement) {
  auto active = model().CampaignWarning(n_);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(*active, CampaignWarningCode::kNone);

  RecordId deal = Commit("enforceable_obligations", "agreed");
  auto paused = model().SetCampaignStatus(n_, "paused");
  ASSERT_TRUE(paused.ok()) << paused.status().ToString();
  EXPECT_EQ(*paused, CampaignWarningCode::kPausedWithoutAgreement);
  auto ended = model().SetCampaignStatus(n_, "ended");
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(*ended, CampaignWarningCode::kEndedWithoutAgreement);
  EXPECT_EQ(Report().campaign_warning, CampaignWarningCode::kEndedWithoutAgreement);
  // The status was set despite the warning.
  auto rec = model().GetOfType(n_, kNegotiation);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->get("campaign_status"), "ended");

  ASSERT_TRUE(model().SetCommitmentStatus(deal, "signed").ok());
  auto after = model().CampaignWarning(n_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, CampaignWarningCode::kNone);
  EXPECT_EQ(Report().campaign_warning, CampaignWarningCode::kNone);
  auto won = model().SetCampaignStatus(n_, "won");
  ASSERT_TRUE(won.ok());
  EXPECT_EQ(*won, CampaignWarningCode::kNone);
}

TEST(CodeNamesTest, AreStable) {
  EXPECT_EQ(VerdictName(Verdict::kNoBottomLine), "no_bottom_line");
  EXPECT_EQ(VerdictName(Verdict::kMeets), "meets");
  EXPECT_EQ(VerdictName(Verdict::kWalkAway), "walk_away");
  EXPECT_EQ(CampaignWarningName(CampaignWarningCode::kNone), "none");
  EXPECT_EQ(CampaignWarningName(CampaignWarningCode::kEndedWithoutAgreement),
            "ended_without_agreement");
  EXPECT_EQ(CampaignWarningName(CampaignWarningCode::kPausedWithoutAgreement),
            "paused_without_agreement");
}

}  // namespace
}  // namespace parley::model
