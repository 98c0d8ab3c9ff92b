// Recording negotiation records over a real encrypted store: fields, formats, validation.
#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(device_.ready()); }
  Model& model() { return device_.model(); }
  RecordId Negotiation() {
    auto id = model().AddNegotiation({"Fresh Harvest Foods", "Tomato supply WSR"});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : RecordId{};
  }

  testing::FakeClock clock_{testutil::kMay1};
  Device device_{clock_, "ana phone", /*with_vault=*/true};
};

TEST_F(ModelTest, NegotiationStartsActiveWithCreationTime) {
  RecordId id = Negotiation();
  auto list = model().Negotiations();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  const log::Record& n = list->front();
  EXPECT_EQ(n.id, id);
  EXPECT_EQ(n.type, kNegotiation);
  EXPECT_EQ(n.get("buyer"), "Fresh Harvest Foods");
  EXPECT_EQ(n.get("title"), "Tomato supply WSR");
  EXPECT_EQ(n.get("campaign_status"), "active");
  EXPECT_EQ(n.get("created"), "2025-05-01T00:00:00Z");
}

TEST_F(ModelTest, OverviewGathersEveryRecordOfTheNegotiation) {
  RecordId n = Negotiation();
  RecordId other = Negotiation();
  auto buyer = model().AddParty(n, {"buyer", "Fresh Harvest Foods"});
  ASSERT_TRUE(buyer.ok()) << buyer.status().ToString();
  ASSERT_TRUE(model().AddParty(n, {"worker_org", "Farmworkers United"}).ok());
  auto late = model().AddSession(n, {"2025-04-20", "Buyer HQ", "Ana, J. Smith"});
  auto early = model().AddSession(n, {"2025-04-02", "Online", ""});
  ASSERT_TRUE(late.ok() && early.ok());
  NoteInput note;
  note.session = *early;
  note.text = "Buyer asked for a two-year phase-in.";
  ASSERT_TRUE(model().AddNote(n, note).ok());
  CommitmentInput c;
  c.kind = "price_premium";
  c.text = "One cent per pound passed to workers";
  c.by = *buyer;
  c.amount = "0.01 USD/lb";
  c.deadline = "2025-12-31";
  c.principle = "firm";
  auto commitment = model().AddCommitment(n, c);
  ASSERT_TRUE(commitment.ok()) << commitment.status().ToString();
  ASSERT_TRUE(model().AddNeed(n, {"constraint", "Cannot raise shelf prices before Q3"}).ok());
  ASSERT_TRUE(
      model().AddCampaignAction(n, {"2025-04-10", "protest", "Picket at flagship store"}).ok());
  ASSERT_TRUE(model().AddNote(other, {std::nullopt, "Unrelated"}).ok());

  auto o = model().Overview(n);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->parties.size(), 2u);
  ASSERT_EQ(o->sessions.size(), 2u);
  EXPECT_EQ(o->sessions[0].id, *early);  // ordered by date, not by recording
  EXPECT_EQ(o->sessions[1].id, *late);
  ASSERT_EQ(o->notes.size(), 1u);
  EXPECT_EQ(o->notes[0].get("session"), log::ToString(*early));
  ASSERT_EQ(o->commitments.size(), 1u);
  const log::Record& rec = o->commitments[0];
  EXPECT_EQ(rec.get("status"), "proposed");
  EXPECT_EQ(rec.get("principle"), "firm");
  EXPECT_EQ(rec.get("amount"), "0.01 USD/lb");
  EXPECT_EQ(rec.get("by"), log::ToString(*buyer));
  EXPECT_EQ(o->needs.size(), 1u);
  EXPECT_EQ(o->actions.size(), 1u);
}

