// The report as Markdown (CommonMark with GitHub tables): every user-typed value escaped so
// it shows as typed and can neither break a table nor inject HTML or links.
#include <string>

#include "parley/core/report.h"

namespace parley::report {
namespace {

std::string Md(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\r':
        break;
      case '\n':
        out += "<br>";
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '#':
      case '!':
      case '~':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Short(const RecordId& id) { return "`" + log::ToString(id).substr(0, 8) + "`"; }

std::string Ids(const std::vector<RecordId>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + Short(id);
  return out;
}

std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string Header(const std::vector<std::string>& names) {
  std::string out = Row(names) + "|";
  for (std::size_t i = 0; i < names.size(); ++i) out += " --- |";
  return out + "\n";
}

void One(std::string& out, const NegotiationReport& r) {
  const auto& b = r.bottom_line;
  out += "# Bottom line — " + Md(r.buyer) + (r.title.empty() ? "" : ": " + Md(r.title)) + "\n\n";
  out += "Negotiation " + Short(r.id) + " · campaign " + Md(r.campaign_status) + " · started " +
         Md(r.created) + " · report of " + Md(r.generated) + "\n\n";
  out += std::string("**") + (b.meets ? "✔ " : "✘ ") + std::string(VerdictSentence(b.verdict)) +
         "**\n\n";
  if (!b.elements.empty()) {
    out += "## Bottom line\n\n" +
           Header({"Element", "Covered", "Requirement", "Minimum", "Verdict", "Commitments"});
    for (const auto& e : b.elements) {
      const std::string name = Md(e.element) + (e.conflicted ? " ⚠ conflict" : "");
      out += Row({name, e.covered ? "✔" : "✘", "", "", "",
                  Ids(e.covering.empty() ? e.linked : e.covering)});
      for (const auto& q : e.requirements) {
        std::string who = Ids(q.meeting.empty() ? q.short_of : q.meeting);
        if (!q.pending.empty())
          who += (who.empty() ? "" : "; ") + std::string("pending: ") + Ids(q.pending);
        out += Row({"", "", Md(q.form), Md(q.minimum),
                    std::string(q.verdict == model::RequirementVerdict::kMet ? "✔ " : "✘ ") +
                        std::string(RequirementSentence(q.verdict)),
                    who});
      }
    }
    out += "\n";
  }
  out += "## Power\n\n";
  if (b.stall.stalled) {
    out += "- ⚠ " + std::string(StallSentence()) + " No movement on " + Md([&] {
             std::string s;
             for (const auto& e : b.stall.elements) s += (s.empty() ? "" : ", ") + e;
             return s;
           }()) +
           " since " + Md(b.stall.since) + " (" + std::to_string(b.stall.sessions) +
           " sessions).\n";
  } else {
    out += "- No stall: " + std::to_string(b.stall.sessions) + " sessions recorded.\n";
  }
  out += "- Campaign: " + Md(r.campaign_status) + ".";
  if (b.campaign_warning != model::CampaignWarningCode::kNone) {
    out += " ⚠ " + std::string(CampaignWarningSentence(b.campaign_warning));
  }
  out += "\n\n";
  if (!r.commitments.empty()) {
    out += "## Commitments\n\n" +
           Header({"Id", "Kind", "Status", "Principle", "Amount", "Deadline", "By", "Terms"});
    for (const auto& c : r.commitments) {
      out += Row({Short(c.id), Md(c.kind) + (c.kind_known ? "" : " (not in the vocabulary)"),
                  Md(c.status) + (c.conflicted ? " ⚠ conflict" : ""), Md(c.principle), Md(c.amount),
                  Md(c.deadline), Md(c.by), Md(c.text)});
    }
    out += "\n### Status history\n\n";
    for (const auto& c : r.commitments) {
      out += "- " + Short(c.id) + " " + Md(c.kind) + ":";
      for (std::size_t i = 0; i < c.history.size(); ++i) {
        const auto& h = c.history[i];
        out += std::string(i ? " →" : "") + " " + Md(h.status) + " (" +
               model::FormatTimestamp(model::HlcUnixMs(h.hlc)) + ", " + Md(h.author_name) +
               (h.live ? "" : ", superseded") + ")";
      }
      out += "\n";
    }
    out += "\n";
  }
  if (!r.needs.empty()) {
    out += "## Buyer's needs and constraints\n\n" + Header({"Kind", "Text"});
    for (const auto& n : r.needs) out += Row({Md(n.kind), Md(n.text)});
    out += "\n";
  }
  if (!r.actions.empty()) {
    out += "## Campaign actions\n\n" + Header({"Date", "Kind", "Text"});
    for (const auto& a : r.actions) out += Row({Md(a.date), Md(a.kind), Md(a.text)});
    out += "\n";
  }
}

}  // namespace

std::string RenderMarkdown(const std::vector<NegotiationReport>& reports) {
  std::string out;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (i) out += "---\n\n";
    One(out, reports[i]);
  }
  return out;
}

}  // namespace parley::report
