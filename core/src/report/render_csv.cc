// The report as CSV (RFC 4180): one header, one row per fact (docs/cli.md, "Reports").
#include <string>

#include "parley/core/report.h"

namespace parley::report {
namespace {

// Quotes a cell when it holds a comma, a quote or a line break; a cell a spreadsheet would
// run as a formula (it starts with =, +, -, @, a tab or a carriage return) is prefixed
// with an apostrophe, so opening the file runs nothing.
std::string Cell(std::string_view value) {
  std::string v(value);
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    v.insert(0, 1, '\'');
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

struct Row {
  std::string section, record, item, status, value, date, party, text, related, flags;
};

std::string Ids(const std::string& role, const std::vector<RecordId>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : " ") + role + ":" + log::ToString(id);
  return out;
}

std::string Joined(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

void Write(std::string& out, const NegotiationReport& r, const Row& row) {
  const std::string cells[] = {log::ToString(r.id), r.buyer,   row.section, row.record, row.item,
                               row.status,          row.value, row.date,    row.party,  row.text,
                               row.related,         row.flags};
  bool first = true;
  for (const auto& c : cells) {
    if (!first) out += ',';
    first = false;
    out += Cell(c);
  }
  out += "\r\n";
}

}  // namespace

const std::vector<std::string_view>& CsvColumns() {
  static const std::vector<std::string_view> v{"negotiation", "buyer",  "section", "record",
                                               "item",        "status", "value",   "date",
                                               "party",       "text",   "related", "flags"};
  return v;
}

std::string RenderCsv(const std::vector<NegotiationReport>& reports) {
  std::string out;
  for (std::size_t i = 0; i < CsvColumns().size(); ++i)
    out += (i ? "," : "") + std::string(CsvColumns()[i]);
  out += "\r\n";
  for (const auto& r : reports) {
    const auto& b = r.bottom_line;
    Write(out, r,
          {"negotiation", log::ToString(r.id), r.title, r.campaign_status, "", r.created, "", "",
           "", ""});
    Write(out, r,
          {"verdict", "", "bottom_line", std::string(model::VerdictName(b.verdict)), "", "", "",
           std::string(VerdictSentence(b.verdict)), "", ""});
    for (const auto& e : b.elements) {
      Write(out, r,
            {"element", log::ToString(e.id), e.element, e.covered ? "covered" : "not_covered", "",
             "", "", "", Joined({Ids("covered_by", e.covering), Ids("linked", e.linked)}, " "),
             e.conflicted ? "conflicted" : ""});
      for (const auto& q : e.requirements) {
        Write(out, r,
              {"requirement", log::ToString(e.id), q.form,
               std::string(model::RequirementVerdictName(q.verdict)), q.minimum, "", "",
               std::string(RequirementSentence(q.verdict)),
               Joined({Ids("met_by", q.meeting), Ids("short_of", q.short_of),
                       Ids("pending", q.pending)},
                      " "),
               ""});
      }
    }
    for (const auto& c : r.commitments) {
      std::vector<std::string> flags{c.principle};
      if (!c.kind_known) flags.push_back("kind_not_in_vocabulary");
      if (c.conflicted) flags.push_back("conflicted");
      Write(out, r,
            {"commitment", log::ToString(c.id), c.kind, c.status, c.amount, c.deadline, c.by,
             c.text, "", Joined(flags, ";")});
      for (const auto& h : c.history) {
        Write(out, r,
              {"status_change", log::ToString(c.id), c.kind, h.status, "",
               model::FormatTimestamp(model::HlcUnixMs(h.hlc)), h.author_name, "", "",
               h.live ? "live" : "superseded"});
      }
    }
    Write(out, r,
          {"stall", "", "stall", b.stall.stalled ? "stalled" : "not_stalled",
           std::to_string(b.stall.sessions), b.stall.since, "",
           b.stall.stalled ? std::string(StallSentence()) : "", Joined(b.stall.elements, " "), ""});
    Write(out, r,
          {"campaign", "", r.campaign_status,
           std::string(model::CampaignWarningName(b.campaign_warning)), "", "", "",
           std::string(CampaignWarningSentence(b.campaign_warning)), "", ""});
    for (const auto& a : r.actions) {
      Write(out, r,
            {"campaign_action", log::ToString(a.id), a.kind, "", "", a.date, "", a.text, "", ""});
    }
    for (const auto& n : r.needs)
      Write(out, r, {"need", log::ToString(n.id), n.kind, "", "", "", "", n.text, "", ""});
  }
  return out;
}

}  // namespace parley::report
