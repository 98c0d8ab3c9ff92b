#include "serve_options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include <toml++/toml.h>

#include "parley/platform/edit_distance.h"
#include "parley/relay/tuning.h"
#include "parley/sync/change_parts.h"

extern char** environ;

namespace parley::relay_app {
namespace {

namespace tuning = relay::tuning;

constexpr std::uint64_t kMaxTimeoutMs = 86'400'000;   // one day
constexpr std::uint64_t kMaxReassembly = 1ULL << 40;  // 1 TiB
constexpr std::uint64_t kMaxBytes = 1ULL << 50;       // 1 PiB: quotas and byte budgets
constexpr double kMaxRate = 1e9;
constexpr const char* kEnvPrefix = "PARLEY_RELAY_";

enum class Kind { kInteger, kDecimal, kText, kSwitch };

// One setting: its command-line option, its checks and where its value goes. The TOML key
// is the option without "--" and with '_' for '-'; the variable is PARLEY_RELAY_ + KEY.
struct Setting {
  const char* option;
  Kind kind;
  double min = 0;  // numbers
  double max = 0;
  const char* allowed;  // text: what a value may be (for help and errors)
  const char* what;
  // The effective value as the command line would give it.
  std::function<std::string(const ServeConfig&)> get;
  // Checks and stores `value`; "" or what the value must be ("must be ...").
  std::function<std::string(ServeConfig&, const std::string&)> set;
};

std::string Format(double v, bool integer) {
  if (integer) return std::to_string(static_cast<std::uint64_t>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
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

std::string Range(double min, double max, bool integer) {
  return Format(min, integer) + ".." + Format(max, integer) + (integer ? " (a whole number)" : "");
}

std::string Key(const Setting& s) {
  std::string key = std::string(s.option).substr(2);
  for (char& c : key) c = c == '-' ? '_' : c;
  return key;
}

std::string EnvName(const Setting& s) {
  std::string name = kEnvPrefix + Key(s);
  for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return name;
}

// A numeric setting stored through `store` (the value already checked against the range).
Setting Number(const char* option, double min, double max, bool integer, const char* what,
               const std::function<double(const relay::RelayOptions&)>& get,
               const std::function<void(relay::RelayOptions&, double)>& store) {
  Setting s{option, integer ? Kind::kInteger : Kind::kDecimal, min, max, "", what, {}, {}};
  s.get = [get, integer](const ServeConfig& c) { return Format(get(c.relay), integer); };
  s.set = [min, max, integer, store](ServeConfig& c, const std::string& v) -> std::string {
    double d = 0;
    const bool parsed = integer ? ParseInteger(v, &d) : ParseDecimal(v, &d);
    if (!parsed || d < min || d > max) return "must be " + Range(min, max, integer);
    store(c.relay, d);
    return "";
  };
  return s;
}

Setting Text(const char* option, const char* allowed, const char* what,
             std::function<std::string(const ServeConfig&)> get,
             std::function<std::string(ServeConfig&, const std::string&)> set) {
  return Setting{option, Kind::kText, 0, 0, allowed, what, std::move(get), std::move(set)};
}

bool ValidStorage(const std::string& spec) {
  if (spec.empty() || spec == "sqlite") return true;
  if (spec.rfind("sqlite:", 0) == 0) return spec.size() > 7;
  return spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0;
}

const std::vector<Setting>& Settings() {
  using O = relay::RelayOptions;
  using C = ServeConfig;
  static const std::vector<Setting> settings = {
      Text(
          "--data", "a directory", "the data directory (key, storage, lock)",
          [](const C& c) { return c.data; },
          [](C& c, const std::string& v) -> std::string {
            if (v.empty()) return "must be a directory";
            c.data = v;
            return "";
          }),
      Text(
          "--listen", "HOST:PORT", "address to serve devices on",
          [](const C& c) { return c.listen; },
          [](C& c, const std::string& v) -> std::string {
            if (!SplitHostPort(v, &c.relay.listen_host, &c.relay.listen_port))
              return "must be HOST:PORT with PORT 0..65535";
            c.listen = v;
            return "";
          }),
      Text(
          "--storage", "sqlite | sqlite:PATH | postgresql://...",
          "where the relay keeps its data (default: SQLite in DATA/relay.db)",
          [](const C& c) { return c.storage; },
          [](C& c, const std::string& v) -> std::string {
            if (!ValidStorage(v)) return "must be sqlite, sqlite:PATH or a postgresql:// URI";
            c.storage = v;
            return "";
          }),
      Text(
          "--admission", "open | allowlist",
          "which vaults devices may register: any, or those `vault allow` admitted",
          [](const C& c) {
            return std::string(c.relay.admission == relay::Admission::kOpen ? "open" : "allowlist");
          },
          [](C& c, const std::string& v) -> std::string {
            if (v == "open") {
              c.relay.admission = relay::Admission::kOpen;
            } else if (v == "allowlist") {
              c.relay.admission = relay::Admission::kAllowlist;
            } else {
              return "must be open or allowlist";
            }
            return "";
          }),
      Text(
          "--metrics-listen", "HOST:PORT or empty", "serve metrics over HTTP there (empty: not)",
          [](const C& c) { return c.relay.metrics_listen; },
          [](C& c, const std::string& v) -> std::string {
            std::string host;
            std::uint16_t port = 0;
            if (!v.empty() && !SplitHostPort(v, &host, &port))
              return "must be HOST:PORT with PORT 0..65535, or empty";
            c.relay.metrics_listen = v;
            return "";
          }),
      Setting{
          "--log-client-addresses", Kind::kSwitch, 0, 0, "true | false",
          "log the address and port of each client (not logged otherwise)",
          [](const C& c) { return std::string(c.relay.log_client_addresses ? "true" : "false"); },
          [](C& c, const std::string& v) -> std::string {
            if (v == "true" || v == "1") {
              c.relay.log_client_addresses = true;
            } else if (v == "false" || v == "0") {
              c.relay.log_client_addresses = false;
            } else {
              return "must be true or false";
            }
            return "";
          }},
      Number(
          "--max-connections", 1, 1'000'000, true, "connections served at once",
          [](const O& o) { return o.max_connections; },
          [](O& o, double v) { o.max_connections = static_cast<std::uint32_t>(v); }),
      Number(
          "--max-unauthenticated", 1, 1'000'000, true,
          "connections not yet authenticated, all addresses",
          [](const O& o) { return o.max_unauthenticated; },
          [](O& o, double v) { o.max_unauthenticated = static_cast<std::uint32_t>(v); }),
      Number(
          "--max-unauthenticated-per-address", 1, 1'000'000, true,
          "connections not yet authenticated from one address",
          [](const O& o) { return o.max_unauthenticated_per_address; },
          [](O& o, double v) {
            o.max_unauthenticated_per_address = static_cast<std::uint32_t>(v);
          }),
      Number(
          "--max-outbound-bytes", 65'536, static_cast<double>(kMaxBytes), true,
          "bytes queued to send, all connections together",
          [](const O& o) { return static_cast<double>(o.max_outbound_bytes); },
          [](O& o, double v) { o.max_outbound_bytes = static_cast<std::uint64_t>(v); }),
      Number(
          "--rate-max-buckets", 1024, 16'777'216, true,
          "per-device rate buckets kept at most (the least recently used go first)",
          [](const O& o) { return o.rate_max_buckets; },
          [](O& o, double v) { o.rate_max_buckets = static_cast<std::uint32_t>(v); }),
      Number(
          "--address-rate", 0.001, kMaxRate, false, "new connections per second per address",
          [](const O& o) { return o.address_rate_per_s; },
          [](O& o, double v) { o.address_rate_per_s = v; }),
      Number(
          "--address-burst", 1, kMaxRate, false, "new connections an address may open at once",
          [](const O& o) { return o.address_rate_burst; },
          [](O& o, double v) { o.address_rate_burst = v; }),
      Number(
          "--vault-quota-bytes", 0, static_cast<double>(kMaxBytes), true,
          "bytes of changes a vault may hold unless `vault allow` gave it its own (0: no "
          "limit)",
          [](const O& o) { return static_cast<double>(o.vault_quota_bytes); },
          [](O& o, double v) { o.vault_quota_bytes = static_cast<std::uint64_t>(v); }),
      Number(
          "--max-frame-bytes", tuning::kMinFrameBytes, static_cast<double>(wire::kMaxWireMessage),
          true, "largest transport message accepted", [](const O& o) { return o.max_frame_bytes; },
          [](O& o, double v) { o.max_frame_bytes = static_cast<std::uint32_t>(v); }),
      Number(
          "--max-queue-frames", 8, 65'536, true, "outbound frames waiting per connection",
          [](const O& o) { return o.max_queue_frames; },
          [](O& o, double v) { o.max_queue_frames = static_cast<std::uint32_t>(v); }),
      Number(
          "--handshake-timeout-ms", 100, kMaxTimeoutMs, true, "handshake and Authenticate",
          [](const O& o) { return o.handshake_timeout_ms; },
          [](O& o, double v) { o.handshake_timeout_ms = static_cast<std::uint32_t>(v); }),
      Number(
          "--idle-timeout-ms", 100, kMaxTimeoutMs, true, "idle between frames",
          [](const O& o) { return o.idle_timeout_ms; },
          [](O& o, double v) { o.idle_timeout_ms = static_cast<std::uint32_t>(v); }),
      Number(
          "--write-timeout-ms", 100, kMaxTimeoutMs, true, "one write",
          [](const O& o) { return o.write_timeout_ms; },
          [](O& o, double v) { o.write_timeout_ms = static_cast<std::uint32_t>(v); }),
      Number(
          "--max-push-changes", 1, 10'000, true, "changes in one Push",
          [](const O& o) { return o.max_push_changes; },
          [](O& o, double v) { o.max_push_changes = static_cast<std::uint32_t>(v); }),
      Number(
          "--max-change-bytes", 0, static_cast<double>(wire::kMaxChangeBytes), true,
          "largest change taken in parts (0: none)",
          [](const O& o) { return static_cast<double>(o.max_change_bytes); },
          [](O& o, double v) { o.max_change_bytes = static_cast<std::uint64_t>(v); }),
      Number(
          "--max-reassembly-bytes", 0, static_cast<double>(kMaxReassembly), true,
          "bytes of changes in parts reassembled at once, all connections (at least "
          "max-change-bytes)",
          [](const O& o) { return static_cast<double>(o.max_reassembly_bytes); },
          [](O& o, double v) { o.max_reassembly_bytes = static_cast<std::uint64_t>(v); }),
      Number(
          "--threads", 1, 64, true, "network threads", [](const O& o) { return o.io_threads; },
          [](O& o, double v) { o.io_threads = static_cast<int>(v); }),
      Number(
          "--rate", 0.001, kMaxRate, false, "requests per second per device",
          [](const O& o) { return o.rate_per_s; }, [](O& o, double v) { o.rate_per_s = v; }),
      Number(
          "--burst", 1, kMaxRate, false, "requests a device may send at once",
          [](const O& o) { return o.rate_burst; }, [](O& o, double v) { o.rate_burst = v; }),
  };
  return settings;
}

// The program's defaults (where they differ from the library's RelayOptions).
ServeConfig Defaults() {
  ServeConfig c;
  c.listen = tuning::kDefaultServeAddress;
  SplitHostPort(c.listen, &c.relay.listen_host, &c.relay.listen_port);
  c.relay.admission = relay::Admission::kAllowlist;
  return c;
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& known) {
  std::size_t best = std::max<std::size_t>(1, word.size() / 3) + 1;
  std::string closest;
  for (const auto& k : known) {
    if (const std::size_t d = EditDistance(word, k); d < best) {
      best = d;
      closest = k;
    }
  }
  return closest.empty() ? "" : " (did you mean '" + closest + "'?)";
}

std::string Quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string TomlType(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number with a fraction";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

// One value of the file as the command line would give it; "" and an error when its TOML
// type does not fit the setting.
std::string FromToml(const Setting& s, const toml::node& n, std::string* error) {
  switch (s.kind) {
    case Kind::kInteger:
      if (auto v = n.value_exact<std::int64_t>()) return std::to_string(*v);
      *error = "must be " + Range(s.min, s.max, true) + ", not " + TomlType(n);
      return "";
    case Kind::kDecimal:
      if (auto v = n.value_exact<std::int64_t>()) return std::to_string(*v);
      if (auto v = n.value_exact<double>()) {
        if (!std::isfinite(*v)) {
          *error =
              "must be " + Range(s.min, s.max, false) + ", not " + (std::isnan(*v) ? "nan" : "inf");
          return "";
        }
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", *v);
        return buf;
      }
      *error = "must be " + Range(s.min, s.max, false) + ", not " + TomlType(n);
      return "";
    case Kind::kText:
      if (auto v = n.value_exact<std::string>()) return *v;
      *error = "must be a string (" + std::string(s.allowed) + "), not " + TomlType(n);
      return "";
    case Kind::kSwitch:
      if (auto v = n.value_exact<bool>()) return *v ? "true" : "false";
      *error = "must be true or false, not " + TomlType(n);
      return "";
  }
  return "";
}

struct FileValue {
  std::string value;
  std::string where;  // FILE:LINE
};

// Reads the TOML file: every key must be a setting, with a value of its type.
std::string ReadConfigFile(const std::string& path, std::map<std::string, FileValue>* out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "cannot read the configuration file " + path;
  if (!S_ISREG(st.st_mode)) return "the configuration file " + path + " is not a file";
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
  }
  std::vector<std::string> keys;
  for (const Setting& s : Settings()) keys.push_back(Key(s));
  for (auto&& [key, node] : table) {
    const std::string name(key.str());
    const std::string where = path + ":" + std::to_string(key.source().begin.line);
    const Setting* setting = nullptr;
    for (const Setting& s : Settings()) {
      if (Key(s) == name) setting = &s;
    }
    if (setting == nullptr) return where + ": unknown key '" + name + "'" + DidYouMean(name, keys);
    std::string error;
    std::string value = FromToml(*setting, node, &error);
    if (!error.empty()) return where + ": " + name + " " + error;
    (*out)[name] = FileValue{std::move(value), where};
  }
  return "";
}

}  // namespace

bool SplitHostPort(const std::string& s, std::string* host, std::uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size()) return false;
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string digits = s.substr(colon + 1);
  if (digits.size() > 5 || h.empty()) return false;
  unsigned long p = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535) return false;
  *host = h;
  *port = static_cast<std::uint16_t>(p);
  return true;
}

std::map<std::string, std::string> RelayEnvironment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos || entry.rfind(kEnvPrefix, 0) != 0) continue;
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

