// negotiation add/list/show, party add, session add, need add.
#include <algorithm>
#include <map>

#include "app.h"
#include "model_text.h"
#include "table.h"

namespace parley::cli {

namespace {

// Rows `negotiation show` prints per section at most.
constexpr std::size_t kShownRows = 10;

// The number of records of each type under the negotiation, keyed as the lists are.
Json CountsJson(const model::NegotiationOverview& o) {
  return {{ListKey(model::kParty), o.parties.size()},
          {ListKey(model::kSession), o.sessions.size()},
          {ListKey(model::kNote), o.notes.size()},
          {ListKey(model::kCommitment), o.commitments.size()},
          {ListKey(model::kNeed), o.needs.size()},
          {ListKey(model::kElement), o.elements.size()},
          {ListKey(model::kCampaignAction), o.actions.size()}};
}

std::string CountsText(const model::NegotiationOverview& o) {
  auto n = [](std::size_t count, const char* one, const char* many) {
    return std::to_string(count) + " " + (count == 1 ? one : many);
  };
  return n(o.parties.size(), "party", "parties") + ", " +
         n(o.sessions.size(), "session", "sessions") + ", " + n(o.notes.size(), "note", "notes") +
         ", " + n(o.commitments.size(), "commitment", "commitments") + ", " +
         n(o.needs.size(), "need", "needs") + ", " +
         n(o.elements.size(), "bottom-line element", "bottom-line elements") + ", " +
         n(o.actions.size(), "campaign action", "campaign actions");
}

Status NegotiationAdd(App& app, const Invocation& inv) {
  model::NegotiationInput in{inv.Get("buyer"), inv.Get("title")};
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().AddNegotiation(in));
  return PrintAdded(app, "negotiation", id, "Buyer: " + in.buyer);
}

Status NegotiationShow(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto o, app.model().Overview(id));
  PARLEY_ASSIGN_OR_RETURN(auto report, app.model().BottomLine(id));
  if (app.json()) {
    const bool warned = report.campaign_warning != model::CampaignWarningCode::kNone;
    app.PrintJson(
        {{"negotiation", RecordJson(o.negotiation)},
         {"parties", RecordsJson(o.parties)},
         {"sessions", RecordsJson(o.sessions)},
         {"notes", RecordsJson(o.notes)},
         {"commitments", RecordsJson(o.commitments)},
         {"needs", RecordsJson(o.needs)},
         {"bottom_line", RecordsJson(o.elements)},
         {"campaign_actions", RecordsJson(o.actions)},
         {"counts", CountsJson(o)},
         {"meets_bottom_line", report.meets},
         {"verdict", VerdictText(report.verdict)},
         {"verdict_code", model::VerdictName(report.verdict)},
         {"stalled", report.stall.stalled},
         {"campaign_warning", warned ? Json(CampaignWarningText(report.campaign_warning)) : Json()},
         {"campaign_warning_code",
          warned ? Json(model::CampaignWarningName(report.campaign_warning)) : Json()}});
    return Status::Ok();
  }
  const auto& n = o.negotiation;
  std::string out = "Negotiation " + log::ToString(n.id) + "\n";
  out += "  Buyer:    " + Cell(n, "buyer") + "\n";
  if (!n.get("title").empty()) out += "  Title:    " + Cell(n, "title") + "\n";
  out += "  Campaign: " + Cell(n, "campaign_status") + "\n";
  out += "  Created:  " + FormatStoredTime(Cell(n, "created")) + "\n";
  std::map<std::string, std::string> party_names;
  for (const auto& p : o.parties) party_names[log::ToString(p.id)] = p.get("name");
  const std::string short_neg = ShortId(log::ToString(n.id));
  // Each section shows its first kShownRows rows (notes: the newest); the rest are one
  // `TYPE list` away.
  auto section = [&](const std::string& title, const Table& table, std::size_t total,
                     std::string_view type) {
    if (table.empty()) return;
    out += "\n" + title + "\n" + table.Render(2);
    if (total > kShownRows) {
      out += "  … " + std::to_string(total - kShownRows) + " more: parley " + std::string(type) +
             " list --negotiation " + short_neg + "\n";
    }
  };
  auto shown = [](const auto& list) { return std::min(list.size(), kShownRows); };
  out += "  Records:  " + CountsText(o) + "\n";
  Table parties({"ID", "ROLE", "NAME"});
  for (std::size_t i = 0; i < shown(o.parties); ++i) {
    const auto& p = o.parties[i];
    parties.Row({ShortId(log::ToString(p.id)), Cell(p, "role"), Cell(p, "name")});
  }
  section("Parties", parties, o.parties.size(), "party");
  Table sessions({"ID", "DATE", "PLACE", "ATTENDEES"});
  for (std::size_t i = 0; i < shown(o.sessions); ++i) {
    const auto& s = o.sessions[i];
    sessions.Row(
        {ShortId(log::ToString(s.id)), Cell(s, "date"), Cell(s, "place"), Cell(s, "attendees")});
  }
  section("Sessions", sessions, o.sessions.size(), "session");
  Table commitments({"ID", "KIND", "STATUS", "PRINCIPLE", "BY", "AMOUNT", "DEADLINE", "TERMS"}, 48);
  for (std::size_t i = 0; i < shown(o.commitments); ++i) {
    const auto& c = o.commitments[i];
    auto by = party_names.find(c.get("by"));
    const std::string kind =
        Cell(c, "kind") + (model::IsCommitmentKind(c.get("kind")) ? "" : " (not in vocabulary)");
    commitments.Row({ShortId(log::ToString(c.id)), kind, Cell(c, "status"), Cell(c, "principle"),
                     by == party_names.end() ? "" : by->second, Cell(c, "amount"),
                     Cell(c, "deadline"), Cell(c, "text")});
  }
  section("Commitments", commitments, o.commitments.size(), "commitment");
  Table needs({"ID", "KIND", "TEXT"}, 70);
  for (std::size_t i = 0; i < shown(o.needs); ++i) {
    const auto& d = o.needs[i];
    needs.Row({ShortId(log::ToString(d.id)), Cell(d, "kind"), Cell(d, "text")});
  }
  section("Buyer's needs and constraints", needs, o.needs.size(), "need");
  Table notes({"ID", "RECORDED", "TEXT"}, 70);
  for (std::size_t i = o.notes.size() - shown(o.notes); i < o.notes.size(); ++i) {
    const auto& t = o.notes[i];
    notes.Row({ShortId(log::ToString(t.id)), FormatHlcTime(t.created_hlc), Cell(t, "text")});
  }
  section(o.notes.size() > kShownRows ? "Notes (the newest)" : "Notes", notes, o.notes.size(),
          "note");
  Table actions({"ID", "DATE", "KIND", "TEXT"}, 60);
  for (std::size_t i = 0; i < shown(o.actions); ++i) {
    const auto& a = o.actions[i];
    actions.Row({ShortId(log::ToString(a.id)), Cell(a, "date"), Cell(a, "kind"), Cell(a, "text")});
  }
  section("Campaign actions", actions, o.actions.size(), "campaign action");
  out += "\nBottom line: ";
  if (report.elements.empty()) {
    out += VerdictText(report.verdict) + "\n";
  } else {
    for (std::size_t i = 0; i < report.elements.size(); ++i) {
      const auto& e = report.elements[i];
      out += std::string(i ? "  " : "") + (e.covered ? "✔ " : "✘ ") + e.element;
    }
    out += "\n  " + std::string(report.meets ? "✔ " : "✘ ") + VerdictText(report.verdict) + "\n";
  }
  if (report.stall.stalled) out += "  ⚠ " + StallText() + "\n";
  if (report.campaign_warning != model::CampaignWarningCode::kNone) {
    out += "  ⚠ " + CampaignWarningText(report.campaign_warning) + "\n";
  }
  app.Print(out);
  return Status::Ok();
}

