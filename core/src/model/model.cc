// Recording and reading negotiation records: validation, then one change per call.
#include <algorithm>
#include <cctype>
#include <utility>

#include "model/text_util.h"
#include "parley/core/model.h"

namespace parley::model {
namespace {

using internal::Invalid;
using internal::Lower;
using internal::SplitList;

using Fields = std::vector<std::pair<std::string, std::string>>;

Status NotFound(std::string message) {
  return Error(Domain::kModel, Code::kNotFound, std::move(message));
}
Status ValidateAll(std::string_view type, const Fields& fields) {
  for (const auto& [name, value] : fields) PARLEY_RETURN_IF_ERROR(ValidateField(type, name, value));
  return Status::Ok();
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ',';
    out += i;
  }
  return out;
}

// The stored spelling of a value given in any accepted spelling: a commitment kind in the
// brief's words, financial support forms with their minimums. Other values are unchanged.
Result<std::string> StoredSpelling(std::string_view type, std::string_view field,
                                   std::string_view value) {
  if (type == kCommitment && field == "kind") return CanonicalCommitmentKind(value);
  if (type == kElement && field == "forms") {
    std::vector<std::string> items;
    for (const auto& item : SplitList(value)) {
      PARLEY_ASSIGN_OR_RETURN(auto requirement, ParseFormRequirement(item));
      items.push_back(FormatFormRequirement(requirement));
    }
    return JoinList(items);
  }
  return std::string(value);
}

// Adds `item` (a stored requirement) to `items`: a form already required gets the new
// minimum when one is given, and keeps its own otherwise. True when `items` changed.
bool AddRequirement(std::vector<std::string>& items, const FormRequirement& item) {
  const std::string text = FormatFormRequirement(item);
  if (std::find(items.begin(), items.end(), text) != items.end()) return false;
  auto same_form = [&](const std::string& existing) {
    auto parsed = ParseFormRequirement(existing);
    return parsed.ok() && parsed->form == item.form;
  };
  if (item.minimum.empty()) {
    if (std::any_of(items.begin(), items.end(), same_form)) return false;
    items.push_back(text);
    return true;
  }
  auto first = std::find_if(items.begin(), items.end(), same_form);
  if (first == items.end()) {
    items.push_back(text);
    return true;
  }
  *first = text;  // in place, so the order of the requirements stays
  items.erase(std::remove_if(std::next(first), items.end(), same_form), items.end());
  return true;
}

}  // namespace

Result<RecordId> Model::CreateRecord(std::string_view type, const Fields& fields) {
  PARLEY_RETURN_IF_ERROR(ValidateAll(type, fields));
  PARLEY_ASSIGN_OR_RETURN(auto txn, replica_.Begin());
  PARLEY_ASSIGN_OR_RETURN(RecordId id, txn->Create(type));
  for (const auto& [name, value] : fields) {
    if (value.empty()) continue;  // an absent optional field is not written
    PARLEY_RETURN_IF_ERROR(txn->Set(id, name, value));
  }
  PARLEY_RETURN_IF_ERROR(txn->Commit().status());
  return id;
}

Result<std::vector<RecordId>> Model::CreateRecords(std::span<const NewRecord> records) {
  if (records.empty()) return Invalid("no records to create");
  for (const NewRecord& r : records) PARLEY_RETURN_IF_ERROR(ValidateAll(r.type, r.fields));
  PARLEY_ASSIGN_OR_RETURN(auto txn, replica_.Begin());
  std::vector<RecordId> ids;
  ids.reserve(records.size());
  for (const NewRecord& r : records) {
    PARLEY_ASSIGN_OR_RETURN(RecordId id, txn->Create(r.type));
    for (const auto& [name, value] : r.fields) {
      if (value.empty()) continue;  // an absent optional field is not written
      PARLEY_RETURN_IF_ERROR(txn->Set(id, name, value));
    }
    ids.push_back(id);
  }
  PARLEY_RETURN_IF_ERROR(txn->Commit().status());
  return ids;
}

Result<log::Record> Model::Load(const RecordId& id) {
  PARLEY_ASSIGN_OR_RETURN(auto record, replica_.Get(id));
  if (!record || record->existence == log::Existence::kDeleted) {
    return NotFound("no record with id " + log::ToString(id));
  }
  return std::move(*record);
}

