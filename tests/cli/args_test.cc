// The command line as a person types it: help for every command and group, the version,
// "did you mean" for typos, messages that name what is missing, global options anywhere,
// and the JSON conventions of --json (docs/cli.md, "JSON output").
#include <gtest/gtest.h>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

class CliArgs : public ::testing::Test {
 protected:
  void Init() {
    ASSERT_EQ(dev_({"init", "--name", "laptop", "--vault", "coalition"}).exit_code, 0);
  }
  // A usage error: exit 1, one line on standard error, nothing on standard output.
  static void ExpectUsage(const Outcome& r, const std::string& says) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }

  parley::testing::TempDir root_;
  Device dev_{root_.path(), "a"};
};

TEST_F(CliArgs, HelpForEveryoneAGroupAndACommand) {
  Outcome all = dev_({"help"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("parley negotiation add"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("exit codes"), std::string::npos);
  EXPECT_EQ(dev_({"--help"}).out, all.out);

  // A group word lists its commands, not the global help.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"note", "--help"}, {"help", "note"}, {"note", "-h"}}) {
    Outcome group = dev_(args);
    ASSERT_EQ(group.exit_code, 0) << group.err;
    EXPECT_NE(group.out.find("parley note add NEGOTIATION_ID"), std::string::npos) << group.out;
    EXPECT_EQ(group.out.find("parley negotiation add"), std::string::npos) << group.out;
    EXPECT_EQ(group.out.find("exit codes"), std::string::npos) << group.out;
  }
  Outcome campaign = dev_({"campaign", "--help"});
  EXPECT_NE(campaign.out.find("parley campaign action add"), std::string::npos) << campaign.out;
  EXPECT_NE(campaign.out.find("parley campaign status"), std::string::npos) << campaign.out;

  // A command: its usage, summary and free-text fields; no store needed, nothing required.
  for (const auto& args : std::vector<std::vector<std::string>>{{"session", "add", "--help"},
                                                                {"help", "session", "add"},
                                                                {"--help", "session", "add"}}) {
    Outcome one = dev_(args);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(one.out.rfind("usage: parley session add NEGOTIATION_ID --date YYYY-MM-DD", 0), 0u)
        << one.out;
    EXPECT_NE(one.out.find("free text (--place, --attendees)"), std::string::npos) << one.out;
  }

  // Every command of the global help has help of its own.
  std::size_t commands = 0;
  for (std::size_t at = all.out.find("\n  parley "); at != std::string::npos;
       at = all.out.find("\n  parley ", at + 1)) {
    std::vector<std::string> words;
    std::size_t i = at + 10;
    while (i < all.out.size() && all.out[i] >= 'a' && all.out[i] <= 'z') {
      const std::size_t end = all.out.find_first_of(" \n", i);
      words.push_back(all.out.substr(i, end - i));
      i = end + 1;
      if (all.out[end] == '\n') break;
    }
    while (!words.empty() &&
           words.back().find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos) {
      words.pop_back();
    }
    ASSERT_FALSE(words.empty());
    std::vector<std::string> args = words;
    args.push_back("--help");
    Outcome one = dev_(args);
    EXPECT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(one.out.rfind("usage: parley " + words.front(), 0), 0u) << one.out;
    ++commands;
  }
  EXPECT_GT(commands, 30u);

  ExpectUsage(dev_({"help", "negotiaton"}), "did you mean 'negotiation'");
}

TEST_F(CliArgs, VersionIsTheProjectVersion) {
  Outcome v = dev_({"--version"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out.rfind("parley ", 0), 0u) << v.out;
  EXPECT_NE(v.out.find_first_of("0123456789"), std::string::npos) << v.out;
  EXPECT_EQ(v.out.back(), '\n');
}

TEST_F(CliArgs, TyposGetSuggestions) {
  ExpectUsage(dev_({"negotation", "list"}),
              "unknown command 'negotation' (did you mean 'negotiation'?)");
  ExpectUsage(dev_({"note", "ad"}), "unknown command 'note ad' (did you mean 'add'?)");
  ExpectUsage(dev_({"negotiation", "add", "--buyr", "X"}),
              "unknown option --buyr (did you mean '--buyer'?)");
  ExpectUsage(dev_({"sync", "--jsn"}), "did you mean '--json'");
  // Nothing close: no suggestion, the usage instead.
  Outcome far = dev_({"negotiation", "add", "--buyer", "X", "--colour", "red"});
  ExpectUsage(far, "unknown option --colour");
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

TEST_F(CliArgs, MissingArgumentsAreNamed) {
  ExpectUsage(dev_({"session", "add", "abcd"}), "missing --date YYYY-MM-DD");
  ExpectUsage(dev_({"negotiation", "add"}), "missing --buyer NAME");
  ExpectUsage(dev_({"negotiation", "show"}), "missing ID");
  ExpectUsage(dev_({"commitment", "status", "abcd"}),
              "missing proposed|countered|agreed|signed|withdrawn|rejected");
  ExpectUsage(dev_({"negotiation", "show", "a", "b"}), "unexpected argument 'b'");
  ExpectUsage(dev_({"session", "add", "abcd", "--date"}), "option --date needs a value");
  ExpectUsage(dev_({"note"}), "incomplete command 'note'");
  ExpectUsage(dev_({"wipe", "--yes", "--yes"}), "option --yes given twice");
  ExpectUsage(dev_({}), "no command given");
}

TEST_F(CliArgs, GlobalOptionsAnywhereAndTheOptionForms) {
  Init();
  // --json before, between and after the command words; --name=value and "--".
  Outcome a = dev_({"--json", "negotiation", "add", "--buyer=Fresh Harvest", "--title", "T"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string n = a.Json()["id"].AsString();
  Outcome b = dev_({"negotiation", "--json", "show", n});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(b.Json()["negotiation"]["fields"]["buyer"].AsString(), "Fresh Harvest");
  // After "--" a value that looks like an option is an argument.
  Outcome c = dev_({"resolve", "--json", "--", n.substr(0, 8) + ".title", "--not-an-option"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.Json()["value"].AsString(), "--not-an-option");
  // An argument that is a command word is an argument.
  std::string note = dev_.Id({"note", "add", n, "--text", "sync"});
  EXPECT_EQ(
      dev_.Json({"negotiation", "show", n})["notes"][std::size_t{0}]["fields"]["text"].AsString(),
      "sync");
  // A text option still reads "-" from standard input.
  Outcome d =
      dev_({"--json", "party", "add", n, "--role", "buyer", "--name", "-"}, "FHF procurement\n");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(
      dev_.Json({"negotiation", "show", n})["parties"][std::size_t{0}]["fields"]["name"].AsString(),
      "FHF procurement");
}

TEST_F(CliArgs, JsonDocumentsCarryTheSchemaAndListsAreArrays) {
  Init();
  const std::string n = dev_.Id({"negotiation", "add", "--buyer", "B"});
  const std::string c =
      dev_.Id({"commitment", "add", n, "--kind", "worker_gains", "--text", "Raise"});
  ASSERT_EQ(dev_({"bottomline", "require", n, "worker_gains", "--covered-by", c}).exit_code, 0);
  ASSERT_EQ(dev_({"bottomline", "require", n, "independent_monitoring"}).exit_code, 0);
  for (const auto& args : std::vector<std::vector<std::string>>{{"negotiation", "list"},
                                                                {"negotiation", "show", n},
                                                                {"bottomline", "report", n},
                                                                {"conflicts"},
                                                                {"vault", "members"},
                                                                {"relay", "list"},
                                                                {"status"},
                                                                {"history", c}}) {
    auto doc = dev_.Json(args);
    EXPECT_TRUE(doc.is_object()) << args[0];
    EXPECT_EQ(doc["schema"].AsInt(), 1) << args[0];
  }
  auto shown = dev_.Json({"negotiation", "show", n});
  ASSERT_EQ(shown["bottom_line"].size(), 2u);
  for (const auto& e : shown["bottom_line"].AsArray()) {
    EXPECT_TRUE(e["fields"]["covered_by"].is_array()) << e["fields"]["element"].AsString();
    EXPECT_TRUE(e["fields"]["forms"].is_array());
  }
  auto report = dev_.Json({"bottomline", "report", n});
  EXPECT_TRUE(report["stall"]["since"].is_null());
  EXPECT_TRUE(report["stall"]["message"].is_null());
  EXPECT_TRUE(report["stall"]["sessions"].is_number());
  for (const auto& e : report["elements"].AsArray()) EXPECT_TRUE(e["covered_by"].is_array());

  // Errors under --json: one JSON object on standard error, the same exit code.
  Outcome missing = dev_({"--json", "negotiation", "show", "deadbeef"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.out, "");
  auto error = testing::json::Parse(missing.err);
  ASSERT_TRUE(error.ok()) << missing.err;
  EXPECT_EQ((*error)["schema"].AsInt(), 1);
  EXPECT_EQ((*error)["error"]["code"].AsString(), "not_found");
  EXPECT_FALSE((*error)["error"]["message"].AsString().empty());
  Outcome usage = dev_({"negotation", "--json"});
  EXPECT_EQ(usage.exit_code, 1);
  auto usage_error = testing::json::Parse(usage.err);
  ASSERT_TRUE(usage_error.ok()) << usage.err;
  EXPECT_EQ((*usage_error)["error"]["code"].AsString(), "invalid_argument");
  EXPECT_EQ((*usage_error)["error"]["domain"].AsString(), "app");
}

}  // namespace
}  // namespace parley::cli_test
