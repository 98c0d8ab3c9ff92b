// Import (parley/core/import.h) over a real encrypted store: CSV as RFC 4180 writes it and
// JSON lines are read exactly, every row is checked before anything is written (an error
// names its line and column), and the records are written a batch per change.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model_fixture.h"
#include "parley/core/import.h"

namespace parley::model {
namespace {

using testutil::Device;

// The rows of `data`, which must parse.
std::vector<ImportRow> Rows(std::string_view data, ImportFormat format = ImportFormat::kCsv) {
  auto rows = ParseImport(data, format);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? *rows : std::vector<ImportRow>{};
}

std::string Value(const ImportRow& row, std::string_view column) {
  for (const auto& [c, v] : row.values) {
    if (c == column) return v;
  }
  return "<absent>";
}

// Parsing `data` fails with kInvalidArgument at `line` / `column`; returns the message.
std::string ParseError(std::string_view data, std::size_t line, std::string_view column,
                       ImportFormat format = ImportFormat::kCsv) {
  ImportProblem problem;
  auto rows = ParseImport(data, format, &problem);
  EXPECT_FALSE(rows.ok()) << data;
  if (rows.ok()) return "";
  EXPECT_EQ(rows.status().code(), Code::kInvalidArgument) << rows.status().ToString();
  EXPECT_EQ(problem.line, line) << rows.status().ToString();
  EXPECT_EQ(problem.column, column) << rows.status().ToString();
  const std::string where =
      "line " + std::to_string(line) + (column.empty() ? "" : ", column " + std::string(column));
  EXPECT_EQ(rows.status().message().rfind(where + ": ", 0), 0u) << rows.status().message();
  return rows.status().message();
}

TEST(ImportCsv, QuotedFieldsHoldCommasLineBreaksAndQuotes) {
  auto rows = Rows(
      "type,negotiation,text\n"
      "note,abcd,\"Buyer said: \"\"no\"\", then, after a pause,\nyes\"\n"
      "note,abcd,plain\n"
      "note,abcd,\"\"\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(Value(rows[0], "text"), "Buyer said: \"no\", then, after a pause,\nyes");
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[1].line, 4u) << "a row starts on the line after the quoted line break";
  EXPECT_EQ(Value(rows[1], "text"), "plain");
  EXPECT_EQ(Value(rows[2], "text"), "<absent>") << "an empty quoted field is an absent value";
  EXPECT_EQ(Value(rows[2], "type"), "note");
}

TEST(ImportCsv, ByteOrderMarkAndCrlfAreTolerated) {
  auto rows = Rows(
      "\xEF\xBB\xBFtype,negotiation,text\r\n"
      "note,abcd,\"two\r\nlines\"\r\n"
      "note,abcd,last without a line break");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Value(rows[0], "type"), "note") << "the mark is not part of the first column's name";
  EXPECT_EQ(Value(rows[0], "text"), "two\r\nlines") << "a quoted line break is kept as written";
  EXPECT_EQ(Value(rows[1], "text"), "last without a line break");
  EXPECT_EQ(rows[1].line, 4u);
}

