// The bottom line's requirements, table-driven over the brief's forms of financial support:
// each form met, pending, missing, below its minimum, in another currency or unit, as a
// percentage; and old free-text commitment kinds still read.
#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;

class RequirementsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(device_.ready()); }
  Model& model() { return device_.model(); }
  RecordId NewNegotiation() {
    auto n = model().AddNegotiation({"Fresh Harvest Foods", ""});
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : RecordId{};
  }
  RecordId Commit(const RecordId& n, std::string kind, std::string status, std::string amount) {
    CommitmentInput c;
    c.kind = std::move(kind);
    c.text = "terms";
    c.status = std::move(status);
    c.amount = std::move(amount);
    auto id = model().AddCommitment(n, c);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : RecordId{};
  }
  ElementStatus Financial(const RecordId& n) {
    auto r = model().BottomLine(n);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->elements.size() != 1) {
      ADD_FAILURE() << "expected one element";
      return {};
    }
    return r->elements[0];
  }

  testing::FakeClock clock_{testutil::kMay1};
  Device device_{clock_, "office laptop", /*with_vault=*/true};
};

struct Case {
  const char* form;
  const char* minimum;  // "" for none
  const char* status;   // of the one commitment of that form; nullptr for none
  const char* amount;
  RequirementVerdict expected;
};

// Amount examples per form, and what each scenario expects.
const Case kCases[] = {
    // price_premium: per pound, or a percentage of the price.
    {"price_premium", "", "signed", "0.05 USD/lb", RequirementVerdict::kMet},
    {"price_premium", "0.05 USD/lb", "signed", "0.05 USD/lb", RequirementVerdict::kMet},
    {"price_premium", "0.05 USD/lb", "agreed", "0.06 USD/lb", RequirementVerdict::kMet},
    {"price_premium", "0.05 USD/lb", "proposed", "0.05 USD/lb", RequirementVerdict::kPending},
    {"price_premium", "0.05 USD/lb", "countered", "0.07 USD/lb", RequirementVerdict::kPending},
    {"price_premium", "0.05 USD/lb", nullptr, "", RequirementVerdict::kMissing},
    {"price_premium", "0.05 USD/lb", "withdrawn", "0.05 USD/lb", RequirementVerdict::kMissing},
    {"price_premium", "0.05 USD/lb", "rejected", "0.05 USD/lb", RequirementVerdict::kMissing},
    {"price_premium", "0.05 USD/lb", "signed", "0.049 USD/lb", RequirementVerdict::kBelowMinimum},
    {"price_premium", "0.05 USD/lb", "signed", "0.05 EUR/lb", RequirementVerdict::kNotComparable},
    {"price_premium", "0.05 USD/lb", "signed", "0.05 USD/kg", RequirementVerdict::kNotComparable},
    {"price_premium", "0.05 USD/lb", "signed", "5 %", RequirementVerdict::kNotComparable},
    {"price_premium", "0.05 USD/lb", "signed", "", RequirementVerdict::kNotComparable},
    {"price_premium", "5 %", "signed", "5%", RequirementVerdict::kMet},
    {"price_premium", "5 %", "signed", "4.99 %", RequirementVerdict::kBelowMinimum},
    // higher_prices: a percentage over the market price.
    {"higher_prices", "10 %", "agreed", "12 %", RequirementVerdict::kMet},
    {"higher_prices", "10 %", "proposed", "12 %", RequirementVerdict::kPending},
    {"higher_prices", "10 %", "signed", "9.5 %", RequirementVerdict::kBelowMinimum},
    {"higher_prices", "10 %", "signed", "0.10 USD/lb", RequirementVerdict::kNotComparable},
    {"higher_prices", "", nullptr, "", RequirementVerdict::kMissing},
    // long_term_orders: a term.
    {"long_term_orders", "3 years", "signed", "36 months", RequirementVerdict::kMet},
    {"long_term_orders", "3 years", "signed", "2 years", RequirementVerdict::kBelowMinimum},
    {"long_term_orders", "3 years", "signed", "1095 days", RequirementVerdict::kNotComparable},
    {"long_term_orders", "3 years", "countered", "5 years", RequirementVerdict::kPending},
    {"long_term_orders", "3 years", nullptr, "", RequirementVerdict::kMissing},
    // licensing_fees: a yearly sum.
    {"licensing_fees", "", "signed", "", RequirementVerdict::kMet},
    {"licensing_fees", "50000 USD/year", "signed", "50000.00 USD/year", RequirementVerdict::kMet},
    {"licensing_fees", "50000 USD/year", "signed", "49999.99 USD/year",
     RequirementVerdict::kBelowMinimum},
    {"licensing_fees", "50000 USD/year", "signed", "50000 USD", RequirementVerdict::kNotComparable},
    {"licensing_fees", "50000 USD/year", "proposed", "60000 USD/year",
     RequirementVerdict::kPending},
    // monitoring_support: a sum.
    {"monitoring_support", "250000 USD", "agreed", "300000 USD", RequirementVerdict::kMet},
    {"monitoring_support", "250000 USD", "agreed", "200000 USD", RequirementVerdict::kBelowMinimum},
    {"monitoring_support", "250000 USD", "agreed", "300000 MXN",
     RequirementVerdict::kNotComparable},
    {"monitoring_support", "250000 USD", nullptr, "", RequirementVerdict::kMissing},
    // facility_improvements: direct payments.
    {"facility_improvements", "1000000 USD", "signed", "1000000 USD", RequirementVerdict::kMet},
    {"facility_improvements", "1000000 USD", "proposed", "1000000 USD",
     RequirementVerdict::kPending},
    {"facility_improvements", "1000000 USD", "signed", "999999.999999999 USD",
     RequirementVerdict::kBelowMinimum},
    {"facility_improvements", "", "withdrawn", "", RequirementVerdict::kMissing},
};

