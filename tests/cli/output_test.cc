// Standard output holds a command's result only when the command succeeded: a command that
// fails after it has composed part (or all) of its report prints nothing there, and exactly
// one line, the reason, on standard error (docs/cli.md, "Exit codes"). A script reading the
// output never takes a failure's half report for a result.
#include <gtest/gtest.h>

#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

class CliOutput : public CliWithRelay {};

std::size_t LineCount(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n' ? 1 : 0;
  return n;
}

TEST_F(CliOutput, ASyncThatFailsAfterComposingItsReportPrintsNothingOnStandardOutput) {
  auto ana = NewDevice("ana", "coalition");
  ASSERT_EQ((*ana)({"sync"}).exit_code, 0);
  ASSERT_TRUE(relay_->Stop().ok());

  // Every pinned relay fails: the report (one line per relay) is composed, then the command
  // fails with the first relay's failure.
  Outcome human = (*ana)({"sync"});
  EXPECT_EQ(human.exit_code, 10) << human.err;
  EXPECT_EQ(human.out, "");
  EXPECT_EQ(LineCount(human.err), 1u) << human.err;
  EXPECT_EQ(human.err.rfind("parley: ", 0), 0u) << human.err;

  // With --json the one line is a JSON object: {"schema":1,"error":{"domain","code","message"}}.
  Outcome json = (*ana)({"sync", "--json"});
  EXPECT_EQ(json.exit_code, 10) << json.err;
  EXPECT_EQ(json.out, "");
  EXPECT_EQ(LineCount(json.err), 1u) << json.err;
  auto parsed = testing::json::Parse(json.err);
  ASSERT_TRUE(parsed.ok()) << json.err;
  EXPECT_EQ((*parsed)["schema"].AsInt(), 1);
  EXPECT_FALSE((*parsed)["error"]["domain"].AsString().empty()) << json.err;
  EXPECT_FALSE((*parsed)["error"]["code"].AsString().empty()) << json.err;
  EXPECT_NE((*parsed)["error"]["message"].AsString().find("connect"), std::string::npos)
      << json.err;
}

TEST_F(CliOutput, ASuccessfulCommandPrintsItsWholeReport) {
  auto ana = NewDevice("ana", "coalition");
  Outcome synced = (*ana)({"sync", "--json"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_EQ(synced.Json()["schema"].AsInt(), 1);
  EXPECT_EQ(synced.Json()["relays"].size(), 1u);
  EXPECT_EQ(synced.err, "");
}

}  // namespace
}  // namespace parley::cli_test
