// Findings from using the product on the brief's money terms, each reproduced on a real
// store: free-text commitment kinds, the brief's wording for a financial support form, one
// signed form covering six required ones, and values the model could not express.
#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;

class MoneyFindingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(device_.ready());
    auto n = device_.model().AddNegotiation({"Fresh Harvest Foods", ""});
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    n_ = *n;
  }
  Model& model() { return device_.model(); }
  Result<RecordId> Commit(std::string kind, std::string status, std::string amount = "") {
    CommitmentInput c;
    c.kind = std::move(kind);
    c.text = "terms";
    c.status = std::move(status);
    c.amount = std::move(amount);
    return model().AddCommitment(n_, c);
  }

  testing::FakeClock clock_{testutil::kMay1};
  Device device_{clock_, "office laptop", /*with_vault=*/true};
  RecordId n_{};
};

TEST_F(MoneyFindingsTest, AMisspelledCommitmentKindIsRefused) {
  auto typo = Commit("price_premum", "proposed");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), Code::kInvalidArgument);
  EXPECT_NE(typo.status().message().find("price_premium"), std::string::npos)
      << typo.status().message();
}

TEST_F(MoneyFindingsTest, TheBriefsWordingOfAFormIsAccepted) {
  Status s =
      model()
          .RequireElement(
              n_, {"financial_support", {}, {"direct payments for work-facility improvements"}})
          .status();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(MoneyFindingsTest, OneSignedFormDoesNotCoverSixRequiredForms) {
  auto premium = Commit("price_premium", "signed", "0.05 USD/lb");
  auto fee = Commit("licensing_fees", "proposed");
  ASSERT_TRUE(premium.ok() && fee.ok());
  ASSERT_TRUE(
      model()
          .RequireElement(n_, {"financial_support",
                               {*premium, *fee},
                               {"price_premium", "higher_prices", "long_term_orders",
                                "licensing_fees", "monitoring_support", "facility_improvements"}})
          .ok());
  auto r = model().BottomLine(n_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->elements.size(), 1u);
  EXPECT_FALSE(r->elements[0].covered);
  EXPECT_FALSE(r->meets);
}

TEST_F(MoneyFindingsTest, PercentagesAndMinimumsCanBeExpressed) {
  EXPECT_TRUE(Commit("price_premium", "proposed", "5 %").ok());
  EXPECT_TRUE(Commit("price_premium", "proposed", "5%").ok());
  EXPECT_TRUE(Commit("long_term_orders", "proposed", "3 years").ok());
  Status s = model()
                 .RequireElement(n_, {"financial_support", {}, {"price_premium>=0.05 USD/lb"}})
                 .status();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace parley::model
