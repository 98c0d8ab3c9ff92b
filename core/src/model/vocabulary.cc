// The model's vocabularies and value formats, and per-field validation.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>

#include "parley/core/model.h"

namespace parley::model {
namespace {

Status Invalid(std::string message) { return Error(Domain::kModel, Code::kInvalidArgument, std::move(message)); }

std::string Joined(const std::vector<std::string_view>& words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

bool Contains(const std::vector<std::string_view>& words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

Status OneOf(std::string_view what, const std::vector<std::string_view>& words, std::string_view v) {
  if (Contains(words, v)) return Status::Ok();
  return Invalid("unknown " + std::string(what) + " '" + std::string(v) + "' (expected one of: " +
                 Joined(words) + ")");
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
  if (!log::ParseRecordId(v).ok()) return Invalid(std::string(field) + " must be a record id (32 hex characters)");
  return Status::Ok();
}

Status ValidateForms(std::string_view list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    if (!item.empty()) PARLEY_RETURN_IF_ERROR(OneOf("financial support form", FinancialSupportForms(), item));
    start = comma + 1;
  }
  return Status::Ok();
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

Status ValidateDate(std::string_view d) {
  auto bad = [&] { return Invalid("invalid date '" + std::string(d) + "' (expected YYYY-MM-DD)"); };
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return bad();
  if (!IsDigits(d.substr(0, 4)) || !IsDigits(d.substr(5, 2)) || !IsDigits(d.substr(8, 2))) return bad();
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
  auto bad = [&] {
    return Invalid("invalid amount '" + std::string(a) +
                   "' (expected a decimal number, a space and a currency code, e.g. '250000 USD' or "
                   "'0.01 USD/lb')");
  };
  std::size_t space = a.find(' ');
  if (space == std::string_view::npos) return bad();
  std::string_view number = a.substr(0, space);
  std::string_view unit = a.substr(space + 1);
  std::size_t dot = number.find('.');
  if (dot == std::string_view::npos) {
    if (!IsDigits(number)) return bad();
  } else if (!IsDigits(number.substr(0, dot)) || !IsDigits(number.substr(dot + 1))) {
    return bad();
  }
  std::string_view currency = unit.substr(0, std::min<std::size_t>(unit.find('/'), unit.size()));
  if (currency.size() != 3 ||
      !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return bad();
  }
  if (currency.size() < unit.size()) {
    std::string_view per = unit.substr(4);
    if (per.empty() || per.size() > 16 ||
        !std::all_of(per.begin(), per.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
      return bad();
    }
  }
  return Status::Ok();
}

Status ValidateElement(std::string_view e) {
  if (Contains(StandardElements(), e)) return Status::Ok();
  if (e.substr(0, kCustomElementPrefix.size()) == kCustomElementPrefix) {
    std::string_view name = e.substr(kCustomElementPrefix.size());
    bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (ok) return Status::Ok();
  }
  return Invalid("unknown element '" + std::string(e) + "' (expected one of: " + Joined(StandardElements()) +
                 ", or custom:<name> with a-z, 0-9, _ or -)");
}

Status ValidateField(std::string_view type, std::string_view field, std::string_view v) {
  auto unknown = [&] {
    return Invalid("unknown field '" + std::string(field) + "' for a " + std::string(type));
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
    if (field == "kind") return NonEmpty("kind", v);
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
