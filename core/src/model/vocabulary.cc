// The model's vocabularies and value formats, and per-field validation.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>

#include "model/text_util.h"
#include "parley/core/model.h"
#include "parley/platform/edit_distance.h"

namespace parley::model {
namespace {

using internal::Invalid;
using internal::Joined;

bool Contains(const std::vector<std::string_view>& words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

Status OneOf(std::string_view what, const std::vector<std::string_view>& words,
             std::string_view v) {
  if (Contains(words, v)) return Status::Ok();
  return Invalid("unknown " + std::string(what) + " '" + std::string(v) +
                 "' (expected one of: " + Joined(words) + ")");
}

Status NonEmpty(std::string_view field, std::string_view v) {
  if (v.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Invalid(std::string(field) + " must not be empty");
  }
  return Status::Ok();
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status ValidateReference(std::string_view field, std::string_view v) {
  if (!log::ParseRecordId(v).ok())
    return Invalid(std::string(field) + " must be a record id (32 hex characters)");
  return Status::Ok();
}

// Every stored item must already be canonical ("price_premium>=0.05 USD/lb").
Status ValidateForms(std::string_view list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    if (!item.empty()) {
      PARLEY_ASSIGN_OR_RETURN(auto requirement, ParseFormRequirement(item));
      if (FormatFormRequirement(requirement) != item) {
        return Invalid("financial support form '" + std::string(item) +
                       "' is not in its stored spelling '" + FormatFormRequirement(requirement) +
                       "'");
      }
    }
    start = comma + 1;
  }
  return Status::Ok();
}

// Lower case, every run of characters other than letters and digits as one '_', none at
// either end: "Direct payments for work-facility improvements" ->
// "direct_payments_for_work_facility_improvements".
std::string Normalized(std::string_view text) {
  std::string out;
  bool gap = false;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (gap && !out.empty()) out += '_';
      gap = false;
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      gap = true;
    }
  }
  return out;
}

// The brief's wording (and near spellings) of each kind, normalized.
struct Alias {
  std::string_view alias;
  std::string_view kind;
};
constexpr Alias kAliases[] = {
    {"price_premiums", "price_premium"},
    {"premium", "price_premium"},
    {"a_price_premium", "price_premium"},
    {"higher_price", "higher_prices"},
    {"negotiated_higher_prices", "higher_prices"},
    {"negotiated_higher_price", "higher_prices"},
    {"long_term_order", "long_term_orders"},
    {"long_term_order_commitment", "long_term_orders"},
    {"long_term_order_commitments", "long_term_orders"},
    {"licensing_fee", "licensing_fees"},
    {"monitoring_support_payments", "monitoring_support"},
    {"support_payments_for_monitoring", "monitoring_support"},
    {"support_payment_for_monitoring", "monitoring_support"},
    {"facility_improvement", "facility_improvements"},
    {"work_facility_improvements", "facility_improvements"},
    {"direct_payments_for_work_facility_improvements", "facility_improvements"},
    {"direct_payment_for_work_facility_improvements", "facility_improvements"},
    {"enforceable_obligation", "enforceable_obligations"},
    {"enforceable_obligations_for_the_buyer", "enforceable_obligations"},
    {"market_consequence", "market_consequences"},
    {"market_consequences_for_suppliers", "market_consequences"},
    {"independent_inspections_and_monitoring", "independent_monitoring"},
    {"genuinely_independent_inspections_and_monitoring", "independent_monitoring"},
    {"independent_inspections", "independent_monitoring"},
    {"worker_gain", "worker_gains"},
    {"gains_for_workers", "worker_gains"},
    {"meaningful_gains_for_workers", "worker_gains"},
    {"outcomes_with_meaningful_gains_for_workers", "worker_gains"},
};

// The kind `text` names among `kinds` (by name or alias), or an error listing them and
// suggesting the nearest for a likely typo.
Result<std::string> Canonical(std::string_view what, const std::vector<std::string_view>& kinds,
                              std::string_view text) {
  const std::string key = Normalized(text);
  if (Contains(kinds, key)) return key;
  for (const auto& a : kAliases) {
    if (a.alias == key && Contains(kinds, a.kind)) return std::string(a.kind);
  }
  std::string_view nearest;
  std::size_t best = std::max<std::size_t>(2, key.size() / 5) + 1;
  auto consider = [&](std::string_view candidate, std::string_view kind) {
    const std::size_t d = EditDistance(key, candidate);
    if (d < best) {
      best = d;
      nearest = kind;
    }
  };
  for (auto k : kinds) consider(k, k);
  for (const auto& a : kAliases) {
    if (Contains(kinds, a.kind)) consider(a.alias, a.kind);
  }
  std::string message = "unknown " + std::string(what) + " '" + std::string(text) + "'";
  if (!nearest.empty()) message += ": did you mean '" + std::string(nearest) + "'?";
  return Invalid(message + " (expected one of: " + Joined(kinds) + ")");
}

std::string_view Trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace

const std::vector<std::string_view>& CampaignStatuses() {
  static const std::vector<std::string_view> v{"active", "paused", "ended", "won"};
  return v;
}
const std::vector<std::string_view>& CommitmentStatuses() {
  static const std::vector<std::string_view> v{"proposed", "countered", "agreed",
                                               "signed",   "withdrawn", "rejected"};
  return v;
}
const std::vector<std::string_view>& PartyRoles() {
  static const std::vector<std::string_view> v{"worker_org", "buyer", "supplier", "ally"};
  return v;
}
const std::vector<std::string_view>& NeedKinds() {
  static const std::vector<std::string_view> v{"need", "constraint"};
  return v;
}
const std::vector<std::string_view>& Principles() {
  static const std::vector<std::string_view> v{"firm", "flexible"};
  return v;
}
const std::vector<std::string_view>& StandardElements() {
  static const std::vector<std::string_view> v{"enforceable_obligations", "market_consequences",
                                               "independent_monitoring", "worker_gains",
                                               "financial_support"};
  return v;
}
const std::vector<std::string_view>& FinancialSupportForms() {
  static const std::vector<std::string_view> v{"price_premium",      "higher_prices",
                                               "long_term_orders",   "licensing_fees",
                                               "monitoring_support", "facility_improvements"};
  return v;
}

const std::vector<std::string_view>& CommitmentKinds() {
  static const std::vector<std::string_view> v{"price_premium",           "higher_prices",
                                               "long_term_orders",        "licensing_fees",
                                               "monitoring_support",      "facility_improvements",
                                               "enforceable_obligations", "market_consequences",
                                               "independent_monitoring",  "worker_gains"};
  return v;
}

bool IsCommitmentKind(std::string_view kind) { return Contains(CommitmentKinds(), kind); }

Result<std::string> CanonicalCommitmentKind(std::string_view text) {
  return Canonical("commitment kind", CommitmentKinds(), text);
}

Result<std::string> CanonicalFinancialForm(std::string_view text) {
  return Canonical("financial support form", FinancialSupportForms(), text);
}

Result<FormRequirement> ParseFormRequirement(std::string_view text) {
  FormRequirement r;
  std::string_view form = text, minimum;
  if (auto at = text.find(">="); at != std::string_view::npos) {
    form = text.substr(0, at);
    minimum = Trimmed(text.substr(at + 2));
    if (minimum.empty()) return Invalid("no minimum after '>=' in '" + std::string(text) + "'");
  }
  PARLEY_ASSIGN_OR_RETURN(r.form, CanonicalFinancialForm(Trimmed(form)));
  if (!minimum.empty()) {
    PARLEY_ASSIGN_OR_RETURN(auto value, ParseValue(minimum));
    r.minimum = FormatValue(value);
  }
  return r;
}

std::string FormatFormRequirement(const FormRequirement& requirement) {
  return requirement.minimum.empty() ? requirement.form
                                     : requirement.form + ">=" + requirement.minimum;
}

Status ValidateDate(std::string_view d) {
  auto bad = [&] { return Invalid("invalid date '" + std::string(d) + "' (expected YYYY-MM-DD)"); };
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return bad();
  if (!IsDigits(d.substr(0, 4)) || !IsDigits(d.substr(5, 2)) || !IsDigits(d.substr(8, 2)))
    return bad();
  int year = std::stoi(std::string(d.substr(0, 4)));
  int month = std::stoi(std::string(d.substr(5, 2)));
  int day = std::stoi(std::string(d.substr(8, 2)));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1900 || month < 1 || month > 12 || day < 1) return bad();
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day > max_day) return bad();
  return Status::Ok();
}

