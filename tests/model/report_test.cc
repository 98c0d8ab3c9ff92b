// Negotiation reports from a real store: the data Build gathers, and each rendering (CSV
// read back by an RFC 4180 parser, self-contained escaped HTML, escaped Markdown).
#include <cctype>
#include <map>

#include "model_fixture.h"
#include "parley/core/report.h"

namespace parley::report {
namespace {

using model::testutil::Device;

// RFC 4180: rows of cells; quoted cells may hold commas, quotes (doubled) and line breaks.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      EXPECT_TRUE(cell.empty()) << "a quote inside an unquoted cell";
      quoted = was_quoted = true;
    } else if (c == ',') {
      row.push_back(cell);
      cell.clear();
      was_quoted = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(cell);
      rows.push_back(row);
      row.clear();
      cell.clear();
      was_quoted = false;
      ++i;
    } else {
      EXPECT_NE(c, '\n') << "a bare line break outside quotes";
      cell += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  EXPECT_TRUE(row.empty() && cell.empty() && !was_quoted) << "the last row does not end with CRLF";
  return rows;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(device_.ready());
    auto n = model().AddNegotiation({"Fresh <Harvest> & \"Foods\"", "Tomatoes, 2026"});
    ASSERT_TRUE(n.ok());
    n_ = *n;
    auto buyer = model().AddParty(n_, {"buyer", "FHF procurement"});
    ASSERT_TRUE(buyer.ok());
    model::CommitmentInput premium;
    premium.kind = "price_premium";
    premium.text = "A premium, \"per pound\"\nsecond line";
    premium.amount = "0.05 USD/lb";
    premium.by = *buyer;
    premium.principle = "firm";
    auto p = model().AddCommitment(n_, premium);
    ASSERT_TRUE(p.ok());
    premium_ = *p;
    clock_.AdvanceMs(60'000);
    ASSERT_TRUE(model().SetCommitmentStatus(premium_, "agreed").ok());
    clock_.AdvanceMs(60'000);
    ASSERT_TRUE(model().SetCommitmentStatus(premium_, "signed").ok());
    model::CommitmentInput fee;
    fee.kind = "licensing fee";
    fee.text = "=HYPERLINK(\"http://evil.example/\",\"fee\") <script>alert(1)</script>";
    fee.amount = "60000 USD/year";
    auto f = model().AddCommitment(n_, fee);
    ASSERT_TRUE(f.ok());
    fee_ = *f;
    ASSERT_TRUE(model()
                    .RequireElement(n_, {"financial_support",
                                         {},
                                         {"price_premium>=0.05 USD/lb", "licensing_fees",
                                          "facility_improvements"}})
                    .ok());
    ASSERT_TRUE(model().AddNeed(n_, {"constraint", "Margins | thin <b>now</b> *really*"}).ok());
    ASSERT_TRUE(model().AddCampaignAction(n_, {"2026-03-01", "protest", "At the store"}).ok());
    ASSERT_TRUE(model().SetCampaignStatus(n_, "paused").ok());
  }
  model::Model& model() { return device_.model(); }
  NegotiationReport Built() {
    auto r = Build(model(), clock_, n_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : NegotiationReport{};
  }

  testing::FakeClock clock_{model::testutil::kMay1};
  Device device_{clock_, "office laptop", /*with_vault=*/true};
  RecordId n_{}, premium_{}, fee_{};
};

TEST_F(ReportTest, BuildGathersTheBottomLineCommitmentsSignalsAndNeeds) {
  NegotiationReport r = Built();
  EXPECT_EQ(r.buyer, "Fresh <Harvest> & \"Foods\"");
  EXPECT_EQ(r.campaign_status, "paused");
  EXPECT_EQ(r.generated, "2025-05-01T00:02:00Z");
  EXPECT_EQ(r.bottom_line.verdict, model::Verdict::kWalkAway);
  EXPECT_EQ(r.bottom_line.campaign_warning,
            model::CampaignWarningCode::kNone);  // one commitment is signed
  ASSERT_EQ(r.bottom_line.elements.size(), 1u);
  const auto& q = r.bottom_line.elements[0].requirements;
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].verdict, model::RequirementVerdict::kMet);
  EXPECT_EQ(q[1].verdict, model::RequirementVerdict::kPending);
  EXPECT_EQ(q[1].pending, std::vector<RecordId>{fee_});
  EXPECT_EQ(q[2].verdict, model::RequirementVerdict::kMissing);
  ASSERT_EQ(r.commitments.size(), 2u);
  EXPECT_EQ(r.commitments[0].by, "FHF procurement");
  ASSERT_EQ(r.commitments[0].history.size(), 3u);
  EXPECT_EQ(r.commitments[0].history[0].status, "proposed");
  EXPECT_EQ(r.commitments[0].history[2].status, "signed");
  EXPECT_TRUE(r.commitments[0].history[2].live);
  EXPECT_EQ(r.commitments[1].kind, "licensing_fees");
  ASSERT_EQ(r.needs.size(), 1u);
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(Build(model(), clock_, premium_).status().code(), Code::kNotFound);
}

TEST_F(ReportTest, CsvReadsBackWithItsColumnsAndEscaping) {
  const std::string csv = RenderCsv({Built()});
  auto rows = ParseCsv(csv);
  ASSERT_GE(rows.size(), 2u);
  std::vector<std::string> header(CsvColumns().begin(), CsvColumns().end());
  EXPECT_EQ(rows[0], header);
  EXPECT_EQ(header,
            (std::vector<std::string>{"negotiation", "buyer", "section", "record", "item", "status",
                                      "value", "date", "party", "text", "related", "flags"}));
  auto col = [&](std::string_view name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  std::map<std::string, std::vector<std::vector<std::string>>> sections;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << "row " << i;
    EXPECT_EQ(rows[i][col("negotiation")], log::ToString(n_));
    EXPECT_EQ(rows[i][col("buyer")], "Fresh <Harvest> & \"Foods\"");
    sections[rows[i][col("section")]].push_back(rows[i]);
  }
  ASSERT_EQ(sections["verdict"].size(), 1u);
  EXPECT_EQ(sections["verdict"][0][col("status")], "walk_away");
  ASSERT_EQ(sections["requirement"].size(), 3u);
  EXPECT_EQ(sections["requirement"][0][col("item")], "price_premium");
  EXPECT_EQ(sections["requirement"][0][col("value")], "0.05 USD/lb");
  EXPECT_EQ(sections["requirement"][0][col("status")], "met");
  EXPECT_EQ(sections["requirement"][0][col("related")], "met_by:" + log::ToString(premium_));
  EXPECT_EQ(sections["requirement"][1][col("status")], "pending");
  EXPECT_EQ(sections["requirement"][1][col("related")], "pending:" + log::ToString(fee_));
  EXPECT_EQ(sections["requirement"][2][col("status")], "missing");
  ASSERT_EQ(sections["commitment"].size(), 2u);
  const auto& premium = sections["commitment"][0];
  EXPECT_EQ(premium[col("text")],
            "A premium, \"per pound\"\nsecond line");  // comma, quotes, line break
  EXPECT_EQ(premium[col("value")], "0.05 USD/lb");
  EXPECT_EQ(premium[col("party")], "FHF procurement");
  EXPECT_EQ(premium[col("flags")], "firm");
  // A spreadsheet formula is neutralized, never run when the file is opened.
  EXPECT_EQ(sections["commitment"][1][col("text")].rfind("'=HYPERLINK(", 0), 0u);
  ASSERT_EQ(sections["status_change"].size(), 4u);  // three for the premium, one for the fee
  EXPECT_EQ(sections["status_change"][1][col("status")], "agreed");
  EXPECT_EQ(sections["status_change"][1][col("date")], "2025-05-01T00:01:00Z");
  EXPECT_EQ(sections["status_change"][1][col("flags")], "superseded");
  ASSERT_EQ(sections["stall"].size(), 1u);
  EXPECT_EQ(sections["stall"][0][col("status")], "not_stalled");
  ASSERT_EQ(sections["campaign"].size(), 1u);
  EXPECT_EQ(sections["campaign"][0][col("item")], "paused");
  ASSERT_EQ(sections["need"].size(), 1u);
  EXPECT_EQ(sections["need"][0][col("text")], "Margins | thin <b>now</b> *really*");
  EXPECT_EQ(sections["campaign_action"].size(), 1u);
}

TEST_F(ReportTest, HtmlIsSelfContainedEscapedAndPrintable) {
  auto second = model().AddNegotiation({"Other Buyer", ""});
  ASSERT_TRUE(second.ok());
  auto other = Build(model(), clock_, *second);
  ASSERT_TRUE(other.ok());
  const std::string html = RenderHtml({Built(), *other});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // The only <script> is the user's text, escaped; nothing refers to anything outside.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Fresh &lt;Harvest&gt; &amp; &quot;Foods&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<b>now</b>"), std::string::npos);
  // No attribute or rule that loads anything: compared case-blind, with the spaces an
  // attacker could slip before "=" or "(" taken out.
  std::string folded;
  for (char c : html) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') continue;
    folded.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (const char* external :
       {"src=", "href=", "action=", "srcset=", "poster=", "data=", "url(", "@import", "<link",
        "<img", "<iframe", "<object", "<embed", "<script"}) {
    EXPECT_EQ(folded.find(external), std::string::npos) << external;
  }
  // The only "http" is the escaped text of the user's note, inside an attribute-free cell.
  EXPECT_EQ(html.find("\"http"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  // Printable: print rules and one page per negotiation.
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("@page"), std::string::npos);
  std::size_t sections = 0;
  for (std::size_t at = html.find("<section class=\"negotiation\">"); at != std::string::npos;
       at = html.find("<section class=\"negotiation\">", at + 1)) {
    ++sections;
  }
  EXPECT_EQ(sections, 2u);
  EXPECT_NE(html.find("break-after: page"), std::string::npos);
  EXPECT_NE(html.find("only proposed or countered"), std::string::npos);
}

TEST_F(ReportTest, MarkdownEscapesWhatCouldBreakItsTables) {
  const std::string md = RenderMarkdown({Built()});
  EXPECT_EQ(md.rfind("# Bottom line — Fresh &lt;Harvest&gt; &amp; \"Foods\": Tomatoes, 2026\n", 0),
            0u)
      << md;
  EXPECT_NE(md.find("Margins \\| thin &lt;b&gt;now&lt;/b&gt; \\*really\\*"), std::string::npos)
      << md;
  EXPECT_NE(md.find("A premium, \"per pound\"<br>second line"), std::string::npos) << md;
  EXPECT_EQ(md.find("<script"), std::string::npos);
  EXPECT_NE(md.find("price\\_premium"), std::string::npos);
  EXPECT_NE(md.find("pending: `" + log::ToString(fee_).substr(0, 8) + "`"), std::string::npos)
      << md;
  EXPECT_NE(md.find("## Buyer's needs and constraints"), std::string::npos);
  EXPECT_NE(md.find("### Status history"), std::string::npos);
  // Every table row has as many cells as its header: no user text adds a column.
  std::size_t start = 0;
  std::size_t columns = 0;
  while (start < md.size()) {
    std::size_t end = md.find('\n', start);
    std::string line = md.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] != '|') {
      columns = 0;
      continue;
    }
    std::size_t bars = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++bars;
    }
    if (columns == 0) columns = bars;
    EXPECT_EQ(bars, columns) << line;
  }
}