TEST_F(RequirementsTest, EachFormIsCheckedOnItsOwn) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(c.form) + " >= '" + c.minimum + "', " +
                 (c.status ? c.status : "none") + " '" + c.amount + "'");
    RecordId n = NewNegotiation();
    RecordId commitment{};
    if (c.status != nullptr) commitment = Commit(n, c.form, c.status, c.amount);
    std::string requirement =
        std::string(c.form) + (*c.minimum ? std::string(">=") + c.minimum : "");
    ASSERT_TRUE(model().RequireElement(n, {"financial_support", {}, {requirement}}).ok());
    ElementStatus e = Financial(n);
    ASSERT_EQ(e.requirements.size(), 1u);
    const RequirementStatus& r = e.requirements[0];
    EXPECT_EQ(r.form, c.form);
    EXPECT_EQ(r.verdict, c.expected) << RequirementVerdictName(r.verdict);
    EXPECT_EQ(e.covered, c.expected == RequirementVerdict::kMet);
    const std::vector<RecordId> just{commitment};
    switch (c.expected) {
      case RequirementVerdict::kMet:
        EXPECT_EQ(r.meeting, just);
        EXPECT_EQ(e.covering, just);
        break;
      case RequirementVerdict::kPending:  // the report names the pending commitment
        EXPECT_EQ(r.pending, just);
        EXPECT_TRUE(r.meeting.empty());
        break;
      case RequirementVerdict::kBelowMinimum:
      case RequirementVerdict::kNotComparable:
        EXPECT_EQ(r.short_of, just);
        break;
      case RequirementVerdict::kMissing:
        EXPECT_TRUE(r.meeting.empty() && r.pending.empty() && r.short_of.empty());
        break;
    }
  }
}

TEST_F(RequirementsTest, EveryRequiredFormMustBeMet) {
  RecordId n = NewNegotiation();
  RecordId premium = Commit(n, "price_premium", "signed", "0.05 USD/lb");
  RecordId fee = Commit(n, "licensing fee", "proposed", "60000 USD/year");  // the brief's words
  RecordId facility =
      Commit(n, "direct payments for work-facility improvements", "agreed", "2000000 USD");
  ASSERT_TRUE(model()
                  .RequireElement(n, {"financial_support",
                                      {},
                                      {"price_premium>=0.05 USD/lb", "licensing_fees",
                                       "facility_improvements"}})
                  .ok());
  ElementStatus e = Financial(n);
  ASSERT_EQ(e.requirements.size(), 3u);
  EXPECT_EQ(e.requirements[0].verdict, RequirementVerdict::kMet);
  EXPECT_EQ(e.requirements[1].verdict, RequirementVerdict::kPending);
  EXPECT_EQ(e.requirements[1].pending, std::vector<RecordId>{fee});
  EXPECT_EQ(e.requirements[2].verdict, RequirementVerdict::kMet);
  EXPECT_FALSE(e.covered);
  EXPECT_EQ(e.covering, (std::vector<RecordId>{premium, facility}));

  ASSERT_TRUE(model().SetCommitmentStatus(fee, "signed").ok());
  e = Financial(n);
  EXPECT_TRUE(e.covered);
  auto report = model().BottomLine(n);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->verdict, Verdict::kMeets);
}

