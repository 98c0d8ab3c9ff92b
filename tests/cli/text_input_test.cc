// Free text from standard input or an editor instead of the command line (docs/cli.md, "Text
// from standard input or an editor"): every field a person types — names, notes, terms,
// amounts, places, the pairing code of a device to enrol — may be given as `-` (read from
// standard input) or `@edit` (typed in $VISUAL / $EDITOR on a private temporary file, removed
// afterwards), so that it never shows in `ps` or in the shell's history.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

using testing::json::Value;

// The first record of `list` in `negotiation show --json`.
const Value& First(const Value& shown, const char* list) { return shown[list][std::size_t{0}]; }

void WriteScript(const std::string& path, const std::string& body) {
  {
    std::ofstream f(path, std::ios::trunc);
    f << "#!/bin/sh\n" << body;
  }
  ASSERT_EQ(::chmod(path.c_str(), 0700), 0);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

TEST(CliTextInput, EveryFreeTextFieldCanComeFromStandardInput) {
  parley::testing::TempDir root;
  Device admin(root.path(), "admin");
  Outcome init = admin({"init", "--name", "-", "--vault", "Coalition"}, "Ana's office laptop\n");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(admin.Json({"device", "id", "--no-qr"})["device"].AsString(), "Ana's office laptop");

  Device second(root.path(), "second");
  ASSERT_EQ(second({"init", "--vault", "-"}, "Coalition of the North\n").exit_code, 0);
  EXPECT_EQ(second({"vault", "members"}).out.rfind("Vault Coalition of the North:", 0), 0u)
      << second({"vault", "members"}).out;

  const std::string n = admin
                            .Json({"negotiation", "add", "--buyer", "-", "--title", "2027"},
                                  "Acme Apparel, Inc.\n")["id"]
                            .AsString();
  ASSERT_EQ(n.size(), 32u);
  const std::string n2 =
      admin.Json({"negotiation", "add", "--buyer", "Beta", "--title", "-"}, "-\n")["id"].AsString();
  ASSERT_EQ(n2.size(), 32u);
  const std::string party = admin
                                .Json({"party", "add", n, "--role", "supplier", "--name", "-"},
                                      "Fábrica Norte S.A.\n")["id"]
                                .AsString();
  ASSERT_EQ(admin({"session", "add", n, "--date", "2026-03-01", "--place", "-"},
                  "Room 4, Hotel Central\n")
                .exit_code,
            0);
  ASSERT_EQ(admin({"session", "add", n2, "--date", "2026-03-02", "--attendees", "-"},
                  "Ana (CIW), J. Smith\n")
                .exit_code,
            0);
  ASSERT_EQ(admin({"need", "add", n, "--text", "-"}, "A 3-year phase-in\n").exit_code, 0);
  const std::string note =
      admin.Json({"note", "add", n, "--text", "-"}, "Said in the room\nsecond line\n")["id"]
          .AsString();
  ASSERT_EQ(admin({"commitment", "add", n, "--kind", "-", "--text", "Premium"}, "price_premium\n")
                .exit_code,
            0);
  ASSERT_EQ(admin({"commitment", "add", n2, "--kind", "enforceable_obligations", "--text", "-"},
                  "Terms of the code\n")
                .exit_code,
            0);
  const std::string c = admin
                            .Json({"commitment", "add", n2, "--kind", "premium", "--text",
                                   "Premium", "--amount", "-"},
                                  "0.10 USD\n")["id"]
                            .AsString();
  ASSERT_EQ(admin({"party", "add", n2, "--role", "buyer", "--name", "Beta Buyer Ltd"}).exit_code,
            0);
  ASSERT_EQ(admin({"commitment", "add", n2, "--kind", "independent_monitoring", "--text", "Audits",
                   "--by", "-"},
                  "Beta Buyer Ltd\n")
                .exit_code,
            0);
  ASSERT_EQ(
      admin({"campaign", "action", "add", n, "--date", "2026-03-03", "--kind", "-"}, "delegation\n")
          .exit_code,
      0);
  ASSERT_EQ(admin({"campaign", "action", "add", n2, "--date", "2026-03-04", "--kind", "protest",
                   "--text", "-"},
                  "At the flagship store\n")
                .exit_code,
            0);
  ASSERT_EQ(admin({"bottomline", "require", n, "-"}, "custom:living_wage\n").exit_code, 0);

  const Value shown = admin.Json({"negotiation", "show", n});
  EXPECT_EQ(shown["negotiation"]["fields"]["buyer"].AsString(), "Acme Apparel, Inc.");
  EXPECT_EQ(First(shown, "parties")["fields"]["name"].AsString(), "Fábrica Norte S.A.");
  EXPECT_EQ(First(shown, "sessions")["fields"]["place"].AsString(), "Room 4, Hotel Central");
  EXPECT_EQ(First(shown, "needs")["fields"]["text"].AsString(), "A 3-year phase-in");
  EXPECT_EQ(First(shown, "notes")["fields"]["text"].AsString(), "Said in the room\nsecond line");
  EXPECT_EQ(First(shown, "commitments")["fields"]["kind"].AsString(), "price_premium");
  EXPECT_EQ(First(shown, "campaign_actions")["fields"]["kind"].AsString(), "delegation");
  EXPECT_EQ(First(shown, "bottom_line")["fields"]["element"].AsString(), "custom:living_wage");
  const Value shown2 = admin.Json({"negotiation", "show", n2});
  EXPECT_EQ(shown2["negotiation"]["fields"]["title"].AsString(),
            "-");  // a literal "-" comes from stdin too
  EXPECT_EQ(First(shown2, "sessions")["fields"]["attendees"].AsString(), "Ana (CIW), J. Smith");
  EXPECT_EQ(First(shown2, "campaign_actions")["fields"]["text"].AsString(),
            "At the flagship store");
  ASSERT_EQ(shown2["commitments"].size(), 3u);
  EXPECT_EQ(shown2["commitments"][std::size_t{0}]["fields"]["text"].AsString(),
            "Terms of the code");
  EXPECT_EQ(shown2["commitments"][std::size_t{1}]["fields"]["amount"].AsString(), "0.10 USD");
  EXPECT_EQ(shown2["commitments"][std::size_t{2}]["fields"]["by"].AsString(),
            First(shown2, "parties")["id"].AsString());
  (void)c;
  (void)party;

  // resolve FIELD_REF VALUE: the value.
  ASSERT_EQ(admin({"resolve", note.substr(0, 8) + ".text", "-"}, "Settled wording\n").exit_code, 0);
  EXPECT_EQ(First(admin.Json({"negotiation", "show", n}), "notes")["fields"]["text"].AsString(),
            "Settled wording");

  // vault create NAME, vault invite PAIRING_CODE (it holds the device's one-time secret),
  // vault promote/demote DEVICE and device revoke DEVICE.
  Device loner(root.path(), "loner");
  ASSERT_EQ(loner({"init", "--no-vault"}).exit_code, 0);
  ASSERT_EQ(loner({"vault", "create", "-"}, "Loners' vault\n").exit_code, 0);
  EXPECT_EQ(loner({"vault", "members"}).out.rfind("Vault Loners' vault:", 0), 0u);

  Device phone(root.path(), "phone");
  ASSERT_EQ(phone({"init", "--name", "Ben's phone", "--no-vault"}).exit_code, 0);
  const std::string code = phone.Json({"device", "id", "--no-qr"})["pairing_code"].AsString();
  Outcome invited = admin({"vault", "invite", "-", "--out", root.Sub("invite")}, code + "\n");
  ASSERT_EQ(invited.exit_code, 0) << invited.err;
  ASSERT_EQ(phone({"join", root.Sub("invite")}).exit_code, 0);
  const Value promoted = admin.Json({"vault", "promote", "-"}, "Ben's phone\n");
  EXPECT_EQ(promoted["device"]["name"].AsString(), "Ben's phone");
  EXPECT_EQ(promoted["device"]["role"].AsString(), "admin");
  EXPECT_EQ(admin.Json({"vault", "demote", "-"}, "Ben's phone\n")["device"]["role"].AsString(),
            "member");
  EXPECT_TRUE(admin.Json({"device", "revoke", "-"}, "Ben's phone\n")["device"]["revoked"].AsBool());
}

TEST(CliTextInput, OnlyOneFieldMayComeFromStandardInput) {
  parley::testing::TempDir root;
  Device d(root.path(), "d");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  Outcome both = d({"negotiation", "add", "--buyer", "-", "--title", "-"}, "Acme\n");
  EXPECT_EQ(both.exit_code, 1) << both.out << both.err;
  EXPECT_NE(both.err.find("only one"), std::string::npos) << both.err;
  EXPECT_TRUE(both.out.empty()) << both.out;
  EXPECT_EQ(d.Json({"negotiation", "list"})["negotiations"].size(), 0u);
}

TEST(CliTextInput, OtherValuesAreTakenAsWrittenAndHelpNamesTheTextFields) {
  parley::testing::TempDir root;
  Device d(root.path(), "d");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  const std::string n = d.Id({"negotiation", "add", "--buyer", "Acme"});
  // --date is no free text: "-" is its value (an invalid date), and standard input is not read.
  Outcome dated = d({"session", "add", n, "--date", "-"}, "2026-01-01\n");
  EXPECT_EQ(dated.exit_code, 1) << dated.err;
  EXPECT_EQ(d.Json({"negotiation", "show", n})["sessions"].size(), 0u);

  Outcome help = d({"commitment", "add", "--help"});
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("free text (--kind, --text, --by, --amount)"), std::string::npos)
      << help.out;
  Outcome resolve_help = d({"resolve", "--help"});
  EXPECT_NE(resolve_help.out.find("free text (VALUE)"), std::string::npos) << resolve_help.out;
}