TEST(ImportCsv, Utf8IsKeptAndBadUtf8NamesItsLineAndColumn) {
  auto rows = Rows("type,negotiation,text\nnote,abcd,Comité de Apoyo — ✊ 🍅\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(Value(rows[0], "text"), "Comité de Apoyo — ✊ 🍅");
  ParseError("type,negotiation,text\nnote,abcd,fine\nnote,abcd,caf\xE9\n", 3, "text");
  ParseError("type,negotiation,text\nnote,abcd,\xC0\xAF overlong\n", 2, "text");
  ParseError("type,negotiation,text\nnote,abcd,\xED\xA0\x80 surrogate\n", 2, "text");
}

TEST(ImportCsv, BlankRowsAreSkippedAndStillCounted) {
  auto rows = Rows("type,negotiation,text\n\nnote,abcd,a\n\r\n\nnote,abcd,b\n\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 3u);
  EXPECT_EQ(rows[1].line, 6u);
}

TEST(ImportCsv, AHeaderRowIsRequired) {
  EXPECT_NE(ParseError("note,abcd,hello\n", 1, "").find("header"), std::string::npos);
  EXPECT_NE(ParseError("", 1, "").find("header"), std::string::npos);
  EXPECT_NE(ParseError("type,text\nnote,hello\n", 1, "").find("'negotiation'"), std::string::npos);
}

TEST(ImportCsv, UnknownAndRepeatedColumnsAreRefused) {
  const std::string message = ParseError("type,negotiation,colour\nnote,abcd,red\n", 1, "");
  EXPECT_NE(message.find("unknown column 'colour'"), std::string::npos) << message;
  EXPECT_NE(message.find("text"), std::string::npos) << "the known columns are listed: " << message;
  ParseError("type,negotiation,text,text\n", 1, "text");
}

TEST(ImportCsv, MalformedRowsNameTheirLine) {
  EXPECT_NE(ParseError("type,negotiation,text\nnote,abcd,a\nnote,abcd\n", 3, "").find("2 fields"),
            std::string::npos);
  ParseError("type,negotiation,text\nnote,abcd,a\nnote,abcd,a,b\n", 3, "");
  EXPECT_NE(
      ParseError("type,negotiation,text\nnote,abcd,a\nnote,abcd,\"never closed\n\nmore\n", 3, "")
          .find("field 3 opens a quote here that is never closed"),
      std::string::npos);
  ParseError("type,negotiation,text\nnote,abcd,\"closed\" then more\n", 2, "");
  ParseError("type,negotiation,text\nnote,abcd,5\" pipe\n", 2, "");
}

TEST(ImportJsonLines, ObjectsPerLine) {
  auto rows = Rows(
      "\xEF\xBB\xBF{\"type\":\"note\",\"negotiation\":\"abcd\",\"text\":\"a, "
      "\\\"quoted\\\"\\nline\"}\r\n"
      "\n"
      "{\"type\":\"commitment\",\"negotiation\":\"abcd\",\"kind\":\"price_premium\",\"amount\":"
      "null,\"text\":\"é\"}\n",
      ImportFormat::kJsonLines);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Value(rows[0], "text"), "a, \"quoted\"\nline");
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_EQ(Value(rows[1], "amount"), "<absent>") << "null is an absent value";
  EXPECT_EQ(Value(rows[1], "text"), "é");
}

TEST(ImportJsonLines, ProblemsNameTheirLineAndColumn) {
  const auto j = ImportFormat::kJsonLines;
  ParseError("{\"type\":\"note\"}\n{\"type\":\"note\",\n", 2, "", j);
  ParseError("{\"type\":\"note\"}\n[1,2]\n", 2, "", j);
  ParseError("{\"type\":\"note\",\"text\":5}\n", 1, "text", j);
  ParseError("{\"type\":\"note\",\"text\":{\"a\":\"b\"}}\n", 1, "text", j);
  EXPECT_NE(ParseError("\n\n{\"type\":\"note\",\"colour\":\"red\"}\n", 3, "", j).find("colour"),
            std::string::npos);
  ParseError("{\"type\":\"note\",\"text\":\"caf\xE9\"}\n", 1, "", j);
}

TEST(ImportFormats, FromNameAndPath) {
  EXPECT_EQ(ImportFormatOfPath("notes.csv"), ImportFormat::kCsv);
  EXPECT_EQ(ImportFormatOfPath("/tmp/x.d/NOTES.JSONL"), ImportFormat::kJsonLines);
  EXPECT_EQ(ImportFormatOfPath("a.ndjson"), ImportFormat::kJsonLines);
  EXPECT_EQ(ImportFormatOfPath("/tmp/x.csv/notes"), std::nullopt);
  EXPECT_EQ(ImportFormatOfPath("-"), std::nullopt);
  EXPECT_FALSE(ImportFormatNamed("xlsx").ok());
  EXPECT_EQ(ImportColumns("note"), (std::vector<std::string_view>{"text", "session"}));
  EXPECT_TRUE(ImportColumns("negotiation").empty());
}

class ImportInto : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(device_.ready());
    auto id = model().AddNegotiation({"Fresh Harvest Foods", "Tomato supply WSR"});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    negotiation_ = *id;
    neg_ = log::ToString(negotiation_);
    auto known = device_.replica().Known();
    ASSERT_TRUE(known.ok());
    known_ = *known;
  }
  Model& model() { return device_.model(); }

  // Changes written since SetUp.
  std::size_t NewChanges() {
    auto fresh = device_.replica().ChangesSince(known_);
    EXPECT_TRUE(fresh.ok()) << fresh.status().ToString();
    return fresh.ok() ? fresh->size() : 0;
  }
  std::vector<log::Record> Of(std::string_view type) {
    auto overview = model().Overview(negotiation_);
    EXPECT_TRUE(overview.ok()) << overview.status().ToString();
    if (!overview.ok()) return {};
    if (type == kNote) return overview->notes;
    if (type == kCommitment) return overview->commitments;
    if (type == kSession) return overview->sessions;
    if (type == kParty) return overview->parties;
    if (type == kNeed) return overview->needs;
    return overview->actions;
  }
  // A CSV of `n` notes of this negotiation ("note 1" ... "note n").
  std::string Notes(std::size_t n) {
    std::string csv = "type,negotiation,text\n";
    for (std::size_t i = 1; i <= n; ++i)
      csv += "note," + neg_.substr(0, 8) + ",note " + std::to_string(i) + "\n";
    return csv;
  }
  // Importing `data` fails at `line` / `column` with `code`, and writes nothing.
  std::string Refused(const std::string& data, std::size_t line, std::string_view column,
                      Code code = Code::kInvalidArgument,
                      ImportFormat format = ImportFormat::kCsv) {
    ImportProblem problem;
    auto summary = Import(model(), data, format, {}, &problem);
    EXPECT_FALSE(summary.ok());
    if (summary.ok()) return "";
    EXPECT_EQ(summary.status().code(), code) << summary.status().ToString();
    EXPECT_EQ(problem.line, line) << summary.status().ToString();
    EXPECT_EQ(problem.column, column) << summary.status().ToString();
    const std::string where =
        "line " + std::to_string(line) + ", column " + std::string(column) + ": ";
    EXPECT_EQ(summary.status().message().rfind(where, 0), 0u) << summary.status().message();
    EXPECT_EQ(NewChanges(), 0u) << "a refused file writes nothing";
    return summary.status().message();
  }

  testing::FakeClock clock_{testutil::kMay1};
  Device device_{clock_, "ana phone", /*with_vault=*/true};
  RecordId negotiation_{};
  std::string neg_;
  log::VersionVector known_;
};

