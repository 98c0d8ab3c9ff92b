// Money values (exact decimals, amounts, percentages, durations) and the commitment-kind
// vocabulary.
#include <gtest/gtest.h>

#include "parley/core/model.h"
#include "parley/core/money.h"

namespace parley::model {
namespace {

MoneyValue V(std::string_view text) {
  auto v = ParseValue(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? *v : MoneyValue{};
}

TEST(DecimalTest, ParsesExactly) {
  auto d = ParseDecimal("0.05");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->mantissa, 5u);
  EXPECT_EQ(d->scale, 2u);
  auto big = ParseDecimal("999999999999999999");  // 18 digits
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->mantissa, 999'999'999'999'999'999u);
  EXPECT_TRUE(ParseDecimal("000120.5").ok());  // leading zeros are not significant
  for (const char* bad :
       {"", ".", "1.", ".5", "-1", "+1", "1,000", "1e3", "1.2.3", " 1", "0x10",
        "1000000000000000000" /* 19 digits */, "0.0000000001" /* 10 after the point */}) {
    EXPECT_FALSE(ParseDecimal(bad).ok()) << bad;
  }
}

TEST(DecimalTest, ComparesExactlyAcrossScales) {
  auto cmp = [](const char* a, const char* b) {
    return CompareDecimal(*ParseDecimal(a), *ParseDecimal(b));
  };
  EXPECT_EQ(cmp("0.5", "0.50"), 0);
  EXPECT_EQ(cmp("0.05", "0.049999999"), 1);
  EXPECT_EQ(cmp("0.1", "0.100000001"), -1);  // where a double would round, the decimal does not
  EXPECT_EQ(cmp("999999999.999999999", "1000000000"), -1);
  EXPECT_EQ(cmp("12", "9.99"), 1);
  EXPECT_EQ(cmp("0", "0.000"), 0);
}

TEST(DecimalTest, FormatsShortest) {
  EXPECT_EQ(FormatDecimal(*ParseDecimal("0.050")), "0.05");
  EXPECT_EQ(FormatDecimal(*ParseDecimal("250000")), "250000");
  EXPECT_EQ(FormatDecimal(*ParseDecimal("1.000")), "1");
  EXPECT_EQ(FormatDecimal(*ParseDecimal("0007.25")), "7.25");
  EXPECT_EQ(FormatDecimal(*ParseDecimal("0.000000001")), "0.000000001");
}

TEST(MoneyValueTest, ParsesAmountsPercentagesAndDurations) {
  MoneyValue a = V("0.05 USD/lb");
  EXPECT_EQ(a.kind, ValueKind::kAmount);
  EXPECT_EQ(a.currency, "USD");
  EXPECT_EQ(a.unit, "lb");
  EXPECT_EQ(FormatDecimal(a.number), "0.05");
  MoneyValue lump = V("250000 USD");
  EXPECT_EQ(lump.unit, "");
  EXPECT_EQ(V("120000 USD/year").unit, "year");
  EXPECT_EQ(V("5 %").kind, ValueKind::kPercent);
  EXPECT_EQ(V("5%").kind, ValueKind::kPercent);
  EXPECT_EQ(FormatDecimal(V("2.5%").number), "2.5");
  MoneyValue term = V("3 years");
  EXPECT_EQ(term.kind, ValueKind::kDuration);
  EXPECT_EQ(term.duration_unit, DurationUnit::kYear);
  EXPECT_EQ(V("1 year").duration_unit, DurationUnit::kYear);
  EXPECT_EQ(V("18 months").duration_unit, DurationUnit::kMonth);
  EXPECT_EQ(V("6 weeks").duration_unit, DurationUnit::kWeek);
  EXPECT_EQ(V("90 days").duration_unit, DurationUnit::kDay);
  for (const char* bad :
       {"",         "USD 250", "250",       "250 usd",   "250  USD",
        "250 USDX", "250 US",  "5 USD/",    "5 USD/l b", "5 USD/abcdefghijklmnopq",
        "5 % ",     "5 %%",    "%",         " 5%",       "3 decades",
        "3 Years",  "-5 %",    "1,000 USD", "$5",        "5 EUR/lb/yr"}) {
    EXPECT_FALSE(ParseValue(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_NE(ParseValue("5 percent").status().message().find("'5 %'"), std::string::npos);
}

TEST(MoneyValueTest, FormatsCanonicallyAndReadsBack) {
  for (const char* text :
       {"0.05 USD/lb", "250000 USD", "5 %", "2.5 %", "3 years", "1 year", "1 month", "90 days"}) {
    EXPECT_EQ(FormatValue(V(text)), text);
  }
  EXPECT_EQ(FormatValue(V("5%")), "5 %");
  EXPECT_EQ(FormatValue(V("0.050 USD/lb")), "0.05 USD/lb");
  EXPECT_EQ(FormatValue(V("1.0 years")), "1 year");
}

TEST(MoneyValueTest, ComparesOnlyLikeWithLike) {
  struct Case {
    const char* a;
    const char* b;
    Comparison expected;
  };
  const Case cases[] = {
      {"0.05 USD/lb", "0.05 USD/lb", Comparison::kEqual},
      {"0.06 USD/lb", "0.05 USD/lb", Comparison::kGreater},
      {"0.04 USD/lb", "0.050 USD/lb", Comparison::kLess},
      {"0.05 EUR/lb", "0.05 USD/lb", Comparison::kNotComparable},  // other currency
      {"0.05 USD/kg", "0.05 USD/lb", Comparison::kNotComparable},  // other unit
      {"0.05 USD", "0.05 USD/lb", Comparison::kNotComparable},     // lump sum against a rate
      {"5 %", "0.05 USD/lb", Comparison::kNotComparable},          // percentage against an amount
      {"5 %", "4.5%", Comparison::kGreater},
      {"3 years", "36 months", Comparison::kEqual},
      {"2 years", "30 months", Comparison::kLess},
      {"2 weeks", "14 days", Comparison::kEqual},
      {"1 year", "365 days", Comparison::kNotComparable},  // a year is not a whole number of days
      {"3 years", "250000 USD", Comparison::kNotComparable},
  };
  for (const auto& c : cases)
    EXPECT_EQ(CompareValues(V(c.a), V(c.b)), c.expected) << c.a << " vs " << c.b;
  EXPECT_EQ(ComparisonName(Comparison::kNotComparable), "not_comparable");
}

TEST(VocabularyTest, CommitmentKindsCoverTheBrief) {
  const auto& kinds = CommitmentKinds();
  ASSERT_EQ(kinds.size(), 10u);
  for (auto form : FinancialSupportForms()) EXPECT_TRUE(IsCommitmentKind(form)) << form;
  for (auto kind : {"enforceable_obligations", "market_consequences", "independent_monitoring",
                    "worker_gains"}) {
    EXPECT_TRUE(IsCommitmentKind(kind)) << kind;
  }
  EXPECT_FALSE(IsCommitmentKind("code_of_conduct"));
}

TEST(VocabularyTest, TheBriefsWordsNameTheKinds) {
  struct Case {
    const char* words;
    const char* kind;
  };
  const Case cases[] = {
      {"a price premium", "price_premium"},
      {"Negotiated higher prices", "higher_prices"},
      {"long-term order commitments", "long_term_orders"},
      {"licensing fees", "licensing_fees"},
      {"licensing_fee", "licensing_fees"},
      {"support payments for monitoring", "monitoring_support"},
      {"direct payments for work-facility improvements", "facility_improvements"},
      {"enforceable obligations", "enforceable_obligations"},
      {"market consequences for Suppliers", "market_consequences"},
      {"independent inspections and monitoring", "independent_monitoring"},
      {"worker gains", "worker_gains"},
      {"PRICE_PREMIUM", "price_premium"},
  };
  for (const auto& c : cases) {
    auto kind = CanonicalCommitmentKind(c.words);
    ASSERT_TRUE(kind.ok()) << c.words << ": " << kind.status().ToString();
    EXPECT_EQ(*kind, c.kind) << c.words;
  }
  // The forms vocabulary holds only the six forms.
  EXPECT_TRUE(CanonicalFinancialForm("direct payments for work-facility improvements").ok());
  EXPECT_FALSE(CanonicalFinancialForm("worker gains").ok());
}

TEST(VocabularyTest, AnUnknownKindIsRefusedWithTheListAndANearGuess) {
  auto typo = CanonicalCommitmentKind("price_premum");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(typo.status().domain(), Domain::kModel);
  const std::string& m = typo.status().message();
  EXPECT_NE(m.find("did you mean 'price_premium'?"), std::string::npos) << m;
  for (auto kind : CommitmentKinds()) EXPECT_NE(m.find(kind), std::string::npos) << kind;
  EXPECT_NE(CanonicalCommitmentKind("licencing fees").status().message().find("'licensing_fees'"),
            std::string::npos);
  auto far = CanonicalCommitmentKind("bananas");
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.status().message().find("did you mean"), std::string::npos)
      << far.status().message();
  EXPECT_FALSE(CanonicalCommitmentKind("").ok());
}

TEST(VocabularyTest, FormRequirementsReadAndWrite) {
  auto r = ParseFormRequirement("price premium >= 0.050 USD/lb");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->form, "price_premium");
  EXPECT_EQ(r->minimum, "0.05 USD/lb");
  EXPECT_EQ(FormatFormRequirement(*r), "price_premium>=0.05 USD/lb");
  auto plain = ParseFormRequirement("licensing_fees");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(FormatFormRequirement(*plain), "licensing_fees");
  EXPECT_FALSE(ParseFormRequirement("price_premium>=").ok());
  EXPECT_FALSE(ParseFormRequirement("price_premium>=5 dollars").ok());
  EXPECT_FALSE(ParseFormRequirement("worker_gains").ok());
  // The stored field holds the canonical spelling only.
  EXPECT_TRUE(ValidateField(kElement, "forms", "price_premium>=0.05 USD/lb,licensing_fees").ok());
  EXPECT_FALSE(ValidateField(kElement, "forms", "price premium").ok());
  EXPECT_TRUE(ValidateField(kCommitment, "kind", "worker_gains").ok());
  EXPECT_FALSE(ValidateField(kCommitment, "kind", "Worker gains").ok());
  EXPECT_TRUE(ValidateField(kCommitment, "amount", "5 %").ok());
  EXPECT_TRUE(ValidateField(kCommitment, "amount", "3 years").ok());
}

}  // namespace
}  // namespace parley::model
