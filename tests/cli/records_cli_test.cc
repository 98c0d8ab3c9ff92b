// `parley TYPE show|list|edit|delete` as a script runs them, for every record type: JSON
// shapes, filters, the paging footer, long text shown in full, edits that change only the
// fields given, deletes that ask first and leave lists but not the history; and
// `negotiation show` summarising a negotiation with many notes.
#include <gtest/gtest.h>

#include "cli_runner.h"

namespace parley::cli_test {
namespace {

using testing::json::Value;

class CliRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(
        dev_({"init", "--name", "office laptop", "--vault", "coalition", "--no-qr"}).exit_code, 0);
    n_ =
        dev_.Id({"negotiation", "add", "--buyer", "Fresh Harvest Foods", "--title", "2025 season"});
    other_ = dev_.Id({"negotiation", "add", "--buyer", "Beta Markets"});
  }
  static void ExpectUsage(const Outcome& r, const std::string& says) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }
  std::vector<std::string> Texts(const Value& list, const std::string& field) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < list.size(); ++i)
      out.push_back(list[i]["fields"][field].AsString());
    return out;
  }

  parley::testing::TempDir root_;
  Device dev_{root_.path(), "a"};
  std::string n_, other_;
};

TEST_F(CliRecords, NotesShowListEditDelete) {
  const std::string long_text =
      "Opening: " + std::string(3000, 'x') + "\nSecond line of the note, kept whole.";
  const std::string session = dev_.Id({"session", "add", n_, "--date", "2025-06-01"});
  const std::string note =
      dev_.Id({"note", "add", n_, "--text", long_text, "--session", session.substr(0, 8)});
  dev_.Id({"note", "add", other_, "--text", "Elsewhere"});

  // show: the whole text, who recorded it.
  Outcome shown = dev_({"note", "show", note.substr(0, 8)});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("Note " + note), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find(std::string(3000, 'x')), std::string::npos);
  EXPECT_NE(shown.out.find("    Second line of the note, kept whole.\n"), std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("by office laptop"), std::string::npos) << shown.out;
  Value json = dev_.Json({"note", "show", note});
  EXPECT_EQ(json["schema"].AsInt(), 1);
  EXPECT_EQ(json["record"]["id"].AsString(), note);
  EXPECT_EQ(json["record"]["type"].AsString(), "note");
  EXPECT_EQ(json["record"]["fields"]["text"].AsString(), long_text);
  EXPECT_EQ(json["record"]["fields"]["session"].AsString(), session);
  EXPECT_EQ(json["record"]["device"].AsString(), "office laptop");
  EXPECT_EQ(json["record"]["author"].AsString().size(), 64u);
  EXPECT_TRUE(json["conflicts"].is_array());
  EXPECT_EQ(json["conflicts"].size(), 0u);
  EXPECT_TRUE(json["status_history"].is_null());
  EXPECT_TRUE(json["counts"].is_null());
  Value session_json = dev_.Json({"session", "show", session});
  EXPECT_EQ(session_json["counts"]["notes"].AsInt(), 1);

  // list: every note, one negotiation's, a filter the type has not.
  Value all = dev_.Json({"note", "list"});
  EXPECT_EQ(all["total"].AsInt(), 2);
  EXPECT_EQ(all["offset"].AsInt(), 0);
  EXPECT_EQ(all["limit"].AsInt(), 50);
  ASSERT_EQ(all["notes"].size(), 2u);
  EXPECT_EQ(all["notes"][std::size_t{0}]["fields"]["text"].AsString(),
            long_text);  // JSON is never clipped
  Value mine = dev_.Json({"note", "list", "--negotiation", n_.substr(0, 8)});
  ASSERT_EQ(mine["notes"].size(), 1u);
  EXPECT_EQ(mine["notes"][std::size_t{0}]["id"].AsString(), note);
  ExpectUsage(dev_({"note", "list", "--status", "agreed"}), "--status");
  EXPECT_EQ(dev_({"note", "list", "--author", "nobody"}).out, "No notes match.\n");
  EXPECT_EQ(dev_.Json({"note", "list", "--author", "Office Laptop"})["total"].AsInt(), 2);

  // edit: only the given field; text from standard input.
  Value edited =
      dev_.Json({"note", "edit", note.substr(0, 8), "--text", "-"}, "Rewritten from stdin\n");
  ASSERT_EQ(edited["changed"].size(), 1u);
  EXPECT_EQ(edited["changed"][std::size_t{0}].AsString(), "text");
  EXPECT_EQ(edited["record"]["fields"]["text"].AsString(), "Rewritten from stdin");
  EXPECT_EQ(edited["record"]["fields"]["session"].AsString(), session);
  Outcome again = dev_({"note", "edit", note.substr(0, 8), "--text", "Rewritten from stdin"});
  EXPECT_EQ(again.out,
            "Note " + note.substr(0, 8) + " already has these values: nothing changed.\n");
  Outcome detached = dev_({"note", "edit", note.substr(0, 8), "--session", ""});
  EXPECT_EQ(detached.out, "Edited note " + note.substr(0, 8) + ": session\n") << detached.err;
  ExpectUsage(dev_({"note", "edit", note}), "nothing to edit");
  ExpectUsage(dev_({"note", "edit", note, "--txt", "x"}), "txt");
  EXPECT_EQ(dev_({"note", "edit", note, "--text", ""}).exit_code, 1);

  // delete: refused without a terminal or --yes; then gone from lists, still in history.
  Outcome refused = dev_({"note", "delete", note});
  ExpectUsage(refused, "add --yes");
  EXPECT_EQ(dev_.Json({"note", "list"})["total"].AsInt(), 2);
  Value deleted = dev_.Json({"note", "delete", note, "--yes"});
  EXPECT_EQ(deleted["id"].AsString(), note);
  EXPECT_EQ(deleted["type"].AsString(), "note");
  EXPECT_TRUE(deleted["deleted"].AsBool());
  EXPECT_EQ(deleted["records"].AsInt(), 1);
  EXPECT_EQ(dev_.Json({"note", "list"})["total"].AsInt(), 1);
  EXPECT_EQ(dev_.Json({"negotiation", "show", n_})["notes"].size(), 0u);
  EXPECT_EQ(dev_.Json({"search", "rewritten"})["hits"].size(), 0u);
  Outcome gone = dev_({"note", "show", note});
  EXPECT_EQ(gone.exit_code, 2) << gone.err;
  Value history = dev_.Json({"history", note});
  const auto& entries = history["entries"];
  ASSERT_GT(entries.size(), 0u);
  EXPECT_EQ(entries[entries.size() - 1]["op"].AsString(), "delete");
}