TEST_F(ImportInto, TwoThousandNotesAreFourChangesOfFiveHundred) {
  std::vector<std::pair<std::size_t, std::size_t>> progress;
  ImportOptions options;
  options.progress = [&](std::size_t done, std::size_t total) {
    progress.emplace_back(done, total);
  };
  auto summary = Import(model(), Notes(2000), ImportFormat::kCsv, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->imported, 2000u);
  EXPECT_EQ(summary->changes, 4u);
  EXPECT_EQ(summary->by_type, (std::map<std::string, std::size_t>{{"note", 2000}}));
  EXPECT_EQ(NewChanges(), 4u) << "ceil(2000 / 500) changes in the log";
  EXPECT_EQ(progress, (std::vector<std::pair<std::size_t, std::size_t>>{
                          {0, 2000}, {500, 2000}, {1000, 2000}, {1500, 2000}, {2000, 2000}}));
  auto notes = Of(kNote);
  ASSERT_EQ(notes.size(), 2000u);
  std::set<std::string> texts;
  for (const auto& n : notes) texts.insert(n.get("text"));
  EXPECT_EQ(texts.size(), 2000u);
  EXPECT_EQ(texts.count("note 1207"), 1u);
  auto hits = model().Search("1207");
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->size(), 1u) << "imported notes are searchable";
}

