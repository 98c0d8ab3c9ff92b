// The negotiation model: typed records over a Replica, and the queries that help a team
// follow the WSR negotiating brief (know your bottom line, have enough power, keep a
// professional record). See docs/model.md for every record type, field and rule.
//
// Every value is a string in the Replica; this layer fixes the formats and validates them
// before anything is written:
//   dates        ISO-8601 calendar dates, "2025-03-14"
//   timestamps   ISO-8601 UTC, "2025-03-14T09:30:00Z" (the "created" field)
//   amounts      money values (money.h): an amount in a currency, optionally per unit
//                ("250000 USD", "0.01 USD/lb"), a percentage ("5 %") or a duration ("3 years")
//   references   32 lowercase hex characters (a record id); lists of references are
//                comma-separated
// A write that fails validation returns Code::kInvalidArgument (or Code::kNotFound for a
// reference to a record that does not exist or has another type) in Domain::kModel, with a
// one-line message that names the field and the allowed values; nothing is written.
//
// Every mutating call commits exactly one change (one Replica transaction).
//
// Query results are data, never sentences: verdicts and warnings are codes (Verdict,
// CampaignWarningCode) with stable names for JSON; the wording belongs to the interface
// that shows them. Error messages (Status) stay one English line.
//
// Ownership: a Model borrows the Replica and the Clock; both must outlive it.
// Thread safety: one thread at a time, like the Replica.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parley/core/money.h"
#include "parley/core/replica.h"
#include "parley/platform/env.h"
#include "parley/platform/status.h"

