#include "table.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace parley::cli {
namespace {

TimeZone g_zone = TimeZone::kLocal;

// The grapheme clusters of `s`, each with its display width, in order. An invalid byte is a
// cluster of its own, one column wide.
struct Cluster {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t width = 0;
};

std::size_t ClusterWidth(const std::vector<utf8proc_int32_t>& cps) {
  if (cps.empty()) return 0;
  int width = 0;
  int regional = 0;
  bool emoji_presentation = false;
  for (auto cp : cps) {
    if (cp == 0xFE0F) emoji_presentation = true;
    if (cp >= 0x1F1E6 && cp <= 0x1F1FF) ++regional;
    width = std::max(width, utf8proc_charwidth(cp));
  }
  if (emoji_presentation || regional >= 2) width = 2;
  return static_cast<std::size_t>(std::clamp(width, 0, 2));
}

std::vector<Cluster> Clusters(std::string_view s) {
  std::vector<Cluster> out;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_int32_t state = 0;
  utf8proc_int32_t previous = -1;
  std::vector<utf8proc_int32_t> cps;
  Cluster current;
  auto close = [&](std::size_t at) {
    if (current.begin < at) {
      current.end = at;
      current.width = ClusterWidth(cps);
      out.push_back(current);
    }
    current = Cluster{at, at, 0};
    cps.clear();
  };
  std::size_t i = 0;
  while (i < s.size()) {
    utf8proc_int32_t cp = -1;
    const utf8proc_ssize_t n =
        utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) {  // not UTF-8: one column of its own
      close(i);
      out.push_back({i, i + 1, 1});
      current = Cluster{i + 1, i + 1, 0};
      previous = -1;
      state = 0;
      ++i;
      continue;
    }
    if (previous < 0 || utf8proc_grapheme_break_stateful(previous, cp, &state)) close(i);
    cps.push_back(cp);
    previous = cp;
    i += static_cast<std::size_t>(n);
  }
  close(s.size());
  return out;
}

std::string OneLine(std::string_view s) {
  std::string line(s);
  for (auto& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return line;
}

}  // namespace

std::size_t DisplayWidth(std::string_view s) {
  std::size_t n = 0;
  for (const auto& c : Clusters(s)) n += c.width;
  return n;
}

std::string Clip(std::string_view s, std::size_t max) {
  std::string line = OneLine(s);
  const std::vector<Cluster> clusters = Clusters(line);
  std::size_t total = 0;
  for (const auto& c : clusters) total += c.width;
  if (total <= max) return line;
  if (max == 0) return "";
  std::size_t width = 0;
  std::size_t end = 0;
  for (const auto& c : clusters) {
    if (width + c.width > max - 1) break;  // one column for the ellipsis
    width += c.width;
    end = c.end;
  }
  return line.substr(0, end) + "…";
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
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
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

void SetTimeZone(TimeZone zone) { g_zone = zone; }

std::string FormatMsTime(std::int64_t unix_ms) {
  // Floor division: a time before 1970 is still the second it falls in.
  std::int64_t secs64 = unix_ms / 1000;
  if (unix_ms % 1000 < 0) --secs64;
  const std::time_t secs = static_cast<std::time_t>(secs64);
  std::tm tm{};
  char buf[48];
  if (g_zone == TimeZone::kUtc) {
    gmtime_r(&secs, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
  }
  tzset();
  localtime_r(&secs, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  const long offset = tm.tm_gmtoff;  // seconds east of UTC
  const int minutes =
      static_cast<int>(std::min<long>(offset < 0 ? -offset : offset, 99 * 3600) / 60);
  char zone[32];
  std::snprintf(zone, sizeof zone, " %c%02d:%02d", offset < 0 ? '-' : '+', minutes / 60,
                minutes % 60);
  return std::string(buf) + zone;
}

std::string FormatHlcTime(std::uint64_t hlc) {
  return FormatMsTime(static_cast<std::int64_t>(hlc >> 16));
}

std::string FormatStoredTime(std::string_view iso) {
  // YYYY-MM-DDTHH:MM:SSZ, exactly.
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  if (iso.size() != 20 || iso[4] != '-' || iso[7] != '-' || iso[10] != 'T' || iso[13] != ':' ||
      iso[16] != ':' || iso[19] != 'Z') {
    return std::string(iso);
  }
  std::string text(iso);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail) != 7)
    return text;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t secs = timegm(&tm);
  return FormatMsTime(static_cast<std::int64_t>(secs) * 1000);
}

std::string ShortId(std::string_view full_hex) { return std::string(full_hex.substr(0, 8)); }

}  // namespace parley::cli
