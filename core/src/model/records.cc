// Records one by one: list with filters and paging, show, edit the given fields, delete
// (docs/model.md, "Records").
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "model/text_util.h"
#include "parley/core/model.h"

namespace parley::model {
namespace {

using internal::Invalid;
using internal::Joined;
using internal::Lower;
using internal::SplitList;

using Fields = std::vector<std::pair<std::string, std::string>>;

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool IsRecordType(std::string_view type) {
  const auto& types = RecordTypes();
  return std::find(types.begin(), types.end(), type) != types.end();
}

// "a note", "a bottomline_element", for messages.
std::string Article(std::string_view type) {
  const bool vowel =
      !type.empty() && std::string_view("aeiou").find(type[0]) != std::string_view::npos;
  return std::string(vowel ? "an " : "a ") + std::string(type);
}

// Whether any surviving version of `field` satisfies `pred`.
template <typename Pred>
bool AnyVersion(const log::Record& r, std::string_view field, Pred pred) {
  const log::Field* f = r.field(field);
  if (f == nullptr) return false;
  return std::any_of(f->values.begin(), f->values.end(),
                     [&](const log::Value& v) { return pred(v.data); });
}

// The field a kind filter reads for `type`, or "" when the type has none.
std::string_view KindField(std::string_view type) {
  if (type == kCommitment || type == kNeed || type == kCampaignAction) return "kind";
  if (type == kParty) return "role";
  if (type == kElement) return "element";
  return "";
}

std::string_view StatusField(std::string_view type) {
  if (type == kCommitment) return "status";
  if (type == kNegotiation) return "campaign_status";
  return "";
}

bool HasOwnDate(std::string_view type) { return type == kSession || type == kCampaignAction; }

// The dates a record is filtered by: every valid surviving version of its own date, or the
// day it was recorded.
std::vector<std::string> DatesOf(const log::Record& r) {
  std::vector<std::string> out;
  if (!HasOwnDate(r.type)) {
    out.push_back(FormatTimestamp(HlcUnixMs(r.created_hlc)).substr(0, 10));
    return out;
  }
  if (const log::Field* f = r.field("date")) {
    for (const auto& v : f->values) {
      if (ValidateDate(v.data).ok()) out.push_back(v.data);
    }
  }
  return out;
}

// The stored spelling of a value given in any accepted spelling (as Resolve stores it): a
// commitment kind in the brief's words, financial support forms with their minimums (a form
// given twice keeps its last minimum, in the place it was first given).
Result<std::string> Canonical(std::string_view type, std::string_view field,
                              std::string_view value) {
  if (type == kCommitment && field == "kind") return CanonicalCommitmentKind(value);
  if (type == kElement && field == "forms") {
    std::vector<FormRequirement> items;
    for (const auto& item : SplitList(value)) {
      PARLEY_ASSIGN_OR_RETURN(auto requirement, ParseFormRequirement(item));
      auto same = std::find_if(items.begin(), items.end(), [&](const FormRequirement& r) {
        return r.form == requirement.form;
      });
      if (same == items.end()) {
        items.push_back(std::move(requirement));
      } else {
        *same = std::move(requirement);
      }
    }
    std::string out;
    for (const auto& r : items) out += (out.empty() ? "" : ",") + FormatFormRequirement(r);
    return out;
  }
  if (type == kElement && field == "covered_by") {  // full ids, each once, in the order given
    PARLEY_ASSIGN_OR_RETURN(auto ids, ParseIdList(value));
    std::vector<RecordId> unique;
    for (const auto& id : ids) {
      if (std::find(unique.begin(), unique.end(), id) == unique.end()) unique.push_back(id);
    }
    return JoinIdList(unique);
  }
  return std::string(value);
}

}  // namespace

const std::vector<std::string_view>& EditableFields(std::string_view type) {
  static const std::map<std::string_view, std::vector<std::string_view>> kFields = {
      {kNegotiation, {"buyer", "title"}},
      {kParty, {"role", "name"}},
      {kSession, {"date", "place", "attendees"}},
      {kNote, {"text", "session"}},
      {kCommitment, {"kind", "text", "by", "amount", "deadline", "principle", "status"}},
      {kNeed, {"kind", "text"}},
      {kElement, {"element", "covered_by", "forms"}},
      {kCampaignAction, {"date", "kind", "text"}},
  };
  static const std::vector<std::string_view> kNone;
  auto it = kFields.find(type);
  return it == kFields.end() ? kNone : it->second;
}

std::string RecordDate(const log::Record& record) {
  if (!HasOwnDate(record.type)) return FormatTimestamp(HlcUnixMs(record.created_hlc)).substr(0, 10);
  std::string date = record.get("date");
  return ValidateDate(date).ok() ? date : std::string();
}

Result<ListedRecord> Model::Listed(log::Record record) {
  ListedRecord out;
  // The values written by the originating create share its clock: their author made it.
  for (const auto& f : record.fields) {
    for (const auto& v : f.values) {
      if (v.hlc == record.created_hlc && !v.author.empty()) {
        out.author = v.author;
        out.author_name = v.author_name;
        break;
      }
    }
    if (!out.author.empty()) break;
  }
  if (out.author.empty()) {  // every value of the creation superseded: ask the history
    PARLEY_ASSIGN_OR_RETURN(auto history, replica_.History(record.id));
    for (const auto& h : history) {
      if (h.op != "create") continue;
      out.author = h.author;
      out.author_name = h.author_name;
      break;
    }
  }
  out.record = std::move(record);
  return out;
}

Result<ListPage> Model::List(const ListQuery& q) {
  if (!IsRecordType(q.type)) {
    return Invalid("unknown record type '" + q.type +
                   "' (expected one of: " + Joined(RecordTypes()) + ")");
  }
  // The filters, checked before anything is read.
  const std::string_view kind_field = KindField(q.type);
  std::string kind = q.kind;
  if (!q.kind.empty()) {
    if (kind_field.empty()) return Invalid(Article(q.type) + " has no kind to filter by");
    if (q.type == kCommitment) {
      PARLEY_ASSIGN_OR_RETURN(kind, CanonicalCommitmentKind(q.kind));
    } else if (q.type == kCampaignAction) {
      kind = Lower(q.kind);
    } else {
      PARLEY_RETURN_IF_ERROR(ValidateField(q.type, kind_field, q.kind));
    }
  }
  const std::string_view status_field = StatusField(q.type);
  if (!q.status.empty()) {
    if (status_field.empty()) return Invalid(Article(q.type) + " has no status to filter by");
    PARLEY_RETURN_IF_ERROR(ValidateField(q.type, status_field, q.status));
  }
  if (!q.since.empty()) PARLEY_RETURN_IF_ERROR(ValidateDate(q.since));
  if (!q.until.empty()) PARLEY_RETURN_IF_ERROR(ValidateDate(q.until));
  if (!q.since.empty() && !q.until.empty() && q.since > q.until) {
    return Invalid("the date range is empty: " + q.since + " is after " + q.until);
  }
  const std::string author = Lower(q.author);
  const bool author_is_prefix = author.size() >= 4 && IsHex(author);

  // The records of the type, oldest first; a deleted record only when edited concurrently.
  std::vector<log::Record> records;
  if (q.negotiation) {
    PARLEY_ASSIGN_OR_RETURN(auto n, GetOfType(*q.negotiation, kNegotiation));
    if (q.type == kNegotiation) {
      records.push_back(std::move(n));
    } else {
      PARLEY_ASSIGN_OR_RETURN(records, Children(*q.negotiation, q.type));
    }
  } else {
    PARLEY_ASSIGN_OR_RETURN(records, replica_.List(q.type, /*include_deleted=*/true));
    records.erase(std::remove_if(
                      records.begin(), records.end(),
                      [](const log::Record& r) { return r.existence == log::Existence::kDeleted; }),
                  records.end());
    if (q.type != kNegotiation) {  // leave out the records of a deleted negotiation
      PARLEY_ASSIGN_OR_RETURN(auto negotiations,
                              replica_.List(kNegotiation, /*include_deleted=*/true));
      std::set<std::string> live;
      for (const auto& n : negotiations) {
        if (n.existence != log::Existence::kDeleted) live.insert(log::ToString(n.id));
      }
      records.erase(
          std::remove_if(records.begin(), records.end(),
                         [&](const log::Record& r) { return !live.count(r.get("negotiation")); }),
          records.end());
    }
  }
  if (HasOwnDate(q.type)) {
    std::stable_sort(
        records.begin(), records.end(),
        [](const log::Record& a, const log::Record& b) { return a.get("date") < b.get("date"); });
    if (q.type == kSession) PARLEY_RETURN_IF_ERROR(OrderSameDateSessions(records));
  }

  ListPage page;
  for (auto& r : records) {
    if (!kind.empty()) {
      const bool match = AnyVersion(r, kind_field, [&](const std::string& v) {
        return q.type == kCampaignAction ? Lower(v) == kind : v == kind;
      });
      if (!match) continue;
    }
    if (!q.status.empty() &&
        !AnyVersion(r, status_field, [&](const std::string& v) { return v == q.status; })) {
      continue;
    }
    if (!q.since.empty() || !q.until.empty()) {
      const auto dates = DatesOf(r);
      const bool in_range = std::any_of(dates.begin(), dates.end(), [&](const std::string& d) {
        return (q.since.empty() || d >= q.since) && (q.until.empty() || d <= q.until);
      });
      if (!in_range) continue;
    }
    const bool in_page =
        page.total >= q.offset && (q.limit == 0 || page.total - q.offset < q.limit);
    if (author.empty() && !in_page) {  // counted only: its author is not needed
      ++page.total;
      continue;
    }
    PARLEY_ASSIGN_OR_RETURN(ListedRecord listed, Listed(std::move(r)));
    if (!author.empty()) {
      const bool match = (author_is_prefix && listed.author.rfind(author, 0) == 0) ||
                         (!listed.author_name.empty() && Lower(listed.author_name) == author);
      if (!match) continue;
    }
    if (in_page) page.records.push_back(std::move(listed));
    ++page.total;
  }
  return page;
}

Result<RecordDetail> Model::Show(const RecordId& id, std::string_view type) {
  PARLEY_ASSIGN_OR_RETURN(auto record, GetOfType(id, type));
  RecordDetail detail;
  PARLEY_ASSIGN_OR_RETURN(detail.listed, Listed(std::move(record)));
  if (type == kCommitment) {
    PARLEY_ASSIGN_OR_RETURN(detail.status_history, StatusHistory(id));
  } else if (type == kNegotiation) {
    for (auto child : RecordTypes()) {
      if (child == kNegotiation) continue;
      PARLEY_ASSIGN_OR_RETURN(auto children, Children(id, child));
      detail.counts.emplace_back(std::string(child), children.size());
    }
  } else if (type == kSession) {
    const std::string neg = detail.listed.record.get("negotiation");
    auto n = log::ParseRecordId(neg);
    std::size_t notes = 0;
    if (n.ok()) {
      PARLEY_ASSIGN_OR_RETURN(auto all, Children(*n, kNote));
      const std::string hex = log::ToString(id);
      for (const auto& note : all) {
        if (AnyVersion(note, "session", [&](const std::string& v) { return v == hex; })) ++notes;
      }
    }
    detail.counts.emplace_back(std::string(kNote), notes);
  }
  return detail;
}

Result<std::string> Model::CheckReference(std::string_view type, std::string_view field,
                                          std::string_view value, const std::string& negotiation) {
  std::string_view target;
  if (type == kNote && field == "session") target = kSession;
  if (type == kCommitment && field == "by") target = kParty;
  if (type == kElement && field == "covered_by") target = kCommitment;
  if (target.empty() || value.empty()) return std::string(value);
  PARLEY_ASSIGN_OR_RETURN(auto ids, ParseIdList(value));
  for (const auto& ref : ids) {
    PARLEY_ASSIGN_OR_RETURN(auto r, GetOfType(ref, target));
    if (r.get("negotiation") != negotiation) {
      return Invalid(std::string(target) + " " + log::ToString(ref) +
                     " belongs to another negotiation");
    }
  }
  return std::string(value);
}

Result<std::vector<std::string>> Model::Edit(const RecordId& id, std::string_view type,
                                             const Fields& fields) {
  PARLEY_ASSIGN_OR_RETURN(auto r, GetOfType(id, type));
  if (fields.empty()) return Invalid("nothing to edit: give at least one field");
  const auto& editable = EditableFields(type);
  Fields stored;
  for (const auto& field : fields) {
    const std::string& name = field.first;  // clang before 16 cannot capture a structured binding
    const std::string& value = field.second;
    if (std::find(editable.begin(), editable.end(), name) == editable.end()) {
      return Invalid("field '" + name + "' of " + Article(type) +
                     " cannot be edited (editable: " + Joined(editable) + ")");
    }
    if (std::any_of(stored.begin(), stored.end(), [&](const auto& s) { return s.first == name; })) {
      return Invalid("field '" + name + "' is given twice");
    }
    PARLEY_ASSIGN_OR_RETURN(std::string canonical, Canonical(type, name, value));
    PARLEY_RETURN_IF_ERROR(ValidateField(type, name, canonical));
    PARLEY_ASSIGN_OR_RETURN(canonical, CheckReference(type, name, canonical, r.get("negotiation")));
    stored.emplace_back(name, std::move(canonical));
  }
  auto given = [&](std::string_view name) -> const std::string* {
    for (const auto& [n, v] : stored) {
      if (n == name) return &v;
    }
    return nullptr;
  };
  if (type == kElement) {
    const std::string* element = given("element");
    const std::string* forms = given("forms");
    const std::string final_element = element ? *element : r.get("element");
    const bool has_forms =
        forms ? !forms->empty()
              : AnyVersion(r, "forms", [](const std::string& v) { return !v.empty(); });
    if (element && *element != r.get("element")) {
      PARLEY_ASSIGN_OR_RETURN(auto negotiation, log::ParseRecordId(r.get("negotiation")));
      PARLEY_ASSIGN_OR_RETURN(auto others, Children(negotiation, kElement));
      for (const auto& other : others) {
        if (other.id != id && other.get("element") == *element) {
          return Error(Domain::kModel, Code::kAlreadyExists,
                       "the negotiation already requires " + *element + " (element " +
                           log::ToString(other.id) + ")");
        }
      }
    }
    if (has_forms && final_element != "financial_support") {
      return Invalid("financial support forms apply only to the financial_support element");
    }
  }
  std::vector<std::string> changed;
  for (const auto& [name, value] : stored) {
    const log::Field* f = r.field(name);
    const bool same = f == nullptr ? value.empty() : (!f->conflicted() && f->newest() == value);
    if (!same) changed.push_back(name);
  }
  if (changed.empty()) return changed;
  PARLEY_ASSIGN_OR_RETURN(auto txn, replica_.Begin());
  for (const auto& name : changed) PARLEY_RETURN_IF_ERROR(txn->Set(id, name, *given(name)));
  PARLEY_RETURN_IF_ERROR(txn->Commit().status());
  return changed;
}

Result<std::size_t> Model::Delete(const RecordId& id, std::string_view type) {
  PARLEY_RETURN_IF_ERROR(GetOfType(id, type).status());
  std::vector<RecordId> doomed = {id};
  if (type == kNegotiation) {
    for (auto child : RecordTypes()) {
      if (child == kNegotiation) continue;
      PARLEY_ASSIGN_OR_RETURN(auto children, Children(id, child));
      for (const auto& c : children) doomed.push_back(c.id);
    }
  }
  PARLEY_ASSIGN_OR_RETURN(auto txn, replica_.Begin());
  for (const auto& d : doomed) PARLEY_RETURN_IF_ERROR(txn->Delete(d));
  PARLEY_RETURN_IF_ERROR(txn->Commit().status());
  return doomed.size();
}

}  // namespace parley::model