std::string ResolveServeConfig(const std::map<std::string, std::string>& flags,
                               const std::map<std::string, std::string>& environment,
                               bool need_data, ServeConfig* out) {
  *out = Defaults();
  // Variables of the prefix that name no setting are refused like unknown keys.
  std::vector<std::string> env_names = {std::string(kEnvPrefix) + "CONFIG"};
  for (const Setting& s : Settings()) env_names.push_back(EnvName(s));
  for (const auto& [name, value] : environment) {
    if (std::find(env_names.begin(), env_names.end(), name) == env_names.end())
      return "unknown environment variable " + name + DidYouMean(name, env_names);
  }
  auto flag = [&](const std::string& name) -> const std::string* {
    auto it = flags.find(name);
    return it == flags.end() ? nullptr : &it->second;
  };
  auto env = [&](const std::string& name) -> const std::string* {
    auto it = environment.find(name);
    return it == environment.end() ? nullptr : &it->second;
  };
  // The file: --config, PARLEY_RELAY_CONFIG, else DATA/relay.toml if there.
  std::string file;
  bool required = true;
  if (const std::string* f = flag("--config")) {
    file = *f;
  } else if (const std::string* e = env(std::string(kEnvPrefix) + "CONFIG")) {
    file = *e;
  } else {
    const std::string* data = flag("--data");
    if (data == nullptr) data = env(std::string(kEnvPrefix) + "DATA");
    if (data != nullptr && !data->empty()) {
      file = *data + "/relay.toml";
      required = false;
    }
  }
  if (required && file.empty() && (flag("--config") != nullptr)) return "--config must name a file";
  std::map<std::string, FileValue> from_file;
  if (!file.empty()) {
    struct stat st {};
    if (required || ::stat(file.c_str(), &st) == 0) {
      if (std::string error = ReadConfigFile(file, &from_file); !error.empty()) return error;
      out->config_file = file;
    }
  }
  // Every value given is checked, also one that a higher place overrides (a broken file is
  // reported even when the command line wins); the first place that has it wins.
  for (const Setting& s : Settings()) {
    const std::string key = Key(s);
    struct Given {
      std::string value;
      Origin origin;
    };
    std::vector<Given> given;  // highest precedence first
    if (const std::string* f = flag(s.option)) {
      given.push_back(
          {s.kind == Kind::kSwitch && f->empty() ? "true" : *f, {Origin::kCommandLine, s.option}});
    }
    if (const std::string* e = env(EnvName(s))) {
      given.push_back({*e, {Origin::kEnvironment, EnvName(s)}});
    }
    if (auto it = from_file.find(key); it != from_file.end()) {
      given.push_back({it->second.value, {Origin::kFile, it->second.where}});
    }
    for (auto g = given.rbegin(); g != given.rend(); ++g) {
      ServeConfig scratch = *out;
      if (std::string must = s.set(scratch, g->value); !must.empty()) {
        const std::string name =
            g->origin.kind == Origin::kFile ? g->origin.where + ": " + key : g->origin.where;
        return name + " " + must + ", not \"" + g->value + "\"";
      }
    }
    if (given.empty()) {
      out->origins[key] = {Origin::kDefault, "default"};
      continue;
    }
    (void)s.set(*out, given.front().value);
    out->origins[key] = given.front().origin;
  }
  const relay::RelayOptions& o = out->relay;
  if (o.max_change_bytes > 0 && o.max_reassembly_bytes < o.max_change_bytes) {
    const Origin& from = out->origins["max_reassembly_bytes"];
    const std::string name = from.kind == Origin::kDefault ? "--max-reassembly-bytes"
                             : from.kind == Origin::kFile  ? from.where + ": max_reassembly_bytes"
                                                           : from.where;
    return name + " must be " + std::to_string(o.max_change_bytes) + ".." +
           std::to_string(kMaxReassembly) + " (at least --max-change-bytes, " +
           std::to_string(o.max_change_bytes) + ", or no change in parts could ever be taken)";
  }
  if (need_data && out->data.empty()) {
    return "no data directory: give --data DIR (or PARLEY_RELAY_DATA, or data in the "
           "configuration file)";
  }
  return "";
}