Status ValidateAmount(std::string_view a) {
  auto value = ParseValue(a);
  if (value.ok()) return Status::Ok();
  std::string message = value.status().message();
  static constexpr std::string_view kPrefix = "invalid value";
  if (message.rfind(kPrefix, 0) == 0) message.replace(0, kPrefix.size(), "invalid amount");
  return Invalid(std::move(message));
}

Status ValidateElement(std::string_view e) {
  if (Contains(StandardElements(), e)) return Status::Ok();
  if (e.substr(0, kCustomElementPrefix.size()) == kCustomElementPrefix) {
    std::string_view name = e.substr(kCustomElementPrefix.size());
    bool ok =
        !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
    if (ok) return Status::Ok();
  }
  return Invalid("unknown element '" + std::string(e) + "' (expected one of: " +
                 Joined(StandardElements()) + ", or custom:<name> with a-z, 0-9, _ or -)");
}

const std::vector<std::string_view>& RecordTypes() {
  static const std::vector<std::string_view> types = {
      kNegotiation, kParty, kSession, kNote, kCommitment, kNeed, kElement, kCampaignAction};
  return types;
}

const std::vector<std::string_view>& FieldsOf(std::string_view type) {
  static const std::vector<std::string_view> negotiation = {"buyer", "title", "campaign_status",
                                                            "created"};
  static const std::vector<std::string_view> party = {"negotiation", "role", "name"};
  static const std::vector<std::string_view> session = {"negotiation", "date", "place",
                                                        "attendees"};
  static const std::vector<std::string_view> note = {"negotiation", "session", "text"};
  static const std::vector<std::string_view> commitment = {
      "negotiation", "kind", "text", "by", "amount", "deadline", "status", "principle"};
  static const std::vector<std::string_view> need = {"negotiation", "kind", "text"};
  static const std::vector<std::string_view> element = {"negotiation", "element", "covered_by",
                                                        "forms"};
  static const std::vector<std::string_view> action = {"negotiation", "date", "kind", "text"};
  static const std::vector<std::string_view> none;
  if (type == kNegotiation) return negotiation;
  if (type == kParty) return party;
  if (type == kSession) return session;
  if (type == kNote) return note;
  if (type == kCommitment) return commitment;
  if (type == kNeed) return need;
  if (type == kElement) return element;
  if (type == kCampaignAction) return action;
  return none;
}