TEST(CliTextInput, AFieldLongerThanTheLimitIsRefusedWhole) {
  parley::testing::TempDir root;
  Device d(root.path(), "d");
  ASSERT_EQ(d({"init"}).exit_code, 0);
  Outcome big = d({"negotiation", "add", "--buyer", "-"}, std::string((16u << 20) + 1, 'x'));
  EXPECT_EQ(big.exit_code, 1) << big.err;
  EXPECT_NE(big.err.find("16 MiB"), std::string::npos) << big.err;
  EXPECT_EQ(d.Json({"negotiation", "list"})["negotiations"].size(), 0u);
}

// The editor is a script that reports the modes of the file and of its directory and where
// they were, then writes the text.
class CliEditor : public ::testing::Test {
 protected:
  void SetUp() override {
    run_dir_ = root_.Sub("run");
    ASSERT_EQ(::mkdir(run_dir_.c_str(), 0700), 0);
    dev_ = std::make_unique<Device>(root_.path(), "d");
    dev_->env["XDG_RUNTIME_DIR"] = run_dir_;
    ASSERT_EQ((*dev_)({"init"}).exit_code, 0);
    n_ = dev_->Id({"negotiation", "add", "--buyer", "Acme"});
  }
  // An editor writing `text` and exiting with `exit_code`.
  std::string Editor(const std::string& name, const std::string& text, int exit_code = 0) {
    const std::string path = scripts_.Sub(name);
    WriteScript(
        path,
        "f=\"$1\"\n"
        "{ stat -c %a \"$f\"; stat -c %a \"$(dirname \"$f\")\"; printf '%s\\n' \"$f\"; } > '" +
            report_path() +
            "'\n"
            "printf '%s' '" +
            text +
            "' > \"$f\"\n"
            "exit " +
            std::to_string(exit_code) + "\n");
    return path;
  }
  std::string report_path() const { return scripts_.Sub("report"); }