TEST_F(CliRecords, PagingFooterAndNegotiationShowSummary) {
  for (int i = 0; i < 12; ++i) dev_.Id({"note", "add", n_, "--text", "Note " + std::to_string(i)});
  Outcome page = dev_({"note", "list", "--negotiation", n_, "--limit", "5"});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_NE(page.out.find("Showing 1–5 of 12 notes; --offset 5 for more\n"), std::string::npos)
      << page.out;
  EXPECT_EQ(page.out.find("NEGOTIATION"), std::string::npos)
      << page.out;  // one negotiation: no column
  Outcome last = dev_({"note", "list", "--negotiation", n_, "--limit", "5", "--offset", "10"});
  EXPECT_NE(last.out.find("Showing 11–12 of 12 notes\n"), std::string::npos) << last.out;
  EXPECT_NE(last.out.find("Note 11"), std::string::npos) << last.out;
  EXPECT_EQ(dev_({"note", "list", "--offset", "40"}).out, "No more notes: 12 in all.\n");
  Value json = dev_.Json({"note", "list", "--limit", "5", "--offset", "5"});
  EXPECT_EQ(Texts(json["notes"], "text"),
            (std::vector<std::string>{"Note 5", "Note 6", "Note 7", "Note 8", "Note 9"}));
  EXPECT_EQ(json["total"].AsInt(), 12);
  EXPECT_TRUE(dev_.Json({"note", "list", "--limit", "0"})["limit"].is_null());
  EXPECT_EQ(dev_.Json({"note", "list", "--limit", "0"})["notes"].size(), 12u);
  ExpectUsage(dev_({"note", "list", "--limit", "many"}), "--limit");
  ExpectUsage(dev_({"note", "list", "--limit", "5000"}), "--limit");

  // negotiation show: counts, the newest notes, the way to the rest.
  Outcome shown = dev_({"negotiation", "show", n_});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("12 notes"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("Note 11"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("Note 0\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("… 2 more: parley note list --negotiation " + n_.substr(0, 8)),
            std::string::npos)
      << shown.out;
  Value overview = dev_.Json({"negotiation", "show", n_});
  EXPECT_EQ(overview["notes"].size(), 12u);
  EXPECT_EQ(overview["counts"]["notes"].AsInt(), 12);
  EXPECT_EQ(overview["counts"]["parties"].AsInt(), 0);
}

TEST_F(CliRecords, NegotiationsListEditDelete) {
  Value list = dev_.Json({"negotiation", "list"});
  ASSERT_EQ(list["negotiations"].size(), 2u);
  EXPECT_EQ(list["total"].AsInt(), 2);
  EXPECT_EQ(Texts(list["negotiations"], "buyer"),
            (std::vector<std::string>{"Fresh Harvest Foods", "Beta Markets"}));
  ASSERT_EQ(dev_({"campaign", "status", other_, "won"}).exit_code, 0);
  Value won = dev_.Json({"negotiation", "list", "--status", "won"});
  ASSERT_EQ(won["negotiations"].size(), 1u);
  EXPECT_EQ(won["negotiations"][std::size_t{0}]["id"].AsString(), other_);
  Outcome table = dev_({"negotiation", "list"});
  EXPECT_NE(table.out.find("Fresh Harvest Foods"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 negotiations\n"), std::string::npos) << table.out;

  Value edited = dev_.Json({"negotiation", "edit", n_, "--title", "2026 season"});
  EXPECT_EQ(edited["record"]["fields"]["title"].AsString(), "2026 season");
  EXPECT_EQ(edited["record"]["fields"]["buyer"].AsString(), "Fresh Harvest Foods");
  ExpectUsage(dev_({"negotiation", "edit", n_, "--buyer", ""}), "buyer");

  dev_.Id({"note", "add", n_, "--text", "Goes with its negotiation"});
  dev_.Id({"party", "add", n_, "--role", "buyer", "--name", "J. Smith"});
  Value deleted = dev_.Json({"negotiation", "delete", n_, "--yes"});
  EXPECT_EQ(deleted["records"].AsInt(), 3);
  EXPECT_EQ(dev_.Json({"negotiation", "list"})["total"].AsInt(), 1);
  EXPECT_EQ(dev_.Json({"note", "list"})["total"].AsInt(), 0);
  EXPECT_EQ(dev_({"negotiation", "show", n_}).exit_code, 2);
}

TEST_F(CliRecords, PartiesSessionsAndNeeds) {
  const std::string party = dev_.Id({"party", "add", n_, "--role", "buyer", "--name", "J. Smith"});
  dev_.Id({"party", "add", n_, "--role", "worker_org", "--name", "CIW"});
  Value parties = dev_.Json({"party", "list", "--kind", "worker_org"});
  ASSERT_EQ(parties["parties"].size(), 1u);
  EXPECT_EQ(parties["parties"][std::size_t{0}]["fields"]["name"].AsString(), "CIW");
  Value party_edit = dev_.Json({"party", "edit", party, "--name", "Jane Smith"});
  EXPECT_EQ(party_edit["record"]["fields"]["name"].AsString(), "Jane Smith");
  EXPECT_EQ(party_edit["record"]["fields"]["role"].AsString(), "buyer");
  ExpectUsage(dev_({"party", "edit", party, "--role", "boss"}), "party role");
  EXPECT_EQ(dev_.Json({"party", "show", party})["record"]["fields"]["name"].AsString(),
            "Jane Smith");

  const std::string late =
      dev_.Id({"session", "add", n_, "--date", "2025-06-10", "--place", "Immokalee"});
  const std::string early = dev_.Id({"session", "add", n_, "--date", "2025-06-01"});
  Value sessions = dev_.Json({"session", "list", "--negotiation", n_});
  EXPECT_EQ(Texts(sessions["sessions"], "date"),
            (std::vector<std::string>{"2025-06-01", "2025-06-10"}));
  Value ranged = dev_.Json({"session", "list", "--since", "2025-06-05", "--until", "2025-06-30"});
  ASSERT_EQ(ranged["sessions"].size(), 1u);
  EXPECT_EQ(ranged["sessions"][std::size_t{0}]["id"].AsString(), late);
  Value moved =
      dev_.Json({"session", "edit", early, "--date", "2025-06-20", "--attendees", "Ana, J. Smith"});
  EXPECT_EQ(moved["record"]["fields"]["date"].AsString(), "2025-06-20");
  EXPECT_EQ(Texts(dev_.Json({"session", "list"})["sessions"], "date"),
            (std::vector<std::string>{"2025-06-10", "2025-06-20"}));
  ExpectUsage(dev_({"session", "edit", early, "--date", "June"}), "invalid date");
  ExpectUsage(dev_({"session", "list", "--since", "yesterday"}), "invalid date");
  ASSERT_EQ(dev_({"session", "delete", late, "--yes"}).exit_code, 0);
  EXPECT_EQ(dev_.Json({"session", "list"})["total"].AsInt(), 1);

  const std::string need =
      dev_.Id({"need", "add", n_, "--text", "Cannot raise prices before autumn", "--constraint"});
  dev_.Id({"need", "add", n_, "--text", "A clean supply chain story"});
  EXPECT_EQ(dev_.Json({"need", "list", "--kind", "constraint"})["needs"].size(), 1u);
  Value need_edit = dev_.Json({"need", "edit", need, "--kind", "need"});
  EXPECT_EQ(need_edit["record"]["fields"]["kind"].AsString(), "need");
  EXPECT_EQ(need_edit["record"]["fields"]["text"].AsString(), "Cannot raise prices before autumn");
  EXPECT_EQ(dev_.Json({"need", "list", "--kind", "constraint"})["needs"].size(), 0u);
  Outcome wrong_type = dev_({"need", "show", party});
  EXPECT_EQ(wrong_type.exit_code, 2) << wrong_type.err;
  ASSERT_EQ(dev_({"need", "delete", need, "--yes"}).exit_code, 0);
  EXPECT_EQ(dev_.Json({"need", "list"})["total"].AsInt(), 1);
}

TEST_F(CliRecords, CommitmentsElementsAndCampaignActions) {
  dev_.Id({"party", "add", n_, "--role", "buyer", "--name", "J. Smith"});
  const std::string premium =
      dev_.Id({"commitment", "add", n_, "--kind", "price premium", "--text", "A penny a pound",
               "--amount", "0.01 USD/lb", "--by", "J. Smith"});
  const std::string monitoring =
      dev_.Id({"commitment", "add", n_, "--kind", "independent_monitoring", "--text",
               "Council monitoring"});
  ASSERT_EQ(dev_({"commitment", "status", premium, "agreed"}).exit_code, 0);
  Value agreed = dev_.Json({"commitment", "list", "--status", "agreed"});
  ASSERT_EQ(agreed["commitments"].size(), 1u);
  EXPECT_EQ(agreed["commitments"][std::size_t{0}]["id"].AsString(), premium);
  EXPECT_EQ(dev_.Json({"commitment", "list", "--kind", "Independent Monitoring"})["total"].AsInt(),
            1);
  ExpectUsage(dev_({"commitment", "list", "--kind", "lunch"}), "commitment kind");

  Value edited = dev_.Json(
      {"commitment", "edit", premium, "--amount", "0.02 USD/lb", "--firm", "--status", "signed"});
  EXPECT_EQ(edited["changed"].size(), 3u);
  EXPECT_EQ(edited["record"]["fields"]["amount"].AsString(), "0.02 USD/lb");
  EXPECT_EQ(edited["record"]["fields"]["principle"].AsString(), "firm");
  EXPECT_EQ(edited["record"]["fields"]["text"].AsString(), "A penny a pound");
  ExpectUsage(dev_({"commitment", "edit", premium, "--amount", "lots"}), "amount");
  ExpectUsage(dev_({"commitment", "edit", premium, "--firm", "--flexible"}), "exclude");
  Value shown = dev_.Json({"commitment", "show", premium});
  const auto& history = shown["status_history"];
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[std::size_t{0}]["status"].AsString(), "proposed");
  EXPECT_EQ(history[std::size_t{2}]["status"].AsString(), "signed");
  EXPECT_TRUE(history[std::size_t{2}]["live"].AsBool());
  EXPECT_EQ(history[std::size_t{2}]["device"].AsString(), "office laptop");
  Outcome text = dev_({"commitment", "show", premium});
  EXPECT_NE(text.out.find("Status history:"), std::string::npos) << text.out;

  // Bottom-line elements: the group is `bottomline`.
  const std::string element = dev_.Id({"bottomline", "require", n_, "financial_support",
                                       "--covered-by", premium, "--form", "price_premium"});
  Value elements = dev_.Json({"bottomline", "list", "--negotiation", n_});
  ASSERT_EQ(elements["bottom_line"].size(), 1u);
  EXPECT_TRUE(elements["bottom_line"][std::size_t{0}]["fields"]["forms"].is_array());
  Value relinked = dev_.Json({"bottomline", "edit", element, "--covered-by",
                              premium.substr(0, 8) + "," + monitoring.substr(0, 8), "--form",
                              "price premium>=0.02 USD/lb", "--form", "licensing fee"});
  const auto& fields = relinked["record"]["fields"];
  ASSERT_EQ(fields["covered_by"].size(), 2u);
  EXPECT_EQ(fields["covered_by"][std::size_t{1}].AsString(), monitoring);
  ASSERT_EQ(fields["forms"].size(), 2u);
  EXPECT_EQ(fields["forms"][std::size_t{0}].AsString(), "price_premium>=0.02 USD/lb");
  EXPECT_EQ(fields["forms"][std::size_t{1}].AsString(), "licensing_fees");
  EXPECT_EQ(dev_.Json({"bottomline", "show", element})["record"]["fields"]["element"].AsString(),
            "financial_support");
  ASSERT_EQ(dev_({"bottomline", "delete", element, "--yes"}).exit_code, 0);
  EXPECT_EQ(dev_.Json({"bottomline", "report", n_})["elements"].size(), 0u);

  // Campaign actions: by date, then edited and deleted.
  const std::string protest =
      dev_.Id({"campaign", "action", "add", n_, "--date", "2025-05-20", "--kind", "protest"});
  dev_.Id({"campaign", "action", "add", n_, "--date", "2025-05-10", "--kind", "delegation"});
  Value actions = dev_.Json({"campaign", "action", "list"});
  EXPECT_EQ(Texts(actions["campaign_actions"], "kind"),
            (std::vector<std::string>{"delegation", "protest"}));
  EXPECT_EQ(dev_.Json({"campaign", "action", "list", "--kind", "Protest"})["total"].AsInt(), 1);
  Value action_edit =
      dev_.Json({"campaign", "action", "edit", protest, "--text", "At the flagship store"});
  EXPECT_EQ(action_edit["record"]["fields"]["kind"].AsString(), "protest");
  EXPECT_EQ(action_edit["record"]["fields"]["text"].AsString(), "At the flagship store");
  Outcome action_shown = dev_({"campaign", "action", "show", protest.substr(0, 8)});
  EXPECT_NE(action_shown.out.find("Campaign action " + protest), std::string::npos)
      << action_shown.out;
  ASSERT_EQ(dev_({"campaign", "action", "delete", protest, "--yes"}).exit_code, 0);
  EXPECT_EQ(dev_.Json({"campaign", "action", "list"})["total"].AsInt(), 1);

  ASSERT_EQ(dev_({"commitment", "delete", monitoring, "--yes"}).exit_code, 0);
  EXPECT_EQ(dev_.Json({"commitment", "list"})["total"].AsInt(), 1);
  EXPECT_EQ(dev_({"commitment", "show", monitoring}).exit_code, 2);
}

}  // namespace
}  // namespace parley::cli_test