std::string RedactStorageSpec(const std::string& spec) {
  std::string out = spec;
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (const char* name : {"password=", "sslpassword="}) {
    for (auto p = out.find(name); p != std::string::npos; p = out.find(name, p + 1)) {
      if (p > 0 && out[p - 1] != '?' && out[p - 1] != '&' && out[p - 1] != ' ') continue;
      const auto from = p + std::string(name).size();
      auto end = out.find_first_of("& ", from);
      if (end == std::string::npos) end = out.size();
      out.replace(from, end - from, "***");
    }
  }
  return out;
}

std::string PrintServeConfig(const ServeConfig& config) {
  std::string out =
      "# parley-relay serve: the effective configuration (command line, then "
      "environment, then file, then defaults)\n";
  out += "# configuration file: " + (config.config_file.empty() ? "(none)" : config.config_file) +
         "\n";
  for (const Setting& s : Settings()) {
    const std::string key = Key(s);
    std::string value = s.get(config);
    if (key == "storage") value = RedactStorageSpec(value);
    std::string line = key + " = ";
    if (s.kind == Kind::kText) {
      line += Quote(value);
    } else {
      line += value;
    }
    if (line.size() < 44) line.resize(44, ' ');
    auto it = config.origins.find(key);
    out += line + "  # " + (it == config.origins.end() ? "default" : it->second.where) + "\n";
  }
  return out;
}

