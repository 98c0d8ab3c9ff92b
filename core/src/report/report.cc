// Building a negotiation's report from the model, and the wording the renderers share.
#include <algorithm>

#include "parley/core/report.h"

namespace parley::report {
namespace {

bool Conflicted(const log::Record& record) {
  return std::any_of(record.fields.begin(), record.fields.end(),
                     [](const log::Field& field) { return field.conflicted(); });
}

}  // namespace

Result<NegotiationReport> Build(model::Model& model, Clock& clock, const RecordId& negotiation) {
  PARLEY_ASSIGN_OR_RETURN(auto o, model.Overview(negotiation));
  NegotiationReport r;
  r.id = negotiation;
  r.buyer = o.negotiation.get("buyer");
  r.title = o.negotiation.get("title");
  r.campaign_status = o.negotiation.get("campaign_status");
  r.created = o.negotiation.get("created");
  r.generated = model::FormatTimestamp(clock.NowUnixMs());
  PARLEY_ASSIGN_OR_RETURN(r.bottom_line, model.BottomLine(negotiation));
  for (const auto& c : o.commitments) {
    CommitmentEntry e;
    e.id = c.id;
    e.kind = c.get("kind");
    e.kind_known = model::IsCommitmentKind(e.kind);
    e.status = c.get("status");
    e.principle = c.get("principle");
    e.amount = c.get("amount");
    e.deadline = c.get("deadline");
    e.text = c.get("text");
    for (const auto& p : o.parties) {
      if (log::ToString(p.id) == c.get("by")) e.by = p.get("name");
    }
    e.conflicted = Conflicted(c);
    PARLEY_ASSIGN_OR_RETURN(e.history, model.StatusHistory(c.id));
    r.commitments.push_back(std::move(e));
  }
  for (const auto& n : o.needs) r.needs.push_back({n.id, n.get("kind"), n.get("text")});
  for (const auto& a : o.actions)
    r.actions.push_back({a.id, a.get("date"), a.get("kind"), a.get("text")});
  return r;
}

Result<Format> ParseFormat(std::string_view name) {
  if (name == "csv") return Format::kCsv;
  if (name == "html") return Format::kHtml;
  if (name == "md" || name == "markdown") return Format::kMarkdown;
  return Error(
      Domain::kModel, Code::kInvalidArgument,
      "unknown report format '" + std::string(name) + "' (expected one of: csv, html, md)");
}

std::string Render(Format format, const std::vector<NegotiationReport>& reports) {
  switch (format) {
    case Format::kCsv:
      return RenderCsv(reports);
    case Format::kHtml:
      return RenderHtml(reports);
    case Format::kMarkdown:
      return RenderMarkdown(reports);
  }
  return {};
}

std::string_view VerdictSentence(model::Verdict verdict) {
  switch (verdict) {
    case model::Verdict::kNoBottomLine:
      return "No bottom line fixed yet: require its elements before negotiating.";
    case model::Verdict::kMeets:
      return "Current terms meet the bottom line.";
    case model::Verdict::kWalkAway:
      return "Current terms do not meet the bottom line: be ready to walk away.";
  }
  return "";
}

std::string_view RequirementSentence(model::RequirementVerdict verdict) {
  switch (verdict) {
    case model::RequirementVerdict::kMet:
      return "met by an agreed or signed commitment";
    case model::RequirementVerdict::kBelowMinimum:
      return "agreed or signed, but below the minimum";
    case model::RequirementVerdict::kNotComparable:
      return "agreed or signed, but its amount cannot be compared with the minimum";
    case model::RequirementVerdict::kPending:
      return "only proposed or countered: not agreed yet";
    case model::RequirementVerdict::kMissing:
      return "no commitment of this form";
  }
  return "";
}

std::string_view CampaignWarningSentence(model::CampaignWarningCode warning) {
  switch (warning) {
    case model::CampaignWarningCode::kNone:
      return "";
    case model::CampaignWarningCode::kEndedWithoutAgreement:
      return "The campaign is ended but no agreement is signed: the campaign must not end before "
             "an agreement is "
             "signed.";
    case model::CampaignWarningCode::kPausedWithoutAgreement:
      return "The campaign is paused but no agreement is signed: the campaign must not end before "
             "an agreement is "
             "signed.";
  }
  return "";
}

std::string_view StallSentence() { return "Not enough power yet: keep campaigning."; }

}  // namespace parley::report