Result<log::Record> Model::GetOfType(const RecordId& id, std::string_view type) {
  auto record = Load(id);
  if (!record.ok() || record->type != type) {
    if (!record.ok() && record.status().code() != Code::kNotFound) return record.status();
    return NotFound("unknown " + std::string(type) + " id " + log::ToString(id));
  }
  return record;
}

Result<std::vector<log::Record>> Model::Negotiations() { return replica_.List(kNegotiation); }

Result<std::vector<log::Record>> Model::Children(const RecordId& negotiation,
                                                 std::string_view type) {
  return replica_.Find(type, "negotiation", log::ToString(negotiation));
}

Result<RecordId> Model::AddNegotiation(const NegotiationInput& in) {
  return CreateRecord(kNegotiation, {{"buyer", in.buyer},
                                     {"title", in.title},
                                     {"campaign_status", "active"},
                                     {"created", FormatTimestamp(clock_.NowUnixMs())}});
}

Result<RecordId> Model::AddParty(const RecordId& negotiation, const PartyInput& in) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  return CreateRecord(
      kParty, {{"negotiation", log::ToString(negotiation)}, {"role", in.role}, {"name", in.name}});
}

Result<RecordId> Model::AddSession(const RecordId& negotiation, const SessionInput& in) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  return CreateRecord(kSession, {{"negotiation", log::ToString(negotiation)},
                                 {"date", in.date},
                                 {"place", in.place},
                                 {"attendees", in.attendees}});
}

Result<RecordId> Model::AddNote(const RecordId& negotiation, const NoteInput& in) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  std::string session;
  if (in.session) {
    PARLEY_ASSIGN_OR_RETURN(auto s, GetOfType(*in.session, kSession));
    if (s.get("negotiation") != log::ToString(negotiation)) {
      return Invalid("session " + log::ToString(*in.session) + " belongs to another negotiation");
    }
    session = log::ToString(*in.session);
  }
  return CreateRecord(
      kNote,
      {{"negotiation", log::ToString(negotiation)}, {"session", session}, {"text", in.text}});
}

Result<RecordId> Model::AddCommitment(const RecordId& negotiation, const CommitmentInput& in) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  std::string by;
  if (in.by) {
    PARLEY_ASSIGN_OR_RETURN(auto party, GetOfType(*in.by, kParty));
    if (party.get("negotiation") != log::ToString(negotiation)) {
      return Invalid("party " + log::ToString(*in.by) + " belongs to another negotiation");
    }
    by = log::ToString(*in.by);
  }
  PARLEY_ASSIGN_OR_RETURN(std::string kind, CanonicalCommitmentKind(in.kind));
  return CreateRecord(kCommitment, {{"negotiation", log::ToString(negotiation)},
                                    {"kind", kind},
                                    {"text", in.text},
                                    {"by", by},
                                    {"amount", in.amount},
                                    {"deadline", in.deadline},
                                    {"principle", in.principle},
                                    {"status", in.status}});
}

Status Model::SetCommitmentStatus(const RecordId& commitment, std::string_view status) {
  PARLEY_RETURN_IF_ERROR(GetOfType(commitment, kCommitment).status());
  return Resolve(commitment, "status", status);
}

Result<RecordId> Model::AddNeed(const RecordId& negotiation, const NeedInput& in) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  return CreateRecord(
      kNeed, {{"negotiation", log::ToString(negotiation)}, {"kind", in.kind}, {"text", in.text}});
}

