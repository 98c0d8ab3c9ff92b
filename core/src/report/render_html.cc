// The report as one self-contained, printable HTML document: no script, no external
// resource of any kind (the Content-Security-Policy forbids loading any, the style is
// inline), every value HTML-escaped, one printed page (or more) per negotiation.
#include <string>

#include "parley/core/report.h"

namespace parley::report {
namespace {

std::string H(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr std::string_view kStyle = R"(
body { font: 10.5pt/1.35 system-ui, sans-serif; color: #111; margin: 1.5em; }
h1 { font-size: 15pt; margin: 0 0 .2em; }
h2 { font-size: 11.5pt; margin: 1.1em 0 .3em; border-bottom: 1px solid #999; }
.meta { color: #444; margin: 0 0 .8em; }
.verdict { font-weight: bold; padding: .35em .6em; border: 2px solid #111; display: inline-block; }
.verdict.meets { border-color: #176117; }
.verdict.walk_away, .warn { color: #8a1111; }
table { border-collapse: collapse; width: 100%; margin: .3em 0; }
th, td { border: 1px solid #bbb; padding: .2em .4em; text-align: left; vertical-align: top; }
th { background: #eee; }
tr.requirement td:first-child { padding-left: 1.6em; }
td.ok { color: #176117; } td.no { color: #8a1111; }
code { font: 9pt ui-monospace, monospace; }
ol.history { margin: .2em 0; padding-left: 1.4em; }
section.negotiation { break-after: page; page-break-after: always; }
section.negotiation:last-of-type { break-after: auto; page-break-after: auto; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; font-size: 9.5pt; }
  table, tr, li { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)";

std::string Short(const RecordId& id) {
  return "<code>" + log::ToString(id).substr(0, 8) + "</code>";
}

std::string Ids(const std::vector<RecordId>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + Short(id);
  return out;
}

std::string Td(const std::string& html, std::string_view cls = {}) {
  return cls.empty() ? "<td>" + html + "</td>"
                     : "<td class=\"" + std::string(cls) + "\">" + html + "</td>";
}

std::string Th(std::initializer_list<std::string_view> names) {
  std::string out = "<tr>";
  for (auto n : names) out += "<th>" + std::string(n) + "</th>";
  return out + "</tr>\n";
}

void One(std::string& out, const NegotiationReport& r) {
  const auto& b = r.bottom_line;
  out += "<section class=\"negotiation\">\n<h1>Bottom line — " + H(r.buyer) +
         (r.title.empty() ? "" : ": " + H(r.title)) + "</h1>\n";
  out += "<p class=\"meta\">Negotiation " + Short(r.id) + " · campaign " + H(r.campaign_status) +
         " · started " + H(r.created) + " · report of " + H(r.generated) + "</p>\n";
  out += "<p class=\"verdict " + std::string(model::VerdictName(b.verdict)) + "\">" +
         (b.meets ? "✔ " : "✘ ") + H(VerdictSentence(b.verdict)) + "</p>\n";
  if (!b.elements.empty()) {
    out += "<h2>Bottom line</h2>\n<table>\n" +
           Th({"Element / requirement", "Minimum", "Verdict", "Commitments"});
    for (const auto& e : b.elements) {
      out += "<tr class=\"element\">" +
             Td("<strong>" + H(e.element) + "</strong>" + (e.conflicted ? " ⚠ conflict" : "")) +
             Td("") + Td(e.covered ? "✔ covered" : "✘ not covered", e.covered ? "ok" : "no") +
             Td(Ids(e.covering.empty() ? e.linked : e.covering)) + "</tr>\n";
      for (const auto& q : e.requirements) {
        const bool met = q.verdict == model::RequirementVerdict::kMet;
        std::string who = Ids(met ? q.meeting : q.short_of);
        if (!q.pending.empty())
          who += (who.empty() ? "" : "; ") + std::string("pending: ") + Ids(q.pending);
        out += "<tr class=\"requirement\">" + Td(H(q.form)) + Td(H(q.minimum)) +
               Td(std::string(met ? "✔ " : "✘ ") + H(RequirementSentence(q.verdict)),
                  met ? "ok" : "no") +
               Td(who) + "</tr>\n";
      }
    }
    out += "</table>\n";
  }
  out += "<h2>Power</h2>\n<ul>\n";
  if (b.stall.stalled) {
    std::string elements;
    for (const auto& e : b.stall.elements) elements += (elements.empty() ? "" : ", ") + e;
    out += "<li class=\"warn\">⚠ " + H(StallSentence()) + " No movement on " + H(elements) +
           " since " + H(b.stall.since) + " (" + std::to_string(b.stall.sessions) +
           " sessions).</li>\n";
  } else {
    out += "<li>No stall: " + std::to_string(b.stall.sessions) + " sessions recorded.</li>\n";
  }
  out += "<li>Campaign: " + H(r.campaign_status) + ".</li>\n";
  if (b.campaign_warning != model::CampaignWarningCode::kNone) {
    out += "<li class=\"warn\">⚠ " + H(CampaignWarningSentence(b.campaign_warning)) + "</li>\n";
  }
  out += "</ul>\n";
  if (!r.commitments.empty()) {
    out += "<h2>Commitments</h2>\n<table>\n" + Th({"Id", "Kind", "Status", "Principle", "Amount",
                                                   "Deadline", "By", "Terms", "Status history"});
    for (const auto& c : r.commitments) {
      std::string history = "<ol class=\"history\">";
      for (const auto& h : c.history) {
        history += "<li>" + H(h.status) + " · " +
                   H(model::FormatTimestamp(model::HlcUnixMs(h.hlc))) + " · " + H(h.author_name) +
                   (h.live ? "" : " · superseded") + "</li>";
      }
      history += "</ol>";
      out += "<tr>" + Td(Short(c.id)) +
             Td(H(c.kind) + (c.kind_known ? "" : " <em>(not in the vocabulary)</em>")) +
             Td(H(c.status) + (c.conflicted ? " ⚠ conflict" : "")) + Td(H(c.principle)) +
             Td(H(c.amount)) + Td(H(c.deadline)) + Td(H(c.by)) + Td(H(c.text)) + Td(history) +
             "</tr>\n";
    }
    out += "</table>\n";
  }
  if (!r.needs.empty()) {
    out += "<h2>Buyer's needs and constraints</h2>\n<table>\n" + Th({"Kind", "Text"});
    for (const auto& n : r.needs) out += "<tr>" + Td(H(n.kind)) + Td(H(n.text)) + "</tr>\n";
    out += "</table>\n";
  }
  if (!r.actions.empty()) {
    out += "<h2>Campaign actions</h2>\n<table>\n" + Th({"Date", "Kind", "Text"});
    for (const auto& a : r.actions)
      out += "<tr>" + Td(H(a.date)) + Td(H(a.kind)) + Td(H(a.text)) + "</tr>\n";
    out += "</table>\n";
  }
  out += "</section>\n";
}

}  // namespace

std::string RenderHtml(const std::vector<NegotiationReport>& reports) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>";
  std::string title = "Parley report";
  if (reports.size() == 1) title += " — " + reports[0].buyer;
  out += H(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  for (const auto& r : reports) One(out, r);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace parley::report