  parley::testing::TempDir root_;
  parley::testing::TempDir scripts_;
  std::string run_dir_;
  std::unique_ptr<Device> dev_;
  std::string n_;
};

TEST_F(CliEditor, AFieldTypedInTheEditorGoesThroughAPrivateFileThatIsRemoved) {
  dev_->env["EDITOR"] = Editor("editor", "Typed in the editor\nsecond line\n");
  Outcome added = (*dev_)({"note", "add", n_, "--text", "@edit"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(First(dev_->Json({"negotiation", "show", n_}), "notes")["fields"]["text"].AsString(),
            "Typed in the editor\nsecond line");
  const std::vector<std::string> report = Lines(ReadBytes(report_path()));
  ASSERT_EQ(report.size(), 3u) << ReadBytes(report_path());
  EXPECT_EQ(report[0], "600") << "the file's mode";
  EXPECT_EQ(report[1], "700") << "its directory's mode";
  EXPECT_EQ(report[2].rfind(run_dir_ + "/", 0), 0u)
      << report[2] << " is not under $XDG_RUNTIME_DIR";
  EXPECT_FALSE(Exists(report[2])) << "left behind: " << report[2];
  EXPECT_FALSE(Exists(report[2].substr(0, report[2].rfind('/')))) << "directory left behind";
  EXPECT_TRUE(FilesUnder(run_dir_).empty());
}

TEST_F(CliEditor, VisualComesBeforeEditorAndSeveralFieldsMayBeEdited) {
  dev_->env["EDITOR"] = Editor("editor", "from EDITOR");
  dev_->env["VISUAL"] = Editor("visual", "from VISUAL");
  Outcome added = (*dev_)({"party", "add", n_, "--role", "ally", "--name", "@edit"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  // Two free-text fields of one command (a campaign action's kind is free text; a
  // commitment's is a vocabulary).
  Outcome both = (*dev_)({"campaign", "action", "add", n_, "--date", "2026-03-03", "--kind",
                          "@edit", "--text", "@edit"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  const Value shown = dev_->Json({"negotiation", "show", n_});
  EXPECT_EQ(First(shown, "parties")["fields"]["name"].AsString(), "from VISUAL");
  EXPECT_EQ(First(shown, "campaign_actions")["fields"]["kind"].AsString(), "from VISUAL");
  EXPECT_EQ(First(shown, "campaign_actions")["fields"]["text"].AsString(), "from VISUAL");
}

TEST_F(CliEditor, AnEditorThatFailsRecordsNothingAndLeavesNoFile) {
  dev_->env["EDITOR"] = Editor("editor", "half-written note", 3);
  Outcome added = (*dev_)({"note", "add", n_, "--text", "@edit"});
  EXPECT_EQ(added.exit_code, 10) << added.err;
  EXPECT_NE(added.err.find("editor"), std::string::npos) << added.err;
  EXPECT_TRUE(added.out.empty()) << added.out;
  EXPECT_EQ(dev_->Json({"negotiation", "show", n_})["notes"].size(), 0u);
  const std::vector<std::string> report = Lines(ReadBytes(report_path()));
  ASSERT_EQ(report.size(), 3u);
  EXPECT_FALSE(Exists(report[2]));
  EXPECT_TRUE(FilesUnder(run_dir_).empty());
}

}  // namespace
}  // namespace parley::cli_test