TEST_F(RequirementsTest, RequiringAgainRaisesAMinimumAndKeepsTheOthers) {
  RecordId n = NewNegotiation();
  ASSERT_TRUE(
      model()
          .RequireElement(
              n, {"financial_support", {}, {"price_premium>=0.05 USD/lb", "licensing_fees"}})
          .ok());
  ASSERT_TRUE(
      model().RequireElement(n, {"financial_support", {}, {"price premium >= 0.06 USD/lb"}}).ok());
  ASSERT_TRUE(
      model()
          .RequireElement(n, {"financial_support", {}, {"price_premium", "monitoring_support"}})
          .ok());
  ElementStatus e = Financial(n);
  EXPECT_EQ(e.forms, (std::vector<std::string>{"price_premium>=0.06 USD/lb", "licensing_fees",
                                               "monitoring_support"}));
  // Bad requirements are refused, nothing written.
  EXPECT_EQ(
      model().RequireElement(n, {"financial_support", {}, {"price_premium>=lots"}}).status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(model().RequireElement(n, {"financial_support", {}, {"worker_gains"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(model().RequireElement(n, {"worker_gains", {}, {"price_premium"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Financial(n).forms.size(), 3u);
}

TEST_F(RequirementsTest, ConcurrentRequirementsAreAllChecked) {
  Device phone{clock_, "phone", /*with_vault=*/false};
  ASSERT_TRUE(phone.ready());
  device_.Enroll(phone);
  RecordId n = NewNegotiation();
  ASSERT_TRUE(model().RequireElement(n, {"financial_support", {}, {"price_premium"}}).ok());
  device_.SendTo(phone);
  ASSERT_TRUE(
      model().RequireElement(n, {"financial_support", {}, {"price_premium>=0.05 USD/lb"}}).ok());
  ASSERT_TRUE(phone.model().RequireElement(n, {"financial_support", {}, {"licensing_fees"}}).ok());
  phone.SendTo(device_);
  Commit(n, "price_premium", "signed", "0.05 USD/lb");
  ElementStatus e = Financial(n);
  EXPECT_TRUE(e.conflicted);
  std::vector<std::string> forms;
  for (const auto& r : e.requirements) forms.push_back(r.form);
  // Neither device's requirement is lost to the other's edit.
  EXPECT_NE(std::find(forms.begin(), forms.end(), "licensing_fees"), forms.end());
  EXPECT_FALSE(e.covered);
}

TEST_F(RequirementsTest, OldFreeTextKindsStillReadAndMeetNothing) {
  RecordId n = NewNegotiation();
  // A commitment written before kinds were a vocabulary (straight through the replica, as an
  // older device would have synced it).
  RecordId old{};
  {
    auto txn = device_.replica().Begin();
    ASSERT_TRUE(txn.ok());
    auto id = (*txn)->Create(kCommitment);
    ASSERT_TRUE(id.ok());
    old = *id;
    for (auto [field, value] : {std::pair{"negotiation", log::ToString(n)},
                                {"kind", std::string("code of conduct")},
                                {"text", std::string("Suppliers follow the code")},
                                {"status", std::string("signed")},
                                {"principle", std::string("firm")}}) {
      ASSERT_TRUE((*txn)->Set(old, field, value).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto o = model().Overview(n);
  ASSERT_TRUE(o.ok());
  ASSERT_EQ(o->commitments.size(), 1u);
  EXPECT_EQ(o->commitments[0].get("kind"), "code of conduct");  // shown as stored
  EXPECT_FALSE(IsCommitmentKind(o->commitments[0].get("kind")));
  // Linked the old way, it still covers a plain element; it meets no form requirement.
  ASSERT_TRUE(model().RequireElement(n, {"enforceable_obligations", {old}, {}}).ok());
  auto r = model().BottomLine(n);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->elements[0].covered);
  // Its status still changes; its kind is put right with the stored spelling.
  ASSERT_TRUE(model().SetCommitmentStatus(old, "agreed").ok());
  EXPECT_EQ(model().Resolve(old, "kind", "code of conduct").code(), Code::kInvalidArgument);
  ASSERT_TRUE(model().Resolve(old, "kind", "enforceable obligations").ok());
  auto fixed = model().GetOfType(old, kCommitment);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->get("kind"), "enforceable_obligations");
}

}  // namespace
}  // namespace parley::model