TEST_F(ModelTest, InvalidValuesAreRefusedAndNothingIsWritten) {
  RecordId n = Negotiation();
  auto count_before = device_.replica().ChangeCount();
  ASSERT_TRUE(count_before.ok());

  auto expect_invalid = [](const Status& s, std::string_view words) {
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
  };
  expect_invalid(model().AddNegotiation({"", "t"}).status(), "buyer must not be empty");
  expect_invalid(model().AddParty(n, {"boss", "X"}).status(), "unknown party role 'boss'");
  expect_invalid(model().AddSession(n, {"2025-02-30", "", ""}).status(),
                 "invalid date '2025-02-30'");
  expect_invalid(model().AddSession(n, {"14/03/2025", "", ""}).status(), "expected YYYY-MM-DD");
  CommitmentInput c;
  c.kind = "price_premium";
  c.text = "terms";
  c.amount = "lots";
  expect_invalid(model().AddCommitment(n, c).status(), "invalid amount 'lots'");
  c.amount = "100 usd";
  expect_invalid(model().AddCommitment(n, c).status(), "invalid amount");
  c.amount = "100.50 USD";
  c.status = "maybe";
  expect_invalid(model().AddCommitment(n, c).status(), "unknown commitment status 'maybe'");
  c.status = "proposed";
  c.principle = "soft";
  expect_invalid(model().AddCommitment(n, c).status(), "unknown principle");
  expect_invalid(model().RequireElement(n, {"good_vibes", {}, {}}).status(),
                 "unknown element 'good_vibes'");
  expect_invalid(model().RequireElement(n, {"worker_gains", {}, {"price_premium"}}).status(),
                 "only to the financial_support element");
  expect_invalid(model().RequireElement(n, {"financial_support", {}, {"gift_cards"}}).status(),
                 "unknown financial support form 'gift_cards'");
  expect_invalid(model().AddNeed(n, {"wish", "x"}).status(), "unknown need kind");
  expect_invalid(model().SetCampaignStatus(n, "over").status(), "unknown campaign status 'over'");
  expect_invalid(model().AddNote(n, {std::nullopt, "  "}).status(), "text must not be empty");

  auto count_after = device_.replica().ChangeCount();
  ASSERT_TRUE(count_after.ok());
  EXPECT_EQ(*count_after, *count_before);
}

TEST_F(ModelTest, ReferencesMustExistWithTheRightType) {
  RecordId n = Negotiation();
  RecordId ghost{};
  ghost[0] = 0xab;
  auto s = model().AddNote(ghost, {std::nullopt, "hello"}).status();
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("unknown negotiation id"), std::string::npos) << s.message();

  auto party = model().AddParty(n, {"ally", "Student coalition"});
  ASSERT_TRUE(party.ok());
  // A party is not a negotiation.
  EXPECT_EQ(model().AddSession(*party, {"2025-05-02", "", ""}).status().code(), Code::kNotFound);
  // A commitment's status cannot be set on a note.
  auto note = model().AddNote(n, {std::nullopt, "text"});
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(model().SetCommitmentStatus(*note, "agreed").code(), Code::kNotFound);
  // Links must be commitments of the same negotiation.
  RecordId other = Negotiation();
  CommitmentInput c;
  c.kind = "independent_monitoring";
  c.text = "Third-party audits";
  auto foreign = model().AddCommitment(other, c);
  ASSERT_TRUE(foreign.ok());
  auto linked = model().RequireElement(n, {"independent_monitoring", {*foreign}, {}});
  EXPECT_EQ(linked.status().code(), Code::kInvalidArgument);
  // The proposing party must belong to the negotiation.
  c.by = *party;
  EXPECT_EQ(model().AddCommitment(other, c).status().code(), Code::kInvalidArgument);
}

TEST_F(ModelTest, FindPartyByNameOrPrefix) {
  RecordId n = Negotiation();
  auto party = model().AddParty(n, {"supplier", "Sunny Acres Farm"});
  ASSERT_TRUE(party.ok());
  auto by_name = model().FindParty(n, "sunny acres farm");
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(*by_name, *party);
  auto by_prefix = model().FindParty(n, log::ToString(*party).substr(0, 8));
  ASSERT_TRUE(by_prefix.ok());
  EXPECT_EQ(*by_prefix, *party);
  EXPECT_EQ(model().FindParty(n, "nobody").status().code(), Code::kNotFound);
}