TEST_F(ImportInto, TheBatchSizeSetsTheNumberOfChanges) {
  ImportOptions options;
  options.batch = 300;
  auto summary = Import(model(), Notes(2000), ImportFormat::kCsv, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->changes, 7u);
  EXPECT_EQ(NewChanges(), 7u) << "ceil(2000 / 300)";
  options.batch = 1;
  summary = Import(model(), Notes(3), ImportFormat::kCsv, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(NewChanges(), 10u);
  EXPECT_EQ(Of(kNote).size(), 2003u);
}

TEST_F(ImportInto, AnInvalidRowAnywhereWritesNothing) {
  // Row 1,207 (line 1,208) names a session that does not exist.
  std::string with_session = "type,negotiation,text,session\n";
  for (std::size_t i = 1; i <= 2000; ++i) {
    with_session +=
        "note," + neg_ + ",note " + std::to_string(i) + (i == 1207 ? ",ffff0000\n" : ",\n");
  }
  EXPECT_NE(Refused(with_session, 1208, "session", Code::kNotFound).find("ffff0000"),
            std::string::npos);
  EXPECT_TRUE(Of(kNote).empty());
  // The same file with the row fixed goes in whole.
  with_session.replace(with_session.find(",ffff0000\n"), 10, ",\n");
  auto summary = Import(model(), with_session, ImportFormat::kCsv);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(Of(kNote).size(), 2000u);
}

TEST_F(ImportInto, AFailureWhileWritingKeepsTheChangesCommittedAndSaysHowMany) {
  // After the second change the replica is made busy (a transaction left open), so the
  // third change cannot begin.
  std::unique_ptr<log::Transaction> blocker;
  ImportOptions options;
  options.progress = [&](std::size_t done, std::size_t) {
    if (done == 1000) {
      auto txn = device_.replica().Begin();
      ASSERT_TRUE(txn.ok()) << txn.status().ToString();
      blocker = std::move(txn).value();
    }
  };
  auto summary = Import(model(), Notes(2000), ImportFormat::kCsv, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Code::kBusy) << summary.status().ToString();
  EXPECT_EQ(summary.status().message().rfind(
                "after 1000 of 2000 records (lines 1002-1501 not written): ", 0),
            0u)
      << summary.status().message();
  blocker.reset();
  EXPECT_EQ(NewChanges(), 2u);
  EXPECT_EQ(Of(kNote).size(), 1000u);
}

TEST_F(ImportInto, ValuesAreCheckedAsTheModelChecksThem) {
  const std::string h = "type,negotiation,text,kind,date,amount,role,name\n";
  const std::string n = neg_.substr(0, 6);
  EXPECT_NE(Refused(h + "note," + n + ",a,,,,,\nmemo," + n + ",b,,,,,\n", 3, "type")
                .find("unknown type 'memo'"),
            std::string::npos);
  Refused(h + ",,a,,,,,\n", 2, "type");
  EXPECT_NE(Refused(h + "session," + n + ",,,2025-02-30,,,\n", 2, "date").find("2025-02-30"),
            std::string::npos);
  EXPECT_NE(
      Refused(h + "commitment," + n + ",terms,price_premim,,,,\n", 2, "kind").find("price_premium"),
      std::string::npos)
      << "the nearest kind is suggested";
  Refused(h + "commitment," + n + ",terms,price_premium,,lots,,\n", 2, "amount");
  Refused(h + "party," + n + ",,,,,chair,Ana\n", 2, "role");
  Refused(h + "party," + n + ",,,,,ally,\n", 2, "name");
  Refused(h + "note," + n + ",,,,,,\n", 2, "text");
  EXPECT_NE(Refused(h + "note," + n + ",a,,,5 USD,,\n", 2, "amount").find("a note has no amount"),
            std::string::npos);
  Refused(h + "note,,a,,,,,\n", 2, "negotiation");
  Refused(h + "note,0000,a,,,,,\n", 2, "negotiation", Code::kNotFound);
  Refused("{\"type\":\"need\",\"negotiation\":\"" + n + "\",\"text\":\"x\",\"kind\":\"wish\"}\n", 1,
          "kind", Code::kInvalidArgument, ImportFormat::kJsonLines);
}

TEST_F(ImportInto, EveryTypeWithItsReferences) {
  auto party = model().AddParty(negotiation_, {"buyer", "Fresh Harvest Foods"});
  ASSERT_TRUE(party.ok());
  auto session = model().AddSession(negotiation_, {"2025-04-02", "Immokalee", ""});
  ASSERT_TRUE(session.ok());
  auto known = device_.replica().Known();
  ASSERT_TRUE(known.ok());
  known_ = *known;
  const std::string s = log::ToString(*session).substr(0, 6);
  const std::string jsonl =
      "{\"type\":\"party\",\"negotiation\":\"" + neg_ +
      "\",\"role\":\"ally\",\"name\":\"Comité de Apoyo\"}\n" +
      "{\"type\":\"session\",\"negotiation\":\"" + neg_ +
      "\",\"date\":\"2025-04-09\",\"place\":\"Tampa\"}\n" +
      "{\"type\":\"note\",\"negotiation\":\"" + neg_ + "\",\"text\":\"follow-up\",\"session\":\"" +
      s + "\"}\n" + "{\"type\":\"commitment\",\"negotiation\":\"" + neg_ +
      "\",\"kind\":\"licensing fee\",\"text\":\"fee per pound\",\"by\":\"fresh harvest foods\"," +
      "\"amount\":\"0.01 "
      "USD/lb\",\"deadline\":\"2025-06-01\",\"principle\":\"firm\",\"status\":\"countered\"}\n" +
      "{\"type\":\"need\",\"negotiation\":\"" + neg_ +
      "\",\"text\":\"phase-in\",\"kind\":\"constraint\"}\n" +
      "{\"type\":\"campaign_action\",\"negotiation\":\"" + neg_ +
      "\",\"date\":\"2025-04-20\",\"kind\":\"protest\"}\n";
  auto summary = Import(model(), jsonl, ImportFormat::kJsonLines);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->changes, 1u);
  EXPECT_EQ(NewChanges(), 1u) << "six records of six types in one change";
  EXPECT_EQ(summary->by_type, (std::map<std::string, std::size_t>{{"campaign_action", 1},
                                                                  {"commitment", 1},
                                                                  {"need", 1},
                                                                  {"note", 1},
                                                                  {"party", 1},
                                                                  {"session", 1}}));
  auto commitments = Of(kCommitment);
  ASSERT_EQ(commitments.size(), 1u);
  const log::Record& c = commitments[0];
  EXPECT_EQ(c.get("kind"), "licensing_fees") << "stored in its canonical spelling";
  EXPECT_EQ(c.get("by"), log::ToString(*party)) << "a party by name";
  EXPECT_EQ(c.get("amount"), "0.01 USD/lb");
  EXPECT_EQ(c.get("principle"), "firm");
  EXPECT_EQ(c.get("status"), "countered");
  auto notes = Of(kNote);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].get("session"), log::ToString(*session)) << "a session by id prefix";
  ASSERT_EQ(Of(kNeed).size(), 1u);
  EXPECT_EQ(Of(kNeed)[0].get("kind"), "constraint");
  ASSERT_EQ(Of(kParty).size(), 2u);
  EXPECT_EQ(Of(kParty)[1].get("name"), "Comité de Apoyo");
  ASSERT_EQ(Of(kCampaignAction).size(), 1u);
  EXPECT_EQ(Of(kCampaignAction)[0].get("text"), "");
  ASSERT_EQ(Of(kSession).size(), 2u);

  // Defaults are the `add` commands' defaults.
  summary = Import(model(),
                   "type,negotiation,kind,text\ncommitment," + neg_ +
                       ",worker_gains,more pay\nneed," + neg_ + ",,a need\n",
                   ImportFormat::kCsv);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(Of(kCommitment)[1].get("status"), "proposed");
  EXPECT_EQ(Of(kCommitment)[1].get("principle"), "flexible");
  EXPECT_EQ(Of(kNeed)[1].get("kind"), "need");
}

