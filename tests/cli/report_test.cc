// `parley report` as a coordinator uses it: the bottom line with each requirement's verdict,
// written as CSV, HTML or Markdown to standard output or a file; and the money vocabulary
// at the command line.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(dev_({"init", "--name", "office laptop", "--vault", "coalition"}).exit_code, 0);
    n_ = dev_.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods", "--title", "Tomatoes"});
    premium_ = dev_.Id({"commitment", "add", n_, "--kind", "price premium", "--text",
                        "A penny, <script>alert(1)</script>", "--amount", "0.05 USD/lb", "--status",
                        "signed"});
    fee_ = dev_.Id(
        {"commitment", "add", n_, "--kind", "licensing fee", "--text", "Fee", "--amount", "5%"});
    Outcome required = dev_({"bottomline", "require", n_, "financial_support", "--form",
                             "price_premium>=0.05 USD/lb", "--form", "licensing fee", "--form",
                             "direct payments for work-facility improvements"});
    ASSERT_EQ(required.exit_code, 0) << required.err;
    ASSERT_EQ(dev_({"need", "add", n_, "--constraint", "--text", "Thin margins"}).exit_code, 0);
  }

  parley::testing::TempDir root_;
  Device dev_{root_.path(), "a"};
  std::string n_, premium_, fee_;
};

TEST_F(ReportCliTest, TypoInAKindIsRefusedWithASuggestion) {
  Outcome typo = dev_({"commitment", "add", n_, "--kind", "price_premum", "--text", "x"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_TRUE(typo.out.empty());
  EXPECT_NE(typo.err.find("did you mean 'price_premium'?"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("facility_improvements"), std::string::npos) << typo.err;
  auto fee = dev_.Json({"negotiation", "show", n_});
  EXPECT_EQ(fee["commitments"][std::size_t{1}]["fields"]["kind"].AsString(), "licensing_fees");
}

TEST_F(ReportCliTest, BottomLineReportChecksEachRequirement) {
  auto report = dev_.Json({"bottomline", "report", n_});
  EXPECT_EQ(report["verdict_code"].AsString(), "walk_away");
  const auto& requirements = report["elements"][std::size_t{0}]["requirements"];
  ASSERT_EQ(requirements.size(), 3u);
  EXPECT_EQ(requirements[std::size_t{0}]["form"].AsString(), "price_premium");
  EXPECT_EQ(requirements[std::size_t{0}]["minimum"].AsString(), "0.05 USD/lb");
  EXPECT_EQ(requirements[std::size_t{0}]["verdict_code"].AsString(), "met");
  EXPECT_EQ(requirements[std::size_t{1}]["verdict_code"].AsString(), "pending");
  EXPECT_EQ(requirements[std::size_t{1}]["pending"][std::size_t{0}].AsString(), fee_);
  EXPECT_EQ(requirements[std::size_t{2}]["form"].AsString(), "facility_improvements");
  EXPECT_EQ(requirements[std::size_t{2}]["verdict_code"].AsString(), "missing");
  // A minimum is what the team will accept: it can be typed on standard input, out of ps and
  // the shell history, like every amount.
  Outcome secret = dev_({"bottomline", "require", n_, "financial_support", "--form", "-"},
                        "monitoring_support>=250000 USD\n");
  ASSERT_EQ(secret.exit_code, 0) << secret.err;
  auto again = dev_.Json({"bottomline", "report", n_});
  const auto& four = again["elements"][std::size_t{0}]["requirements"];
  ASSERT_EQ(four.size(), 4u);
  EXPECT_EQ(four[std::size_t{3}]["form"].AsString(), "monitoring_support");
  EXPECT_EQ(four[std::size_t{3}]["minimum"].AsString(), "250000 USD");
  Outcome text = dev_({"bottomline", "report", n_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("price_premium ≥ 0.05 USD/lb"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pending " + fee_.substr(0, 8)), std::string::npos) << text.out;
}

TEST_F(ReportCliTest, WritesEachFormat) {
  Outcome md = dev_({"report", n_});  // Markdown by default, on standard output
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_EQ(md.out.rfind("# Bottom line — Fresh Harvest Foods: Tomatoes", 0), 0u) << md.out;
  EXPECT_NE(md.out.find("pending: `" + fee_.substr(0, 8) + "`"), std::string::npos) << md.out;

  Outcome html = dev_({"report", n_, "--format", "html"});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_EQ(html.out.find("<script"), std::string::npos);
  EXPECT_NE(html.out.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.out.find("@media print"), std::string::npos);

  const std::string file = root_.path() + "/report.csv";
  auto written = dev_.Json({"report", n_, "--format", "csv", "--output", file});
  EXPECT_EQ(written["file"].AsString(), file);
  EXPECT_EQ(written["format"].AsString(), "csv");
  const std::string csv = ReadBytes(file);
  EXPECT_EQ(static_cast<double>(csv.size()), written["bytes"].AsNumber());
  EXPECT_EQ(
      csv.rfind(
          "negotiation,buyer,section,record,item,status,value,date,party,text,related,flags\r\n",
          0),
      0u);
  EXPECT_NE(csv.find(",requirement,"), std::string::npos);
  EXPECT_NE(csv.find("\"A penny, <script>alert(1)</script>\""), std::string::npos) << csv;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // the report holds the negotiation's terms

  Outcome plain = dev_({"report", n_, "--format", "md", "--output", root_.path() + "/report.md"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("Wrote the report of 1 negotiation to"), std::string::npos) << plain.out;
  EXPECT_EQ(ReadBytes(root_.path() + "/report.md").rfind("# Bottom line", 0), 0u);
}

TEST_F(ReportCliTest, RefusesBadFormatsUnknownNegotiationsAndTheStoresFiles) {
  Outcome pdf = dev_({"report", n_, "--format", "pdf"});
  EXPECT_EQ(pdf.exit_code, 1);
  EXPECT_NE(pdf.err.find("unknown report format 'pdf'"), std::string::npos) << pdf.err;
  Outcome unknown = dev_({"report", "ffffffffffffffffffffffffffffffff"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  Outcome not_a_negotiation = dev_({"report", premium_});
  EXPECT_EQ(not_a_negotiation.exit_code, 2) << not_a_negotiation.err;
  Outcome into_store = dev_({"report", n_, "--output", dev_.data_dir() + "/report.md"});
  EXPECT_EQ(into_store.exit_code, 1);
  EXPECT_NE(into_store.err.find("refusing to write the report"), std::string::npos)
      << into_store.err;
  EXPECT_TRUE(FilesUnder(dev_.data_dir()).size() > 0);
  for (const auto& f : FilesUnder(dev_.data_dir()))
    EXPECT_EQ(f.find("report.md"), std::string::npos) << f;
  Outcome json_no_file = dev_({"--json", "report", n_});
  EXPECT_EQ(json_no_file.exit_code, 1);
  EXPECT_TRUE(json_no_file.out.empty());
}

}  // namespace
}  // namespace parley::cli_test