namespace parley::model {

using log::RecordId;

// ---- Record types, as stored ----
inline constexpr std::string_view kNegotiation = "negotiation";
inline constexpr std::string_view kParty = "party";
inline constexpr std::string_view kSession = "session";
inline constexpr std::string_view kNote = "note";
inline constexpr std::string_view kCommitment = "commitment";
inline constexpr std::string_view kNeed = "need";
inline constexpr std::string_view kElement = "bottomline_element";
inline constexpr std::string_view kCampaignAction = "campaign_action";
// Every record type above, in that order.
const std::vector<std::string_view>& RecordTypes();
// The fields a record of `type` has, in a fixed order (docs/model.md); empty for an unknown
// type. ValidateField accepts exactly these.
const std::vector<std::string_view>& FieldsOf(std::string_view type);
// A short human label for a record: its title or buyer, name, date and place, element or
// text (the first of them it has), whole; "" when it has none of them.
std::string RecordLabel(const log::Record& record);

// ---- Vocabularies ----
// Each list is in a fixed, documented order (docs/model.md).
const std::vector<std::string_view>& CampaignStatuses();  // active paused ended won
const std::vector<std::string_view>&
CommitmentStatuses();  // proposed countered agreed signed withdrawn rejected
const std::vector<std::string_view>& PartyRoles();        // worker_org buyer supplier ally
const std::vector<std::string_view>& NeedKinds();         // need constraint
const std::vector<std::string_view>& Principles();        // firm flexible
const std::vector<std::string_view>& StandardElements();  // the five required elements of the brief
const std::vector<std::string_view>&
FinancialSupportForms();  // price_premium ... facility_improvements
// The commitment kinds: the six financial support forms, then enforceable_obligations,
// market_consequences, independent_monitoring, worker_gains (docs/model.md).
const std::vector<std::string_view>& CommitmentKinds();
bool IsCommitmentKind(std::string_view kind);
// The commitment kind that `text` names: a kind as listed, or the brief's wording of it in
// any case, with spaces, hyphens or underscores ("direct payments for work-facility
// improvements" is facility_improvements, "licensing fee" is licensing_fees).
// Code::kInvalidArgument naming every valid kind, and the nearest one for a likely typo.
Result<std::string> CanonicalCommitmentKind(std::string_view text);
// The same over FinancialSupportForms() only.
Result<std::string> CanonicalFinancialForm(std::string_view text);
// Custom bottom-line elements are spelled "custom:<name>", name in [a-z0-9_-], 1..64 chars.
inline constexpr std::string_view kCustomElementPrefix = "custom:";

// ---- Formats ----
Status ValidateDate(std::string_view date);  // YYYY-MM-DD, a real calendar day
Status ValidateAmount(
    std::string_view amount);  // ParseValue (money.h): amount, percentage or duration
// One required form of financial support, with an optional minimum (docs/model.md
// "bottomline_element"): "price_premium" or "price_premium>=0.05 USD/lb".
struct FormRequirement {
  std::string form;     // a FinancialSupportForms() name
  std::string minimum;  // the canonical value text (FormatValue), empty for none
};
// Reads "FORM" or "FORM>=VALUE" (spaces around ">=" allowed; FORM as CanonicalFinancialForm
// reads it, VALUE as ParseValue). Code::kInvalidArgument otherwise.
Result<FormRequirement> ParseFormRequirement(std::string_view text);
// "price_premium>=0.05 USD/lb", as stored in the `forms` field.
std::string FormatFormRequirement(const FormRequirement& requirement);
Status ValidateElement(std::string_view element);
// Validates `value` for `field` of a record of `type` (vocabularies and formats; references
// are checked for shape only). Code::kInvalidArgument for an unknown type or field.
Status ValidateField(std::string_view type, std::string_view field, std::string_view value);
// "2025-03-14T09:30:00Z" for Unix milliseconds.
std::string FormatTimestamp(std::int64_t unix_ms);
// The wall-clock milliseconds of a hybrid logical clock value (ms << 16 | counter).
inline std::int64_t HlcUnixMs(std::uint64_t hlc) { return static_cast<std::int64_t>(hlc >> 16); }

// ---- Inputs ----
struct NegotiationInput {
  std::string buyer;  // required, non-empty
  std::string title;
};
struct PartyInput {
  std::string role;  // PartyRoles()
  std::string name;  // required
};
struct SessionInput {
  std::string date;  // required, ValidateDate
  std::string place;
  std::string attendees;  // free text, e.g. "Ana (CIW), J. Smith (Buyer)"
};
struct NoteInput {
  std::optional<RecordId> session;  // a session of the same negotiation
  std::string text;                 // required
};
struct CommitmentInput {
  std::string kind;  // required, CanonicalCommitmentKind: "price_premium", "worker_gains", ...
  std::string text;  // required: the terms
  std::optional<RecordId> by;          // the party that proposed it (same negotiation)
  std::string amount;                  // optional, ValidateAmount: "0.05 USD/lb", "5 %", "3 years"
  std::string deadline;                // optional, ValidateDate
  std::string principle = "flexible";  // Principles()
  std::string status = "proposed";     // CommitmentStatuses()
};
struct NeedInput {
  std::string kind = "need";  // NeedKinds()
  std::string text;           // required
};
struct ElementInput {
  std::string element;               // ValidateElement
  std::vector<RecordId> covered_by;  // commitments of the same negotiation
  // Required forms, ParseFormRequirement: "licensing_fees", "price_premium>=0.05 USD/lb";
  // only for financial_support.
  std::vector<std::string> forms;
};
struct CampaignActionInput {
  std::string date;  // required, ValidateDate
  std::string kind;  // required, free text: "protest", "delegation", "boycott", ...
  std::string text;
};

// A record to create with Model::CreateRecords: its type and its fields in the stored
// spelling (as the Add* calls store them; absent optional fields empty or left out).
struct NewRecord {
  std::string type;
  std::vector<std::pair<std::string, std::string>> fields;
};

// ---- Views ----
// Everything recorded about one negotiation. Sessions are ordered by date, sessions of the
// same date in the order they were recorded (causal order of their creations,
// Replica::CausalOrder); every other list oldest first by clock.
struct NegotiationOverview {
  log::Record negotiation;
  std::vector<log::Record> parties, sessions, notes, commitments, needs, elements, actions;
};

// How one required form of financial support stands (docs/model.md, "Requirements").
enum class RequirementVerdict {
  kMet,            // an agreed or signed commitment of the form, at or above the minimum
  kBelowMinimum,   // agreed or signed commitments of the form, all below the minimum
  kNotComparable,  // agreed or signed ones, none below it, but some in another currency, unit or
                   // kind of value, or without an amount: the minimum cannot be checked
  kPending,        // no agreed or signed one: only proposed or countered ones (see `pending`)
  kMissing,        // no commitment of the form (or only withdrawn or rejected ones)
};
// "met", "below_minimum", "not_comparable", "pending", "missing": stable, for JSON.
std::string_view RequirementVerdictName(RequirementVerdict verdict);

struct RequirementStatus {
  std::string form;     // "price_premium"; the stored text when it names no form
  std::string minimum;  // canonical value text, empty for none
  RequirementVerdict verdict = RequirementVerdict::kMissing;
  std::vector<RecordId> meeting;   // agreed or signed commitments of the form meeting the minimum
  std::vector<RecordId> short_of;  // agreed or signed ones that do not (below it or not comparable)
  std::vector<RecordId> pending;   // proposed or countered commitments of the form
};

// One required element of the bottom line.
struct ElementStatus {
  RecordId id{};
  std::string element;             // "worker_gains", "custom:no_retaliation", ...
  std::vector<std::string> forms;  // the `forms` items as stored: "price_premium>=0.05 USD/lb"
  // One per required form (every surviving version of `forms`), in the order required. When
  // not empty, the element is covered exactly when every requirement is kMet.
  std::vector<RequirementStatus> requirements;
  std::vector<RecordId> linked;    // commitments linked to it (every version of covered_by)
  std::vector<RecordId> covering;  // linked commitments that are agreed or signed (with
                                   // requirements: the commitments meeting them)
  bool covered = false;
  bool conflicted = false;  // its links or forms, or a linked commitment's status, are in conflict
};

inline constexpr std::size_t kStallSessions = 3;

// Stalled: not enough power yet, keep campaigning (docs/model.md). Counted in sessions and
// in the order changes were made, never by clocks: an element moved when a linked
// commitment was created or changed status after (or concurrently with) the recording of
// the kStallSessions-th most recent session.
struct StallSignal {
  bool stalled = false;
  std::size_t sessions = 0;           // sessions recorded
  std::string since;                  // date of the kStallSessions-th most recent session
  std::vector<std::string> elements;  // uncovered elements without movement since its recording
};

// What the bottom-line report concludes.
enum class Verdict {
  kNoBottomLine,  // no element required yet: require them before negotiating
  kMeets,         // every required element is covered
  kWalkAway,      // some element is not covered: be ready to walk away
};
// "no_bottom_line", "meets", "walk_away": stable, for JSON and logs.
std::string_view VerdictName(Verdict verdict);

// The campaign is stopping (campaign_status "ended" or "paused") before an agreement is
// signed; the campaign must not end before one is.
enum class CampaignWarningCode {
  kNone,
  kEndedWithoutAgreement,
  kPausedWithoutAgreement,
};
// "none", "ended_without_agreement", "paused_without_agreement": stable, for JSON and logs.
std::string_view CampaignWarningName(CampaignWarningCode warning);

struct BottomLineReport {
  RecordId negotiation{};
  std::vector<ElementStatus> elements;  // in the order they were required
  bool meets = false;                   // at least one element required, and every one covered
  Verdict verdict = Verdict::kNoBottomLine;
  StallSignal stall;
  CampaignWarningCode campaign_warning = CampaignWarningCode::kNone;
};

// One change of a commitment's status (StatusHistory lists them in the order they were
// made, Replica::History).
struct StatusChange {
  std::string status;
  std::uint64_t hlc = 0;
  std::string author;
  std::string author_name;
  bool live = false;
};

// ---- Search (Model::Search; docs/model.md, "Search") ----
struct SearchOptions {
  std::optional<RecordId> negotiation;  // only this negotiation and its records; all when empty
  std::size_t limit = 20;               // 1 to log::kMaxTextHits
  std::size_t offset = 0;               // hits skipped first (paging), at most log::kMaxTextOffset
};
// One field of one live record that holds every word searched.
struct SearchHit {
  RecordId record{};
  std::string type;                     // kNote, kCommitment, ...
  std::string field;                    // "text", "buyer", "name", ...
  std::optional<RecordId> negotiation;  // its negotiation (its own id for a negotiation)
  std::string snippet;  // the text around the words found, each marked [so]; "…" where cut
  double score = 0;     // bm25 relevance: lower is better; hits come best first
};

// ---- Listing, showing, editing and deleting records (docs/model.md, "Records") ----
// What Model::List looks for. Every filter that is set must match; a filter on a field
// matches when any surviving version of the field does (a conflicted field is found under
// each of its versions).
struct ListQuery {
  std::string type;                     // the record type: kNote, kCommitment, ... (required)
  std::optional<RecordId> negotiation;  // records of this negotiation (a negotiation: itself)
  // The record's kind: a commitment kind (any spelling CanonicalCommitmentKind reads), a need
  // kind, a campaign action's kind (case-insensitive), a party's role or a bottom-line
  // element's name. Code::kInvalidArgument for a type without one.
  std::string kind;
  // A commitment's status or a negotiation's campaign status; kInvalidArgument for another type.
  std::string status;
  // Inclusive YYYY-MM-DD bounds on the record's date (RecordDate): empty for none.
  std::string since;
  std::string until;
  // The device that recorded it: a prefix (4 or more hex characters) of its identity key, or
  // its name (case-insensitive).
  std::string author;
  std::size_t limit = 50;  // records returned at most; 0 for all
  std::size_t offset = 0;  // matching records skipped first
};

// A record and the device that recorded it (its originating create).
struct ListedRecord {
  log::Record record;
  std::string author;       // hex identity key; empty when the creation is not held here
  std::string author_name;  // the device's label, if known
};

struct ListPage {
  std::vector<ListedRecord> records;  // the page, in list order
  std::size_t total = 0;              // every matching record, before paging
};

// Everything about one record (Model::Show).
struct RecordDetail {
  ListedRecord listed;  // the record with every surviving version of each field, and its author
  // For a commitment: every status it had, in the order set (StatusHistory).
  std::vector<StatusChange> status_history;
  // Live records under it, by type, in the order of RecordTypes(): for a negotiation every
  // child type (zero counts included); for a session its notes ("note"). Empty otherwise.
  std::vector<std::pair<std::string, std::size_t>> counts;
};

// The fields Model::Edit may set for `type`, in a fixed order (empty for an unknown type):
//   negotiation         buyer title
//   party               role name
//   session             date place attendees
//   note                text session
//   commitment          kind text by amount deadline principle status
//   need                kind text
//   bottomline_element  element covered_by forms
//   campaign_action     date kind text
const std::vector<std::string_view>& EditableFields(std::string_view type);
// The date List filters and orders a record by: a session's or a campaign action's `date`;
// for every other type the UTC day it was recorded (its creation clock). YYYY-MM-DD, or ""
// when a date field holds no valid date.
std::string RecordDate(const log::Record& record);

// How many live records of one type the replica holds.
struct TypeCount {
  std::string type;
  std::uint64_t count = 0;
};

class Model {
 public:
  Model(log::Replica& replica, Clock& clock) : replica_(replica), clock_(clock) {}