Result<RecordId> Model::RequireElement(const RecordId& negotiation, const ElementInput& in) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  PARLEY_RETURN_IF_ERROR(ValidateElement(in.element));
  if (!in.forms.empty() && in.element != "financial_support") {
    return Invalid("financial support forms apply only to the financial_support element");
  }
  std::vector<FormRequirement> requirements;
  for (const auto& form : in.forms) {
    PARLEY_ASSIGN_OR_RETURN(auto requirement, ParseFormRequirement(form));
    requirements.push_back(std::move(requirement));
  }
  for (const auto& c : in.covered_by) {
    PARLEY_ASSIGN_OR_RETURN(auto commitment, GetOfType(c, kCommitment));
    if (commitment.get("negotiation") != log::ToString(negotiation)) {
      return Invalid("commitment " + log::ToString(c) + " belongs to another negotiation");
    }
  }
  PARLEY_ASSIGN_OR_RETURN(auto elements, Children(negotiation, kElement));
  const log::Record* existing = nullptr;
  for (const auto& e : elements) {
    if (e.get("element") == in.element) existing = &e;
  }
  if (existing == nullptr) {
    std::vector<std::string> forms;
    for (const auto& requirement : requirements) AddRequirement(forms, requirement);
    return CreateRecord(kElement, {{"negotiation", log::ToString(negotiation)},
                                   {"element", in.element},
                                   {"covered_by", JoinIdList(in.covered_by)},
                                   {"forms", JoinList(forms)}});
  }
  // Add to what this device sees now (every surviving version, so a conflict is merged).
  std::vector<RecordId> links;
  std::vector<std::string> forms;
  if (const auto* f = existing->field("covered_by")) {
    for (const auto& v : f->values) {
      PARLEY_ASSIGN_OR_RETURN(auto ids, ParseIdList(v.data));
      for (const auto& id : ids) {
        if (std::find(links.begin(), links.end(), id) == links.end()) links.push_back(id);
      }
    }
  }
  if (const auto* f = existing->field("forms")) {
    for (const auto& v : f->values) {
      for (auto& form : SplitList(v.data)) {
        if (std::find(forms.begin(), forms.end(), form) == forms.end()) forms.push_back(form);
      }
    }
  }
  bool links_changed = false, forms_changed = false;
  for (const auto& id : in.covered_by) {
    if (std::find(links.begin(), links.end(), id) == links.end()) {
      links.push_back(id);
      links_changed = true;
    }
  }
  for (const auto& requirement : requirements)
    forms_changed = AddRequirement(forms, requirement) || forms_changed;
  const auto* cf = existing->field("covered_by");
  const auto* ff = existing->field("forms");
  links_changed = links_changed || (cf && cf->conflicted());
  forms_changed = forms_changed || (ff && ff->conflicted());
  if (!links_changed && !forms_changed) return existing->id;
  PARLEY_ASSIGN_OR_RETURN(auto txn, replica_.Begin());
  if (links_changed)
    PARLEY_RETURN_IF_ERROR(txn->Set(existing->id, "covered_by", JoinIdList(links)));
  if (forms_changed) PARLEY_RETURN_IF_ERROR(txn->Set(existing->id, "forms", JoinList(forms)));
  PARLEY_RETURN_IF_ERROR(txn->Commit().status());
  return existing->id;
}

Result<RecordId> Model::AddCampaignAction(const RecordId& negotiation,
                                          const CampaignActionInput& in) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  return CreateRecord(kCampaignAction, {{"negotiation", log::ToString(negotiation)},
                                        {"date", in.date},
                                        {"kind", in.kind},
                                        {"text", in.text}});
}

Result<CampaignWarningCode> Model::SetCampaignStatus(const RecordId& negotiation,
                                                     std::string_view status) {
  PARLEY_RETURN_IF_ERROR(GetOfType(negotiation, kNegotiation).status());
  PARLEY_RETURN_IF_ERROR(Resolve(negotiation, "campaign_status", status));
  return CampaignWarning(negotiation);
}

Status Model::Resolve(const RecordId& record, std::string_view field, std::string_view value) {
  PARLEY_ASSIGN_OR_RETURN(auto r, Load(record));
  PARLEY_ASSIGN_OR_RETURN(const std::string stored, StoredSpelling(r.type, field, value));
  PARLEY_RETURN_IF_ERROR(ValidateField(r.type, field, stored));
  if (field == "negotiation" && r.get("negotiation") != value) {
    return Invalid("a record cannot be moved to another negotiation");
  }
  PARLEY_ASSIGN_OR_RETURN(auto txn, replica_.Begin());
  PARLEY_RETURN_IF_ERROR(txn->Set(record, field, stored));
  return txn->Commit().status();
}

Status Model::ResolvePick(const RecordId& record, std::string_view field, std::size_t version) {
  PARLEY_ASSIGN_OR_RETURN(auto r, Load(record));
  const log::Field* f = r.field(field);
  if (f == nullptr) {
    const auto& fields = FieldsOf(r.type);
    if (std::find(fields.begin(), fields.end(), field) == fields.end()) {
      return ValidateField(r.type, field, "");  // names the type's fields
    }
    return Invalid("the " + std::string(field) + " of this " + r.type + " has no value to pick");
  }
  if (version < 1 || version > f->values.size()) {
    return Invalid("the " + std::string(field) + " of this " + r.type + " has " +
                   std::to_string(f->values.size()) +
                   (f->values.size() == 1 ? " version" : " versions") + ": pick 1 to " +
                   std::to_string(f->values.size()));
  }
  return Resolve(record, field, f->values[version - 1].data);
}