std::string RecordLabel(const log::Record& record) {
  if (record.type == kNegotiation) {
    const std::string title = record.get("title");
    return title.empty() ? record.get("buyer") : title;
  }
  if (record.type == kParty) return record.get("name");
  if (record.type == kSession) {
    const std::string place = record.get("place");
    return record.get("date") + (place.empty() ? "" : " " + place);
  }
  if (record.type == kElement) return record.get("element");
  return record.get("text");
}

Status ValidateField(std::string_view type, std::string_view field, std::string_view v) {
  auto unknown = [&] {
    return Invalid("unknown field '" + std::string(field) + "' for a " + std::string(type) +
                   " (its fields: " + Joined(FieldsOf(type)) + ")");
  };
  if (type == kNegotiation) {
    if (field == "buyer") return NonEmpty("buyer", v);
    if (field == "title") return Status::Ok();
    if (field == "campaign_status") return OneOf("campaign status", CampaignStatuses(), v);
    if (field == "created") return NonEmpty("created", v);
    return unknown();
  }
  if (field == "negotiation") return ValidateReference(field, v);
  if (type == kParty) {
    if (field == "role") return OneOf("party role", PartyRoles(), v);
    if (field == "name") return NonEmpty("name", v);
    return unknown();
  }
  if (type == kSession) {
    if (field == "date") return ValidateDate(v);
    if (field == "place" || field == "attendees") return Status::Ok();
    return unknown();
  }
  if (type == kNote) {
    if (field == "session") return v.empty() ? Status::Ok() : ValidateReference(field, v);
    if (field == "text") return NonEmpty("text", v);
    return unknown();
  }
  if (type == kCommitment) {
    if (field == "kind") {
      if (IsCommitmentKind(v)) return Status::Ok();
      return CanonicalCommitmentKind(v).ok()
                 ? Invalid("commitment kind '" + std::string(v) + "' must be written '" +
                           *CanonicalCommitmentKind(v) + "'")
                 : CanonicalCommitmentKind(v).status();
    }
    if (field == "text") return NonEmpty("text", v);
    if (field == "by") return v.empty() ? Status::Ok() : ValidateReference(field, v);
    if (field == "amount") return v.empty() ? Status::Ok() : ValidateAmount(v);
    if (field == "deadline") return v.empty() ? Status::Ok() : ValidateDate(v);
    if (field == "status") return OneOf("commitment status", CommitmentStatuses(), v);
    if (field == "principle") return OneOf("principle", Principles(), v);
    return unknown();
  }
  if (type == kNeed) {
    if (field == "kind") return OneOf("need kind", NeedKinds(), v);
    if (field == "text") return NonEmpty("text", v);
    return unknown();
  }
  if (type == kElement) {
    if (field == "element") return ValidateElement(v);
    if (field == "covered_by") return ParseIdList(v).status();
    if (field == "forms") return ValidateForms(v);
    return unknown();
  }
  if (type == kCampaignAction) {
    if (field == "date") return ValidateDate(v);
    if (field == "kind") return NonEmpty("kind", v);
    if (field == "text") return Status::Ok();
    return unknown();
  }
  return Invalid("unknown record type '" + std::string(type) + "'");
}

std::string FormatTimestamp(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::vector<RecordId>> ParseIdList(std::string_view list) {
  std::vector<RecordId> ids;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    if (!item.empty()) {
      auto id = log::ParseRecordId(item);
      if (!id.ok()) return Invalid("invalid record id in list: '" + std::string(item) + "'");
      ids.push_back(*id);
    }
    start = comma + 1;
  }
  return ids;
}

std::string JoinIdList(const std::vector<RecordId>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += log::ToString(id);
  }
  return out;
}

}  // namespace parley::model
