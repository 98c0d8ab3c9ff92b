#include "table.h"

#include <algorithm>
#include <ctime>

namespace parley::cli {

std::size_t DisplayWidth(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string Clip(std::string_view s, std::size_t max) {
  std::string line(s);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  std::replace(line.begin(), line.end(), '\t', ' ');
  if (DisplayWidth(line) <= max) return line;
  std::string out;
  std::size_t width = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    if (starts && ++width > max - 1) break;
    out += line[i];
  }
  return out + "…";
}

Table::Table(std::vector<std::string> headers, std::size_t max_cell)
    : headers_(std::move(headers)), max_cell_(max_cell) {}

void Table::Row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (auto& c : cells) c = Clip(c, max_cell_);
  rows_.push_back(std::move(cells));
}

std::string Table::Render(std::size_t indent) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text(indent, ' ');
    for (std::size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - DisplayWidth(cells[i]) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
  return out;
}

std::string FormatHlcTime(std::uint64_t hlc) { return FormatMsTime(static_cast<std::int64_t>(hlc >> 16)); }

std::string FormatMsTime(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string ShortId(std::string_view full_hex) { return std::string(full_hex.substr(0, 8)); }

}  // namespace parley::cli
