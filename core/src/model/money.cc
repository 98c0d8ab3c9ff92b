// Exact decimals and the money values built on them (money.h, docs/model.md).
#include "parley/core/money.h"

#include <algorithm>
#include <cctype>

#include "model/text_util.h"

namespace parley::model {
namespace {

using internal::Invalid;

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

constexpr std::uint64_t Pow10(std::uint32_t n) {
  std::uint64_t p = 1;
  for (std::uint32_t i = 0; i < n; ++i) p *= 10;
  return p;
}

// Brings durations to a common unit where the conversion is exact: years to months (×12),
// weeks to days (×7). Months and days stay apart: a month is not a whole number of days.
struct Counted {
  Decimal number;
  int base = 0;  // 0: months, 1: days
};
Counted InBase(const MoneyValue& v) {
  Counted c{v.number, 0};
  switch (v.duration_unit) {
    case DurationUnit::kYear:
      c.number.mantissa *= 12;
      break;  // < 10^18 × 12 fits 64 bits
    case DurationUnit::kMonth:
      break;
    case DurationUnit::kWeek:
      c.number.mantissa *= 7;
      c.base = 1;
      break;
    case DurationUnit::kDay:
      c.base = 1;
      break;
  }
  return c;
}

Comparison FromInt(int c) {
  return c < 0 ? Comparison::kLess : c > 0 ? Comparison::kGreater : Comparison::kEqual;
}

const char* ValueFormsHelp() {
  return "expected an amount such as '250000 USD' or '0.05 USD/lb', a percentage such as '5 %', or "
         "a duration "
         "such as '3 years'";
}

}  // namespace

Result<Decimal> ParseDecimal(std::string_view text) {
  auto bad = [&] {
    return Invalid("invalid number '" + std::string(text) +
                   "' (expected digits, optionally a point and digits)");
  };
  std::string_view whole = text, fraction;
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    whole = text.substr(0, dot);
    fraction = text.substr(dot + 1);
    if (!IsDigits(fraction)) return bad();
  }
  if (!IsDigits(whole)) return bad();
  whole.remove_prefix(std::min(whole.find_first_not_of('0'), whole.size()));
  if (fraction.size() > kMaxDecimalScale || whole.size() + fraction.size() > kMaxDecimalDigits) {
    return Invalid("number '" + std::string(text) + "' has too many digits (at most " +
                   std::to_string(kMaxDecimalDigits) + ", " + std::to_string(kMaxDecimalScale) +
                   " after the point)");
  }
  Decimal d;
  for (char c : whole) d.mantissa = d.mantissa * 10 + static_cast<std::uint64_t>(c - '0');
  for (char c : fraction) d.mantissa = d.mantissa * 10 + static_cast<std::uint64_t>(c - '0');
  d.scale = static_cast<std::uint32_t>(fraction.size());
  return d;
}

int CompareDecimal(const Decimal& a, const Decimal& b) {
  // Whole parts first, then the fractions at a common scale (each below 10^9 × 10^9).
  const std::uint64_t wa = a.mantissa / Pow10(a.scale), wb = b.mantissa / Pow10(b.scale);
  if (wa != wb) return wa < wb ? -1 : 1;
  const std::uint32_t scale = std::max(a.scale, b.scale);
  const std::uint64_t fa = (a.mantissa % Pow10(a.scale)) * Pow10(scale - a.scale);
  const std::uint64_t fb = (b.mantissa % Pow10(b.scale)) * Pow10(scale - b.scale);
  return fa == fb ? 0 : fa < fb ? -1 : 1;
}

std::string FormatDecimal(const Decimal& d) {
  std::string digits = std::to_string(d.mantissa);
  if (d.scale == 0) return digits;
  if (digits.size() <= d.scale) digits.insert(0, d.scale + 1 - digits.size(), '0');
  std::string out =
      digits.substr(0, digits.size() - d.scale) + "." + digits.substr(digits.size() - d.scale);
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

std::string_view ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kAmount:
      return "amount";
    case ValueKind::kPercent:
      return "percent";
    case ValueKind::kDuration:
      return "duration";
  }
  return "unknown";
}

