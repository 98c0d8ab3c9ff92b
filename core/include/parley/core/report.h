// Negotiation reports: what the office coordinator prints or hands on (docs/cli.md,
// "Reports"): the bottom line with each requirement's verdict, the commitments with their
// status history, the stall and campaign signals, and the Buyer's needs.
//
// Two steps, both in the library so that a phone app exports the same report as the
// command line: Build reads a negotiation through the Model into a NegotiationReport (data);
// Render writes reports as CSV, HTML or Markdown (English wording, every user-typed value
// escaped for the format). Render is pure; Build reads the store.
//
// Ownership: Build borrows the Model for the call; a NegotiationReport owns its data.
// Thread safety: Build on the Model's thread; Render on any.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parley/core/model.h"

namespace parley::report {

using log::RecordId;

struct CommitmentEntry {
  RecordId id{};
  std::string kind;         // as stored (newest surviving version)
  bool kind_known = true;   // kind is in model::CommitmentKinds(); older records may hold free text
  std::string status;       // newest surviving version
  std::string principle;    // firm | flexible
  std::string amount;       // as stored, empty when none
  std::string deadline;     // YYYY-MM-DD, empty when none
  std::string text;         // the terms
  std::string by;           // the proposing party's name, empty when none
  bool conflicted = false;  // some field has several surviving versions
  std::vector<model::StatusChange> history;  // every status written, in the order written
};

struct NeedEntry {
  RecordId id{};
  std::string kind;  // need | constraint
  std::string text;
};

struct ActionEntry {
  RecordId id{};
  std::string date, kind, text;
};

struct NegotiationReport {
  RecordId id{};
  std::string buyer, title, campaign_status, created;
  model::BottomLineReport bottom_line;
  std::vector<CommitmentEntry> commitments;  // oldest first
  std::vector<NeedEntry> needs;              // oldest first
  std::vector<ActionEntry> actions;          // by date
  std::string generated;                     // timestamp of Build (the device clock)
};

// Reads everything the report shows about `negotiation`. Code::kNotFound (Domain::kModel)
// for an unknown negotiation; store errors as the Model returns them.
Result<NegotiationReport> Build(model::Model& model, Clock& clock, const RecordId& negotiation);

enum class Format { kCsv, kHtml, kMarkdown };
// "csv", "html", "md" (also "markdown"). Code::kInvalidArgument (Domain::kModel) otherwise.
Result<Format> ParseFormat(std::string_view name);

// One document holding every report, in order (HTML: one printed page, or more, per
// negotiation). Formats in docs/cli.md, "Reports".
std::string Render(Format format, const std::vector<NegotiationReport>& reports);
std::string RenderCsv(const std::vector<NegotiationReport>& reports);
std::string RenderHtml(const std::vector<NegotiationReport>& reports);
std::string RenderMarkdown(const std::vector<NegotiationReport>& reports);

// The CSV header, in column order.
const std::vector<std::string_view>& CsvColumns();

// The English wording the renderers use (a phone app in another language words the codes
// itself).
std::string_view VerdictSentence(model::Verdict verdict);
std::string_view RequirementSentence(model::RequirementVerdict verdict);
std::string_view CampaignWarningSentence(model::CampaignWarningCode warning);  // empty for kNone
std::string_view StallSentence();

}  // namespace parley::report