  // ---- Recording ----
  // The negotiation starts with campaign_status "active" and created = now.
  Result<RecordId> AddNegotiation(const NegotiationInput& in);
  Result<RecordId> AddParty(const RecordId& negotiation, const PartyInput& in);
  Result<RecordId> AddSession(const RecordId& negotiation, const SessionInput& in);
  Result<RecordId> AddNote(const RecordId& negotiation, const NoteInput& in);
  Result<RecordId> AddCommitment(const RecordId& negotiation, const CommitmentInput& in);
  Status SetCommitmentStatus(const RecordId& commitment, std::string_view status);
  Result<RecordId> AddNeed(const RecordId& negotiation, const NeedInput& in);
  // Requires an element of the bottom line. If the negotiation already requires it, the new
  // links and forms are added to the existing record (whose id is returned).
  Result<RecordId> RequireElement(const RecordId& negotiation, const ElementInput& in);
  Result<RecordId> AddCampaignAction(const RecordId& negotiation, const CampaignActionInput& in);
  // Sets the campaign status. Returns the campaign warning (see CampaignWarning): not kNone
  // when the new status is "ended" or "paused" and no agreement is signed; the status is set
  // anyway.
  Result<CampaignWarningCode> SetCampaignStatus(const RecordId& negotiation,
                                                std::string_view status);
  // ---- Batches (docs/model.md, "Batches") ----
  // Creates every record of `records` in one change (one Replica transaction) and returns
  // their ids in order. Each field is validated (ValidateField); references are checked for
  // shape only: the caller checks that they exist (import.h does). Code::kInvalidArgument
  // for an empty list or an invalid field; on any failure nothing is written.
  Result<std::vector<RecordId>> CreateRecords(std::span<const NewRecord> records);
  // Resolves a field (conflicted or not) to `value`, validated for the record's type;
  // supersedes every surviving version.
  Status Resolve(const RecordId& record, std::string_view field, std::string_view value);
  // Resolves a field to its `version`th surviving version (1 = the first), numbered as
  // Conflicts() lists them (by clock). Code::kInvalidArgument naming the valid range when
  // there is no such version, or naming the type's fields (FieldsOf) for an unknown field.
  Status ResolvePick(const RecordId& record, std::string_view field, std::size_t version);