Result<std::vector<TypeCount>> Model::RecordCounts() {
  std::vector<TypeCount> out;
  for (auto type : RecordTypes()) {
    PARLEY_ASSIGN_OR_RETURN(auto records, replica_.List(type));
    out.push_back({std::string(type), records.size()});
  }
  return out;
}

Result<NegotiationOverview> Model::Overview(const RecordId& negotiation) {
  PARLEY_ASSIGN_OR_RETURN(auto n, GetOfType(negotiation, kNegotiation));
  return OverviewOf(std::move(n));
}

Result<NegotiationOverview> Model::OverviewOf(log::Record negotiation) {
  NegotiationOverview o;
  const RecordId id = negotiation.id;
  o.negotiation = std::move(negotiation);
  PARLEY_ASSIGN_OR_RETURN(o.parties, Children(id, kParty));
  PARLEY_ASSIGN_OR_RETURN(o.sessions, Children(id, kSession));
  PARLEY_ASSIGN_OR_RETURN(o.notes, Children(id, kNote));
  PARLEY_ASSIGN_OR_RETURN(o.commitments, Children(id, kCommitment));
  PARLEY_ASSIGN_OR_RETURN(o.needs, Children(id, kNeed));
  PARLEY_ASSIGN_OR_RETURN(o.elements, Children(id, kElement));
  PARLEY_ASSIGN_OR_RETURN(o.actions, Children(id, kCampaignAction));
  auto by_clock = [](const log::Record& a, const log::Record& b) {
    return a.created_hlc < b.created_hlc;
  };
  for (auto* list : {&o.parties, &o.notes, &o.commitments, &o.needs, &o.elements, &o.actions}) {
    std::stable_sort(list->begin(), list->end(), by_clock);
  }
  std::stable_sort(o.sessions.begin(), o.sessions.end(),
                   [](const log::Record& a, const log::Record& b) {
                     std::string da = a.get("date"), db = b.get("date");
                     return da != db ? da < db : a.created_hlc < b.created_hlc;
                   });
  PARLEY_RETURN_IF_ERROR(OrderSameDateSessions(o.sessions));
  std::stable_sort(
      o.actions.begin(), o.actions.end(),
      [](const log::Record& a, const log::Record& b) { return a.get("date") < b.get("date"); });
  return o;
}

Result<RecordId> Model::FindParty(const RecordId& negotiation, std::string_view key) {
  PARLEY_ASSIGN_OR_RETURN(auto parties, Children(negotiation, kParty));
  const std::string neg = log::ToString(negotiation);
  const std::string lower_key = Lower(key);
  std::vector<RecordId> by_prefix, by_name;
  for (const auto& p : parties) {
    if (p.existence == log::Existence::kDeleted) continue;
    if (lower_key.size() >= 4 && log::ToString(p.id).rfind(lower_key, 0) == 0)
      by_prefix.push_back(p.id);
    if (Lower(p.get("name")) == lower_key) by_name.push_back(p.id);
  }
  if (by_prefix.size() == 1) return by_prefix[0];
  if (by_prefix.empty() && by_name.size() == 1) return by_name[0];
  if (by_prefix.size() > 1 || by_name.size() > 1) {
    return Invalid("ambiguous party '" + std::string(key) + "': give more of its id");
  }
  return NotFound("unknown party '" + std::string(key) + "' in negotiation " + neg);
}

Result<std::vector<StatusChange>> Model::StatusHistory(const RecordId& commitment) {
  PARLEY_RETURN_IF_ERROR(GetOfType(commitment, kCommitment).status());
  PARLEY_ASSIGN_OR_RETURN(auto history, replica_.History(commitment));
  std::vector<StatusChange> out;
  for (const auto& h : history) {
    if (h.op != "set" || h.field != "status") continue;
    out.push_back({h.value, h.hlc, h.author, h.author_name, h.live});
  }
  return out;
}

}  // namespace parley::model