TEST_F(ReportTest, AnOldFreeTextKindIsShownAsStoredAndFlagged) {
  {
    auto txn = device_.replica().Begin();
    ASSERT_TRUE(txn.ok());
    auto id = (*txn)->Create(model::kCommitment);
    ASSERT_TRUE(id.ok());
    for (auto [field, value] : {std::pair{"negotiation", log::ToString(n_)},
                                {"kind", std::string("code of conduct")},
                                {"text", std::string("Suppliers follow the code")},
                                {"status", std::string("agreed")}}) {
      ASSERT_TRUE((*txn)->Set(*id, field, value).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  NegotiationReport r = Built();
  ASSERT_EQ(r.commitments.size(), 3u);
  EXPECT_EQ(r.commitments[2].kind, "code of conduct");
  EXPECT_FALSE(r.commitments[2].kind_known);
  EXPECT_TRUE(r.commitments[0].kind_known);
  EXPECT_NE(RenderCsv({r}).find(
                ",code of conduct,agreed,,,,Suppliers follow the code,,kind_not_in_vocabulary\r\n"),
            std::string::npos)
      << RenderCsv({r});
  EXPECT_NE(RenderHtml({r}).find("code of conduct <em>(not in the vocabulary)</em>"),
            std::string::npos);
  EXPECT_NE(RenderMarkdown({r}).find("code of conduct (not in the vocabulary)"), std::string::npos);
}

TEST(ReportFormatTest, ParsesTheFormatNames) {
  EXPECT_EQ(*ParseFormat("csv"), Format::kCsv);
  EXPECT_EQ(*ParseFormat("html"), Format::kHtml);
  EXPECT_EQ(*ParseFormat("md"), Format::kMarkdown);
  EXPECT_EQ(*ParseFormat("markdown"), Format::kMarkdown);
  EXPECT_EQ(ParseFormat("pdf").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace parley::report
