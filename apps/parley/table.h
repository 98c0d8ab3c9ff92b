// Human output: aligned tables and readable times.
//
// Widths are terminal columns (utf8proc: East Asian wide characters and emoji take two, a
// combining mark none), measured per grapheme cluster, so a flag, a ZWJ family or an accented
// letter counts as what a terminal draws; text is cut between clusters, never inside one.
// Times are shown in the local time zone (TZ respected) with its UTC offset, or in UTC when
// the global --utc option asked for it (SetTimeZone). JSON output does not use these: it
// keeps UTC ISO-8601 (model::FormatTimestamp).
// Thread safety: SetTimeZone is called once by main() before any command runs; everything
// else is a pure function of its inputs (and of the process's time zone).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

// A table printed with columns aligned on display width. Cells wider than the column's
// limit are cut with an ellipsis; newlines and tabs in cells are shown as spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::size_t max_cell = 60);
  void Row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  // The table as text, one line per row, each indented by `indent` spaces.
  std::string Render(std::size_t indent = 0) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::size_t max_cell_;
};

// Terminal columns `s` takes: the sum over its grapheme clusters of each cluster's width
// (2 for wide and emoji clusters, including a cluster an emoji variation selector or a
// regional-indicator pair makes; 0 for a cluster of controls or marks alone; else 1). A byte
// that is not valid UTF-8 counts as one column (a terminal shows a replacement character).
std::size_t DisplayWidth(std::string_view s);
// One line (newlines, carriage returns and tabs become spaces) of at most `max` columns:
// whole grapheme clusters, then "…" when cut (max 0: "").
std::string Clip(std::string_view s, std::size_t max);

enum class TimeZone { kLocal, kUtc };
// How FormatMsTime and friends show times, for the whole process: main() sets it from --utc.
void SetTimeZone(TimeZone zone);
// "2025-03-14 15:00 +05:30" (local, with the zone's offset at that moment) or
// "2025-03-14 09:30 UTC" (with --utc), for Unix milliseconds.
std::string FormatMsTime(std::int64_t unix_ms);
// The same for a hybrid logical clock value.
std::string FormatHlcTime(std::uint64_t hlc);
// The same for a stored timestamp "2025-03-14T09:30:00Z" (model::FormatTimestamp); other
// text is returned unchanged.
std::string FormatStoredTime(std::string_view iso);
// The first 8 characters of a 32-character record id (enough to type as a prefix).
std::string ShortId(std::string_view full_hex);

}  // namespace parley::cli