Status PartyAdd(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  model::PartyInput in{inv.Get("role"), inv.Get("name")};
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().AddParty(neg, in));
  return PrintAdded(app, "party", id, in.name + " (" + in.role + ")");
}

Status SessionAdd(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  model::SessionInput in{inv.Get("date"), inv.Get("place"), inv.Get("attendees")};
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().AddSession(neg, in));
  return PrintAdded(app, "session", id, in.date);
}

Status NeedAdd(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  model::NeedInput in;
  in.kind = inv.Has("constraint") ? "constraint" : inv.Get("kind", "need");
  in.text = inv.Get("text");
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().AddNeed(neg, in));
  return PrintAdded(app, "need", id, in.kind);
}

}  // namespace

void AddNegotiationCommands(std::vector<Command>& commands) {
  commands.push_back({{"negotiation", "add"},
                      "--buyer NAME [--title T]",
                      "start recording a negotiation with a Buyer",
                      {TextOption("buyer"), TextOption("title")},
                      0,
                      0,
                      &NegotiationAdd});
  commands.push_back({{"negotiation", "show"},
                      "ID",
                      "everything recorded about a negotiation",
                      {},
                      1,
                      1,
                      &NegotiationShow});
  commands.push_back({{"party", "add"},
                      "NEGOTIATION_ID --role worker_org|buyer|supplier|ally --name NAME",
                      "add a party to a negotiation",
                      {{"role", true}, TextOption("name")},
                      1,
                      1,
                      &PartyAdd});
  commands.push_back({{"session", "add"},
                      "NEGOTIATION_ID --date YYYY-MM-DD [--place P] [--attendees A]",
                      "record a negotiation session",
                      {{"date", true}, TextOption("place"), TextOption("attendees")},
                      1,
                      1,
                      &SessionAdd});
  commands.push_back({{"need", "add"},
                      "NEGOTIATION_ID --text T [--constraint | --kind need|constraint]",
                      "record a legitimate need or constraint the Buyer stated",
                      {TextOption("text"), {"kind", true}, {"constraint", false}},
                      1,
                      1,
                      &NeedAdd});
}

}  // namespace parley::cli