  // ---- Reading ----
  // The live record `id` of type `type`. Code::kNotFound ("no <type> with id ...") when it
  // does not exist, is deleted, or has another type.
  Result<log::Record> GetOfType(const RecordId& id, std::string_view type);
  Result<std::vector<log::Record>> Negotiations();
  Result<NegotiationOverview> Overview(const RecordId& negotiation);
  // A party of the negotiation by id prefix or by name (case-insensitive, unique).
  Result<RecordId> FindParty(const RecordId& negotiation, std::string_view id_prefix_or_name);
  // A record id from a unique hex prefix (at least 4 characters) or a full id
  // (Replica::ResolvePrefix): Code::kNotFound, or kInvalidArgument for an ambiguous prefix.
  Result<RecordId> ResolvePrefix(std::string_view prefix) { return replica_.ResolvePrefix(prefix); }

  // ---- Queries (exact rules in docs/model.md) ----
  Result<BottomLineReport> BottomLine(const RecordId& negotiation);
  Result<StallSignal> Stall(const RecordId& negotiation);
  // The warning when the campaign status is "ended" or "paused" and no commitment of the
  // negotiation is signed; kNone otherwise.
  Result<CampaignWarningCode> CampaignWarning(const RecordId& negotiation);
  Result<std::vector<log::HistoryEntry>> History(const RecordId& id) {
    return replica_.History(id);
  }
  Result<std::vector<StatusChange>> StatusHistory(const RecordId& commitment);
  Result<std::vector<log::Conflict>> Conflicts() { return replica_.Conflicts(); }
  // Live records per type, for every type of RecordTypes() (zero counts included), in order.
  Result<std::vector<TypeCount>> RecordCounts();
  // Full-text search over every free-text field of the live records (docs/model.md,
  // "Search"). `query` is words, never a query language: letters and digits, case and
  // diacritics ignored; every word must appear in the field, the last one as a prefix.
  // Deleted and purged records and overwritten values are not found; both versions of a
  // conflicted field are. Code::kInvalidArgument (Domain::kModel) for a query with no word,
  // more than log::kMaxSearchWords words or log::kMaxSearchBytes bytes, not UTF-8, or a
  // limit or offset out of range; Code::kNotFound for an unknown negotiation. The hits are
  // the caller's; nothing is written.
  Result<std::vector<SearchHit>> Search(std::string_view query, const SearchOptions& options = {});