TEST_F(ImportInto, ReferencesMustBeOfTheSameNegotiation) {
  auto other = model().AddNegotiation({"Other Buyer", ""});
  ASSERT_TRUE(other.ok());
  auto session = model().AddSession(*other, {"2025-04-02", "", ""});
  ASSERT_TRUE(session.ok());
  auto known = device_.replica().Known();
  ASSERT_TRUE(known.ok());
  known_ = *known;
  Refused("type,negotiation,text,session\nnote," + neg_ + ",a," + log::ToString(*session) + "\n", 2,
          "session", Code::kNotFound);
  Refused("type,negotiation,kind,text,by\ncommitment," + neg_ + ",worker_gains,a,Nobody\n", 2, "by",
          Code::kNotFound);
  // A session id given as the negotiation.
  Refused("type,negotiation,text\nnote," + log::ToString(*session) + ",a\n", 2, "negotiation",
          Code::kNotFound);
}

TEST_F(ImportInto, DryRunWritesNothing) {
  ImportOptions options;
  options.dry_run = true;
  options.batch = 400;
  bool called = false;
  options.progress = [&](std::size_t, std::size_t) { called = true; };
  auto summary = Import(model(), Notes(1000), ImportFormat::kCsv, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->imported, 1000u);
  EXPECT_EQ(summary->changes, 3u);
  EXPECT_EQ(NewChanges(), 0u);
  EXPECT_FALSE(called);
}

