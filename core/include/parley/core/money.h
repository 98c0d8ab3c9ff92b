// Money values of the WSR model: amounts ("0.05 USD/lb", "250000 USD", "120000 USD/year"),
// percentages ("5 %", "5%") and durations ("3 years", "18 months"), parsed into a typed
// value for comparison (docs/model.md, "Value formats" and "Comparing values").
//
// Numbers are exact decimals, a 64-bit integer mantissa and a count of digits after the
// point: no binary floating point ever holds a money value, and comparing two values is
// exact whatever their number of decimals.
//
// Two values compare only when they measure the same thing: amounts of the same currency
// and the same unit ("USD/lb" with "USD/lb"), percentages with percentages, durations with
// durations counted in a convertible unit (years and months; weeks and days). Anything else
// is kNotComparable: never converted, never guessed.
//
// Pure functions over values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "parley/platform/status.h"

namespace parley::model {

// An exact, non-negative decimal: mantissa × 10^-scale.
struct Decimal {
  std::uint64_t mantissa = 0;
  std::uint32_t scale = 0;  // digits after the point
};
// At most this many significant digits, and at most kMaxDecimalScale after the point.
inline constexpr std::uint32_t kMaxDecimalDigits = 18;
inline constexpr std::uint32_t kMaxDecimalScale = 9;

// "0", "12", "0.05", "1500.75": digits, optionally a point and at least one digit; no sign,
// no separators, no exponent. Code::kInvalidArgument (Domain::kModel) otherwise, or when the
// number has too many digits.
Result<Decimal> ParseDecimal(std::string_view text);
// -1, 0 or 1: exact (0.5 equals 0.50).
int CompareDecimal(const Decimal& a, const Decimal& b);
// The shortest exact text: "0.05", "250000", "1.5" (trailing zeros after the point dropped).
std::string FormatDecimal(const Decimal& d);

enum class ValueKind {
  kAmount,    // a sum of money in a currency, optionally per unit
  kPercent,   // a percentage
  kDuration,  // a length of time (a long-term order commitment's term)
};
// "amount", "percent", "duration": stable, for JSON.
std::string_view ValueKindName(ValueKind kind);

enum class DurationUnit { kDay, kWeek, kMonth, kYear };

struct MoneyValue {
  ValueKind kind = ValueKind::kAmount;
  Decimal number;
  std::string currency;  // kAmount: three upper-case letters (ISO 4217), e.g. "USD"
  std::string unit;      // kAmount: what it is per ("lb", "year", "unit"), empty for a lump sum
  DurationUnit duration_unit = DurationUnit::kYear;  // kDuration
};

// Parses one value:
//   amount    "<decimal> <CUR>" or "<decimal> <CUR>/<unit>", unit 1-16 letters or digits
//   percent   "<decimal> %" or "<decimal>%"
//   duration  "<decimal> <unit>", unit one of day(s), week(s), month(s), year(s)
// Code::kInvalidArgument (Domain::kModel) with a message giving the three forms otherwise.
Result<MoneyValue> ParseValue(std::string_view text);
// The canonical text: "0.05 USD/lb", "5 %", "3 years" (ParseValue reads it back equal).
std::string FormatValue(const MoneyValue& value);

enum class Comparison { kLess, kEqual, kGreater, kNotComparable };
// "less", "equal", "greater", "not_comparable": stable, for JSON.
std::string_view ComparisonName(Comparison comparison);
// a against b, exactly; kNotComparable unless both measure the same thing (see above).
Comparison CompareValues(const MoneyValue& a, const MoneyValue& b);

}  // namespace parley::model
