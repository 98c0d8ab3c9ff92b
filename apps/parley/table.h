// Human output: aligned tables and readable times.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

// A table printed with columns aligned on display width (UTF-8 aware). Cells longer than
// the column's limit are cut with an ellipsis; newlines in cells are shown as spaces.
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

// Number of code points (terminal columns for the scripts Parley shows).
std::size_t DisplayWidth(std::string_view s);
// One line, at most `max` columns, "…" when cut.
std::string Clip(std::string_view s, std::size_t max);
// "2025-03-14 09:30 UTC" for a hybrid logical clock value.
std::string FormatHlcTime(std::uint64_t hlc);
// The same for Unix milliseconds.
std::string FormatMsTime(std::int64_t unix_ms);
// The first 8 characters of a 32-character record id (enough to type as a prefix).
std::string ShortId(std::string_view full_hex);

}  // namespace parley::cli