TEST_F(ImportInto, BatchSizeOutOfRangeAndEmptyFiles) {
  ImportOptions options;
  options.batch = 0;
  EXPECT_EQ(Import(model(), Notes(3), ImportFormat::kCsv, options).status().code(),
            Code::kInvalidArgument);
  options.batch = kMaxImportBatch + 1;
  EXPECT_EQ(Import(model(), Notes(3), ImportFormat::kCsv, options).status().code(),
            Code::kInvalidArgument);
  auto summary = Import(model(), "type,negotiation,text\n", ImportFormat::kCsv);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->imported, 0u);
  EXPECT_EQ(summary->changes, 0u);
  EXPECT_EQ(NewChanges(), 0u);
}

TEST_F(ImportInto, AChangeClosesBeforeItsValuesGrowTooLarge) {
  const std::string big(kMaxImportChangeBytes / 3 + 1, 'x');  // three do not fit one change
  std::string jsonl;
  for (int i = 0; i < 3; ++i) {
    jsonl += "{\"type\":\"note\",\"negotiation\":\"" + neg_ + "\",\"text\":\"" + big + "\"}\n";
  }
  auto summary = Import(model(), jsonl, ImportFormat::kJsonLines);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->changes, 2u);
  EXPECT_EQ(NewChanges(), 2u);
  // A record larger than a change may hold is refused when planning.
  const std::string huge(kMaxImportChangeBytes + 1, 'y');
  ImportProblem problem;
  auto refused = Import(model(), "type,negotiation,text\nnote," + neg_ + "," + huge + "\n",
                        ImportFormat::kCsv, {}, &problem);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(problem.line, 2u);
}

}  // namespace
}  // namespace parley::model