  // ---- Records one by one (records.cc; docs/model.md, "Records") ----
  // The live records of one type that match `query`, and how many match before paging.
  // Order, stable across calls: sessions and campaign actions by date, the same date in the
  // order they were recorded; every other type in the order recorded (creation clock, then
  // id). Records whose negotiation is deleted are left out, as are deleted records (one
  // deleted on one device and edited concurrently on another stays, see log::Existence).
  // Code::kInvalidArgument for an unknown type, a filter the type has not, a bad date or
  // kind; Code::kNotFound for an unknown negotiation. Reads every record of the type once
  // (values are sealed, so filters run on the opened records); nothing is written.
  Result<ListPage> List(const ListQuery& query);
  // The record `id` of `type` with everything about it. Code::kNotFound as GetOfType.
  Result<RecordDetail> Show(const RecordId& id, std::string_view type);
  // Sets the given fields (name, value) of record `id` of `type`, and only those, in one
  // change. Each value is validated as Resolve validates it and stored in its canonical
  // spelling; references must name live records of the same negotiation (a note's session,
  // a commitment's `by` party, an element's covered_by commitments); an optional field set
  // to "" is cleared. A bottom-line element cannot be renamed to an element the negotiation
  // already requires, and only financial_support has forms. A field whose value is already
  // the given one (and not in conflict) is not written. Like every write, a field set here
  // supersedes the versions this device holds: an edit made concurrently on another device
  // stays a conflict until resolved. Returns the fields written (empty: nothing changed, no
  // change committed). Code::kInvalidArgument for no fields, a field given twice, a field
  // not in EditableFields(type) (the message lists them) or a bad value; Code::kNotFound
  // as GetOfType or for a reference to no live record of the right type. Nothing is
  // written on failure.
  Result<std::vector<std::string>> Edit(
      const RecordId& id, std::string_view type,
      const std::vector<std::pair<std::string, std::string>>& fields);
  // Deletes (tombstones, Transaction::Delete) record `id` of `type`; a negotiation goes with
  // every live record of it, in the same change. The record leaves lists, overviews,
  // reports and search; History still shows it, and a concurrent edit on another device
  // brings it back as "deleted with concurrent edits" (a conflict). Returns how many
  // records were deleted. Code::kNotFound as GetOfType.
  Result<std::size_t> Delete(const RecordId& id, std::string_view type);

