// The parley command line as scripts use it: exit codes, one-line errors, valid JSON.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void Init() {
    Outcome r = dev_({"init", "--name", "office laptop", "--vault", "coalition"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The one-line reason on standard error.
  static void ExpectOneLineError(const Outcome& r) {
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.rfind("parley: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  parley::testing::TempDir root_;
  Device dev_{root_.path(), "a"};
};

TEST_F(CliTest, InitThenRecordAndListAsJson) {
  auto init = dev_.Json({"init", "--name", "office laptop", "--vault", "coalition"});
  EXPECT_EQ(init["device"].AsString(), "office laptop");
  EXPECT_EQ(init["vault"].AsString(), "coalition");
  EXPECT_EQ(init["pairing_code"].AsString().rfind("parley-device:", 0), 0u);

  std::string n =
      dev_.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods", "--title", "Tomatoes"});
  auto list = dev_.Json({"negotiation", "list"})["negotiations"];
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[std::size_t{0}]["id"].AsString(), n);
  EXPECT_EQ(list[std::size_t{0}]["fields"]["buyer"].AsString(), "Fresh Harvest Foods");
  EXPECT_EQ(list[std::size_t{0}]["fields"]["campaign_status"].AsString(), "active");

  // Unique prefixes are accepted everywhere an id is.
  std::string party =
      dev_.Id({"party", "add", n.substr(0, 6), "--role", "buyer", "--name", "FHF procurement"});
  std::string c = dev_.Id({"commitment", "add", n.substr(0, 8), "--kind", "price_premium", "--text",
                           "A penny per pound", "--by", "FHF procurement", "--amount",
                           "0.01 USD/lb", "--deadline", "2025-12-31", "--firm"});
  auto show = dev_.Json({"negotiation", "show", n.substr(0, 5)});
  ASSERT_EQ(show["commitments"].size(), 1u);
  const auto& fields = show["commitments"][std::size_t{0}]["fields"];
  EXPECT_EQ(fields["by"].AsString(), party);
  EXPECT_EQ(fields["principle"].AsString(), "firm");
  EXPECT_EQ(fields["amount"].AsString(), "0.01 USD/lb");
  EXPECT_EQ(fields["status"].AsString(), "proposed");

  auto status = dev_.Json({"commitment", "status", c.substr(0, 8), "agreed"});
  EXPECT_EQ(status["from"].AsString(), "proposed");
  EXPECT_EQ(status["status"].AsString(), "agreed");
  auto history = dev_.Json({"history", c});
  ASSERT_TRUE(history["entries"].is_array());
  bool saw_agreed = false;
  for (const auto& e : history["entries"].AsArray()) {
    EXPECT_EQ(e["device"].AsString(), "office laptop");
    if (e["field"].AsString() == "status" && e["value"].AsString() == "agreed")
      saw_agreed = e["live"].AsBool();
  }
  EXPECT_TRUE(saw_agreed);

  // Human output: aligned table with the short id.
  Outcome human = dev_({"negotiation", "list"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("BUYER"), std::string::npos);
  EXPECT_NE(human.out.find(n.substr(0, 8)), std::string::npos);
}

TEST_F(CliTest, UsageErrorsExitOne) {
  Outcome unknown = dev_({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 1);
  ExpectOneLineError(unknown);
  Outcome option = dev_({"negotiation", "add", "--buyer", "X", "--colour", "red"});
  EXPECT_EQ(option.exit_code, 1);
  ExpectOneLineError(option);
  Outcome args = dev_({"negotiation", "show"});
  EXPECT_EQ(args.exit_code, 1);
  ExpectOneLineError(args);
  Outcome help = dev_({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("bottomline report"), std::string::npos);
}

TEST_F(CliTest, InvalidValuesExitOneWithTheReason) {
  Init();
  std::string n = dev_.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  std::string c = dev_.Id({"commitment", "add", n, "--kind", "worker_gains", "--text", "Raise"});
  Outcome status = dev_({"commitment", "status", c, "finalised"});
  EXPECT_EQ(status.exit_code, 1);
  ExpectOneLineError(status);
  EXPECT_NE(status.err.find("unknown commitment status 'finalised'"), std::string::npos)
      << status.err;
  Outcome element = dev_({"bottomline", "require", n, "nice_words"});
  EXPECT_EQ(element.exit_code, 1);
  EXPECT_NE(element.err.find("unknown element 'nice_words'"), std::string::npos) << element.err;
  Outcome campaign = dev_({"campaign", "status", n, "done"});
  EXPECT_EQ(campaign.exit_code, 1);
  EXPECT_NE(campaign.err.find("unknown campaign status"), std::string::npos) << campaign.err;
  Outcome amount =
      dev_({"commitment", "add", n, "--kind", "price_premium", "--text", "t", "--amount", "$5"});
  EXPECT_EQ(amount.exit_code, 1);
  EXPECT_NE(amount.err.find("invalid amount"), std::string::npos) << amount.err;
}

TEST_F(CliTest, NotFoundExitsTwo) {
  Outcome no_store = dev_({"negotiation", "list"});
  EXPECT_EQ(no_store.exit_code, 2);
  ExpectOneLineError(no_store);
  EXPECT_NE(no_store.err.find("parley init"), std::string::npos) << no_store.err;
  Init();
  Outcome unknown = dev_({"negotiation", "show", "deadbeef"});
  EXPECT_EQ(unknown.exit_code, 2);
  ExpectOneLineError(unknown);
  std::string n = dev_.Id({"negotiation", "add", "--buyer", "B"});
  std::string party = dev_.Id({"party", "add", n, "--role", "ally", "--name", "Students"});
  // A party id where a negotiation id is expected.
  Outcome wrong_type = dev_({"note", "add", party, "--text", "hello"});
  EXPECT_EQ(wrong_type.exit_code, 2);
  EXPECT_NE(wrong_type.err.find("unknown negotiation id"), std::string::npos) << wrong_type.err;
  Outcome missing_file = dev_({"bundle", "import", root_.Sub("nope.bundle")});
  EXPECT_EQ(missing_file.exit_code, 2);
}

TEST_F(CliTest, InitTwiceExitsSix) {
  Init();
  Outcome again = dev_({"init"});
  EXPECT_EQ(again.exit_code, 6);
  ExpectOneLineError(again);
}

TEST_F(CliTest, WrongPassphraseExitsThreeAndChangesNothing) {
  Init();
  std::string n = dev_.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  std::vector<std::pair<std::string, std::string>> before;
  for (const auto& f : FilesUnder(dev_.data_dir())) before.emplace_back(f, ReadBytes(f));
  Device wrong = dev_;
  wrong.env["PARLEY_PASSPHRASE"] = "not the passphrase";
  Outcome r = wrong({"negotiation", "list"});
  EXPECT_EQ(r.exit_code, 3);
  ExpectOneLineError(r);
  EXPECT_NE(r.err.find("passphrase"), std::string::npos) << r.err;
  for (const auto& [f, bytes] : before) EXPECT_EQ(ReadBytes(f), bytes) << f << " changed";
  auto list = dev_.Json({"negotiation", "list"})["negotiations"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[std::size_t{0}]["id"].AsString(), n);
}

TEST_F(CliTest, MissingKeyStoreSecretExitsFive) {
  Init();
  auto secrets = FilesUnder(dev_.keystore_dir());
  ASSERT_FALSE(secrets.empty());
  for (const auto& f : secrets) ASSERT_EQ(std::remove(f.c_str()), 0);
  Outcome r = dev_({"negotiation", "list"});
  EXPECT_EQ(r.exit_code, 5);
  ExpectOneLineError(r);
  EXPECT_NE(r.err.find(dev_.keystore_dir()), std::string::npos)
      << "the message should say where: " << r.err;
}

TEST_F(CliTest, TamperedDatabaseExitsFour) {
  Init();
  ASSERT_EQ(dev_({"negotiation", "add", "--buyer", "B"}).exit_code, 0);
  const std::string db = dev_.data_dir() + "/parley.db";
  std::string bytes = ReadBytes(db);
  ASSERT_GT(bytes.size(), 1000u);
  bytes[600] = static_cast<char>(bytes[600] ^ 0x40);
  {
    std::ofstream f(db, std::ios::binary | std::ios::trunc);
    f << bytes;
  }
  Outcome r = dev_({"negotiation", "list"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  ExpectOneLineError(r);
  EXPECT_NE(r.err.find("tampered or corrupt"), std::string::npos) << r.err;
}

TEST_F(CliTest, NoPassphraseAndNoTerminalIsAUsageError) {
  Init();
  Device no_pass = dev_;
  no_pass.env["PARLEY_PASSPHRASE"] = "";
  Outcome r = no_pass({"negotiation", "list"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneLineError(r);
  EXPECT_NE(r.err.find("PARLEY_PASSPHRASE"), std::string::npos) << r.err;
}

TEST_F(CliTest, NoteTextFromStandardInput) {
  Init();
  std::string n = dev_.Id({"negotiation", "add", "--buyer", "B"});
  auto added = dev_.Json({"note", "add", n}, "Buyer wants a phase-in.\nSecond line.\n");
  auto show = dev_.Json({"negotiation", "show", n});
  ASSERT_EQ(show["notes"].size(), 1u);
  EXPECT_EQ(show["notes"][std::size_t{0}]["id"].AsString(), added["id"].AsString());
  EXPECT_EQ(show["notes"][std::size_t{0}]["fields"]["text"].AsString(),
            "Buyer wants a phase-in.\nSecond line.");
}

TEST_F(CliTest, JsonEscapesEverythingAUserCanType) {
  Init();
  const std::string nasty =
      std::string("Quote \" back\\slash\ttab\nnewline \x01\x1f ctl, ünïcode ✔, bad \xff\xfe bytes");
  std::string n = dev_.Id({"negotiation", "add", "--buyer", nasty});
  auto list = dev_.Json({"negotiation", "list"})["negotiations"];
  ASSERT_EQ(list.size(), 1u);
  const std::string& got = list[std::size_t{0}]["fields"]["buyer"].AsString();
  std::string expected = nasty;
  expected.replace(expected.find("\xff\xfe"), 2,
                   "\xEF\xBF\xBD\xEF\xBF\xBD");  // invalid UTF-8 -> U+FFFD
  EXPECT_EQ(got, expected);
}

TEST_F(CliTest, BottomLineReportAndCampaignWarning) {
  Init();
  std::string n = dev_.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods"});
  std::string c = dev_.Id(
      {"commitment", "add", n, "--kind", "independent_monitoring", "--text", "Independent audits"});
  ASSERT_EQ(
      dev_({"bottomline", "require", n, "independent_monitoring", "--covered-by", c.substr(0, 8)})
          .exit_code,
      0);
  ASSERT_EQ(
      dev_({"bottomline", "require", n, "financial_support", "--form", "price_premium"}).exit_code,
      0);
  auto report = dev_.Json({"bottomline", "report", n});
  ASSERT_EQ(report["elements"].size(), 2u);
  EXPECT_FALSE(report["elements"][std::size_t{0}]["covered"].AsBool());
  EXPECT_FALSE(report["meets"].AsBool());
  EXPECT_EQ(report["verdict"].AsString(),
            "current terms do not meet the bottom line: be ready to walk away");
  EXPECT_EQ(report["verdict_code"].AsString(), "walk_away");
  EXPECT_EQ(report["stall"]["message"].AsString(), "");
  EXPECT_TRUE(report["campaign_warning"].is_null());
  EXPECT_TRUE(report["campaign_warning_code"].is_null());
  Outcome human = dev_({"bottomline", "report", n});
  ASSERT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("✘ current terms do not meet the bottom line: be ready to walk away"),
            std::string::npos)
      << human.out;

  auto warned = dev_.Json({"campaign", "status", n, "ended"});
  EXPECT_EQ(warned["campaign_status"].AsString(), "ended");
  EXPECT_EQ(warned["warning"].AsString(),
            "the campaign is ended but no agreement is signed: the campaign must not end before an "
            "agreement is signed");
  EXPECT_EQ(warned["warning_code"].AsString(), "ended_without_agreement");
  auto shown = dev_.Json({"negotiation", "show", n});
  EXPECT_EQ(shown["verdict_code"].AsString(), "walk_away");
  EXPECT_EQ(shown["campaign_warning"].AsString(), warned["warning"].AsString());
  EXPECT_EQ(shown["campaign_warning_code"].AsString(), "ended_without_agreement");
  Outcome shown_human = dev_({"negotiation", "show", n});
  EXPECT_NE(shown_human.out.find("  ⚠ " + warned["warning"].AsString() + "\n"), std::string::npos)
      << shown_human.out;
  ASSERT_EQ(dev_({"commitment", "status", c, "signed"}).exit_code, 0);
  auto quiet = dev_.Json({"campaign", "status", n, "won"});
  EXPECT_TRUE(quiet["warning"].is_null());
  EXPECT_TRUE(quiet["warning_code"].is_null());
  report = dev_.Json({"bottomline", "report", n});
  EXPECT_TRUE(report["elements"][std::size_t{0}]["covered"].AsBool());
  EXPECT_EQ(report["elements"][std::size_t{0}]["covered_by"][std::size_t{0}].AsString(), c);
}

TEST_F(CliTest, WipeNeedsConfirmationButNoPassphrase) {
  Init();
  Outcome refused = dev_({"wipe"});
  EXPECT_EQ(refused.exit_code, 1);
  ExpectOneLineError(refused);
  EXPECT_FALSE(FilesUnder(dev_.data_dir()).empty());
  Device no_pass = dev_;
  no_pass.env["PARLEY_PASSPHRASE"] = "";
  Outcome wiped = no_pass({"wipe", "--yes"});
  EXPECT_EQ(wiped.exit_code, 0) << wiped.err;
  EXPECT_TRUE(FilesUnder(dev_.data_dir()).empty());
  EXPECT_TRUE(FilesUnder(dev_.keystore_dir()).empty());
  EXPECT_EQ(dev_({"negotiation", "list"}).exit_code, 2);
}

}  // namespace
}  // namespace parley::cli_test