std::vector<std::string> ServeOptionNames() {
  std::vector<std::string> names = {"--config", "--print-config"};
  for (const Setting& s : Settings()) names.emplace_back(s.option);
  return names;
}

std::vector<std::string> ServeSwitchNames() {
  std::vector<std::string> names = {"--print-config"};
  for (const Setting& s : Settings()) {
    if (s.kind == Kind::kSwitch) names.emplace_back(s.option);
  }
  return names;
}

std::string ServeOptionsHelp() {
  const ServeConfig defaults = Defaults();
  std::string out;
  for (const Setting& s : Settings()) {
    std::string line = "  " + std::string(s.option);
    if (s.kind == Kind::kInteger || s.kind == Kind::kDecimal) line += " N";
    if (s.kind == Kind::kText) line += " VALUE";
    if (line.size() < 38) line.resize(38, ' ');
    std::string allowed = s.kind == Kind::kInteger || s.kind == Kind::kDecimal
                              ? Range(s.min, s.max, s.kind == Kind::kInteger)
                              : std::string(s.allowed);
    std::string def = s.get(defaults);
    if (s.kind == Kind::kText && def.empty()) def = "none";
    out += line + s.what + "\n" + std::string(38, ' ') + allowed + ", default " + def + "; " +
           EnvName(s) + "\n";
  }
  return out;
}

}  // namespace parley::relay_app