 private:
  Result<log::Record> Load(const RecordId& id);
  Result<std::vector<log::Record>> Children(const RecordId& negotiation, std::string_view type);
  Result<NegotiationOverview> OverviewOf(log::Record negotiation);
  Result<StallSignal> StallOf(const NegotiationOverview& overview,
                              const std::vector<ElementStatus>& elements);
  Result<std::vector<ElementStatus>> Elements(const NegotiationOverview& overview);
  // causal.cc: the change that created record `id` (its originating create), if held.
  Result<std::optional<log::ChangeStamp>> CreationOf(const RecordId& id);
  // causal.cc: orders sessions of the same date (already sorted by date) by recording.
  Status OrderSameDateSessions(std::vector<log::Record>& sessions);
  static CampaignWarningCode WarningOf(const NegotiationOverview& overview);
  // records.cc: who recorded `record` (its originating create).
  Result<ListedRecord> Listed(log::Record record);
  // records.cc: checks that `value` of reference field `field` names a live record of the
  // right type in `negotiation`; returns the full id text.
  Result<std::string> CheckReference(std::string_view type, std::string_view field,
                                     std::string_view value, const std::string& negotiation);
  // Creates a record of `type` with `fields` (pairs, already validated) in one change.
  Result<RecordId> CreateRecord(std::string_view type,
                                const std::vector<std::pair<std::string, std::string>>& fields);

  log::Replica& replica_;
  Clock& clock_;
};

// Splits a comma-separated list of record ids (empty items ignored).
Result<std::vector<RecordId>> ParseIdList(std::string_view list);
std::string JoinIdList(const std::vector<RecordId>& ids);

}  // namespace parley::model