TEST_F(ModelTest, RequireElementTwiceAddsLinksToTheSameRecord) {
  RecordId n = Negotiation();
  CommitmentInput c;
  c.kind = "price_premium";
  c.text = "Premium";
  auto a = model().AddCommitment(n, c);
  c.kind = "long_term_orders";
  auto b = model().AddCommitment(n, c);
  ASSERT_TRUE(a.ok() && b.ok());
  auto first = model().RequireElement(n, {"financial_support", {*a}, {"price_premium"}});
  auto second = model().RequireElement(n, {"financial_support", {*b}, {"long_term_orders"}});
  ASSERT_TRUE(first.ok() && second.ok()) << second.status().ToString();
  EXPECT_EQ(*first, *second);
  auto e = model().GetOfType(*first, kElement);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->get("covered_by"), log::ToString(*a) + "," + log::ToString(*b));
  EXPECT_EQ(e->get("forms"), "price_premium,long_term_orders");
}

TEST_F(ModelTest, CommitmentStatusHistoryIsKeptInOrder) {
  RecordId n = Negotiation();
  CommitmentInput c;
  c.kind = "enforceable_obligations";
  c.text = "Zero tolerance for forced labour";
  auto id = model().AddCommitment(n, c);
  ASSERT_TRUE(id.ok());
  for (const char* s : {"countered", "agreed", "signed"}) {
    clock_.AdvanceMs(60'000);
    ASSERT_TRUE(model().SetCommitmentStatus(*id, s).ok()) << s;
  }
  auto history = model().StatusHistory(*id);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 4u);
  const char* want[] = {"proposed", "countered", "agreed", "signed"};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*history)[i].status, want[i]);
    EXPECT_EQ((*history)[i].author_name, "ana phone");
    EXPECT_EQ((*history)[i].live, i == 3);
    if (i > 0) {
      EXPECT_GT((*history)[i].hlc, (*history)[i - 1].hlc);
    }
  }
  // The full history names every operation.
  auto full = model().History(*id);
  ASSERT_TRUE(full.ok());
  ASSERT_FALSE(full->empty());
  EXPECT_EQ(full->front().op, "create");
}

TEST_F(ModelTest, ResolveValidatesForTheRecordType) {
  RecordId n = Negotiation();
  EXPECT_EQ(model().Resolve(n, "campaign_status", "finished").code(), Code::kInvalidArgument);
  EXPECT_EQ(model().Resolve(n, "colour", "red").code(), Code::kInvalidArgument);
  ASSERT_TRUE(model().Resolve(n, "title", "Renamed").ok());
  auto rec = model().GetOfType(n, kNegotiation);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->get("title"), "Renamed");
}

TEST(ModelFormats, DatesAmountsElements) {
  EXPECT_TRUE(ValidateDate("2024-02-29").ok());
  EXPECT_FALSE(ValidateDate("2023-02-29").ok());
  EXPECT_FALSE(ValidateDate("2023-13-01").ok());
  EXPECT_FALSE(ValidateDate("2023-1-01").ok());
  EXPECT_TRUE(ValidateAmount("250000 USD").ok());
  EXPECT_TRUE(ValidateAmount("1500.75 EUR").ok());
  EXPECT_TRUE(ValidateAmount("0.01 USD/lb").ok());
  EXPECT_FALSE(ValidateAmount("USD 250").ok());
  EXPECT_FALSE(ValidateAmount("1,000 USD").ok());
  EXPECT_FALSE(ValidateAmount("1. USD").ok());
  EXPECT_FALSE(ValidateAmount("-5 USD").ok());
  EXPECT_FALSE(ValidateAmount("5 USD/").ok());
  for (auto e : StandardElements()) EXPECT_TRUE(ValidateElement(e).ok()) << e;
  EXPECT_TRUE(ValidateElement("custom:no_retaliation").ok());
  EXPECT_FALSE(ValidateElement("custom:").ok());
  EXPECT_FALSE(ValidateElement("custom:Has Spaces").ok());
  EXPECT_EQ(FormatTimestamp(testutil::kMay1 + 3'723'000), "2025-05-01T01:02:03Z");
}

}  // namespace
}  // namespace parley::model
