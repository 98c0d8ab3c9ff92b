#include "serve_options.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <vector>

#include "parley/relay/tuning.h"
#include "parley/sync/change_parts.h"

namespace parley::relay_app {
namespace {

namespace tuning = relay::tuning;

constexpr std::uint64_t kMaxTimeoutMs = 86'400'000;   // one day
constexpr std::uint64_t kMaxReassembly = 1ULL << 40;  // 1 TiB
constexpr double kMaxRate = 1e9;

// One numeric option: its range and where its value goes.
struct NumericOption {
  const char* name;
  double min;
  double max;
  bool integer;
  const char* what;
  std::function<double(const relay::RelayOptions&)> get;
  std::function<void(relay::RelayOptions&, double)> set;
};

std::string Format(double v, bool integer) {
  if (integer) return std::to_string(static_cast<std::uint64_t>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

const std::vector<NumericOption>& Options() {
  using O = relay::RelayOptions;
  static const std::vector<NumericOption> options = {
      {"--max-connections", 1, 1'000'000, true, "connections served at once",
       [](const O& o) { return o.max_connections; },
       [](O& o, double v) { o.max_connections = static_cast<std::uint32_t>(v); }},
      {"--max-frame-bytes", tuning::kMinFrameBytes, static_cast<double>(wire::kMaxWireMessage),
       true, "largest transport message accepted", [](const O& o) { return o.max_frame_bytes; },
       [](O& o, double v) { o.max_frame_bytes = static_cast<std::uint32_t>(v); }},
      {"--max-queue-frames", 8, 65'536, true, "outbound frames waiting per connection",
       [](const O& o) { return o.max_queue_frames; },
       [](O& o, double v) { o.max_queue_frames = static_cast<std::uint32_t>(v); }},
      {"--handshake-timeout-ms", 100, kMaxTimeoutMs, true, "handshake and Authenticate",
       [](const O& o) { return o.handshake_timeout_ms; },
       [](O& o, double v) { o.handshake_timeout_ms = static_cast<std::uint32_t>(v); }},
      {"--idle-timeout-ms", 100, kMaxTimeoutMs, true, "idle between frames",
       [](const O& o) { return o.idle_timeout_ms; },
       [](O& o, double v) { o.idle_timeout_ms = static_cast<std::uint32_t>(v); }},
      {"--write-timeout-ms", 100, kMaxTimeoutMs, true, "one write",
       [](const O& o) { return o.write_timeout_ms; },
       [](O& o, double v) { o.write_timeout_ms = static_cast<std::uint32_t>(v); }},
      {"--max-push-changes", 1, 10'000, true, "changes in one Push",
       [](const O& o) { return o.max_push_changes; },
       [](O& o, double v) { o.max_push_changes = static_cast<std::uint32_t>(v); }},
      {"--max-change-bytes", 0, static_cast<double>(wire::kMaxChangeBytes), true,
       "largest change taken in parts (0: none)",
       [](const O& o) { return static_cast<double>(o.max_change_bytes); },
       [](O& o, double v) { o.max_change_bytes = static_cast<std::uint64_t>(v); }},
      {"--max-reassembly-bytes", 0, static_cast<double>(kMaxReassembly), true,
       "bytes of changes in parts reassembled at once, all connections (at least "
       "--max-change-bytes)",
       [](const O& o) { return static_cast<double>(o.max_reassembly_bytes); },
       [](O& o, double v) { o.max_reassembly_bytes = static_cast<std::uint64_t>(v); }},
      {"--threads", 1, 64, true, "network threads", [](const O& o) { return o.io_threads; },
       [](O& o, double v) { o.io_threads = static_cast<int>(v); }},
      {"--rate", 0.001, kMaxRate, false, "requests per second per device",
       [](const O& o) { return o.rate_per_s; }, [](O& o, double v) { o.rate_per_s = v; }},
      {"--burst", 1, kMaxRate, false, "requests a device may send at once",
       [](const O& o) { return o.rate_burst; }, [](O& o, double v) { o.rate_burst = v; }},
  };
  return options;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decimal digits only, at most 19 of them (no overflow).
bool ParseInteger(const std::string& s, double* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = static_cast<double>(v);
  return true;
}

// digits [. digits] [e|E [+|-] digits]; finite.
bool ParseDecimal(const std::string& s, double* out) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    return i > from;
  };
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  if (i != s.size()) return false;
  const double v = std::strtod(s.c_str(), nullptr);
  if (!std::isfinite(v)) return false;
  *out = v;
  return true;
}

std::string Range(const NumericOption& o) {
  return Format(o.min, o.integer) + ".." + Format(o.max, o.integer) +
         (o.integer ? " (a whole number)" : "");
}

}  // namespace

std::string ParseServeOptions(const std::map<std::string, std::string>& flags,
                              relay::RelayOptions* out) {
  for (const auto& [name, value] : flags) {
    if (name == "--data" || name == "--listen") continue;
    if (name == "--metrics-listen") {  // HOST:PORT, checked when the relay starts
      out->metrics_listen = value;
      continue;
    }
    const NumericOption* option = nullptr;
    for (const NumericOption& o : Options()) {
      if (name == o.name) option = &o;
    }
    if (option == nullptr) return "serve does not take " + name;
    double v = 0;
    const bool parsed = option->integer ? ParseInteger(value, &v) : ParseDecimal(value, &v);
    if (!parsed || v < option->min || v > option->max) {
      return name + " must be " + Range(*option) + ", not \"" + value + "\"";
    }
    option->set(*out, v);
  }
  if (out->max_change_bytes > 0 && out->max_reassembly_bytes < out->max_change_bytes) {
    return "--max-reassembly-bytes must be " + std::to_string(out->max_change_bytes) + ".." +
           std::to_string(kMaxReassembly) + " (at least --max-change-bytes, " +
           std::to_string(out->max_change_bytes) + ", or no change in parts could ever be taken)";
  }
  return "";
}

std::vector<std::string> ServeOptionNames() {
  std::vector<std::string> names;
  for (const NumericOption& o : Options()) names.emplace_back(o.name);
  names.emplace_back("--metrics-listen");
  return names;
}

std::string ServeOptionsHelp() {
  relay::RelayOptions defaults;
  std::string out;
  for (const NumericOption& o : Options()) {
    std::string line = "    " + std::string(o.name) + " N";
    line.resize(30, ' ');
    out +=
        line + Range(o) + ", default " + Format(o.get(defaults), o.integer) + ": " + o.what + "\n";
  }
  return out;
}

}  // namespace parley::relay_app