Result<MoneyValue> ParseValue(std::string_view text) {
  auto bad = [&] {
    return Invalid("invalid value '" + std::string(text) + "' (" + ValueFormsHelp() + ")");
  };
  MoneyValue v;
  std::string_view number, rest;
  if (!text.empty() && text.back() == '%' && text.find(' ') == std::string_view::npos) {
    number = text.substr(0, text.size() - 1);  // "5%"
    rest = "%";
  } else {
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return bad();
    number = text.substr(0, space);
    rest = text.substr(space + 1);
  }
  auto parsed = ParseDecimal(number);
  if (!parsed.ok()) return bad();
  v.number = *parsed;
  if (rest == "%") {
    v.kind = ValueKind::kPercent;
    return v;
  }
  static constexpr std::pair<std::string_view, DurationUnit> kDurations[] = {
      {"day", DurationUnit::kDay},     {"days", DurationUnit::kDay},
      {"week", DurationUnit::kWeek},   {"weeks", DurationUnit::kWeek},
      {"month", DurationUnit::kMonth}, {"months", DurationUnit::kMonth},
      {"year", DurationUnit::kYear},   {"years", DurationUnit::kYear}};
  for (const auto& [name, unit] : kDurations) {
    if (rest == name) {
      v.kind = ValueKind::kDuration;
      v.duration_unit = unit;
      return v;
    }
  }
  const std::string_view currency = rest.substr(0, std::min(rest.find('/'), rest.size()));
  if (currency.size() != 3 ||
      !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return bad();
  }
  if (currency.size() < rest.size()) {
    const std::string_view per = rest.substr(4);
    if (per.empty() || per.size() > 16 || !std::all_of(per.begin(), per.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c));
        })) {
      return bad();
    }
    v.unit = std::string(per);
  }
  v.kind = ValueKind::kAmount;
  v.currency = std::string(currency);
  return v;
}

std::string FormatValue(const MoneyValue& v) {
  std::string n = FormatDecimal(v.number);
  switch (v.kind) {
    case ValueKind::kAmount:
      return n + " " + v.currency + (v.unit.empty() ? "" : "/" + v.unit);
    case ValueKind::kPercent:
      return n + " %";
    case ValueKind::kDuration: {
      const bool one = v.number.mantissa == Pow10(v.number.scale);
      switch (v.duration_unit) {
        case DurationUnit::kDay:
          return n + (one ? " day" : " days");
        case DurationUnit::kWeek:
          return n + (one ? " week" : " weeks");
        case DurationUnit::kMonth:
          return n + (one ? " month" : " months");
        case DurationUnit::kYear:
          return n + (one ? " year" : " years");
      }
    }
  }
  return n;
}

std::string_view ComparisonName(Comparison comparison) {
  switch (comparison) {
    case Comparison::kLess:
      return "less";
    case Comparison::kEqual:
      return "equal";
    case Comparison::kGreater:
      return "greater";
    case Comparison::kNotComparable:
      return "not_comparable";
  }
  return "unknown";
}

Comparison CompareValues(const MoneyValue& a, const MoneyValue& b) {
  if (a.kind != b.kind) return Comparison::kNotComparable;
  switch (a.kind) {
    case ValueKind::kAmount:
      if (a.currency != b.currency || a.unit != b.unit) return Comparison::kNotComparable;
      return FromInt(CompareDecimal(a.number, b.number));
    case ValueKind::kPercent:
      return FromInt(CompareDecimal(a.number, b.number));
    case ValueKind::kDuration: {
      const Counted ca = InBase(a), cb = InBase(b);
      if (ca.base != cb.base) return Comparison::kNotComparable;
      return FromInt(CompareDecimal(ca.number, cb.number));
    }
  }
  return Comparison::kNotComparable;
}

}  // namespace parley::model
