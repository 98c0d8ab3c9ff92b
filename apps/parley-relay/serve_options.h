// The settings of `parley-relay serve`, from four places: the command line, the environment
// (PARLEY_RELAY_<KEY in upper case>), a TOML file (`--config FILE`, else DATA/relay.toml when
// it exists) and the defaults; the first that has a setting wins, in that order. Every value
// is checked the same strict way wherever it comes from, before the relay opens anything.
//
// Integers are decimal digits only (no sign, space, exponent or fraction); `rate` and
// `burst` are decimal numbers (digits, an optional fraction and exponent), finite. In the
// file, a whole-number setting must be a TOML integer, a string setting a TOML string and a
// switch a TOML boolean. A value outside its range, an unknown key or option, is refused with
// a message naming where it came from (the option, the variable, or FILE:LINE and the key)
// and, for a number, its range. The reference is docs/relay-operations.md.
// Thread safety: pure functions, except that the environment and the file are read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "parley/relay/relay_server.h"

namespace parley::relay_app {

// Where a setting's value came from.
struct Origin {
  enum Kind { kDefault, kFile, kEnvironment, kCommandLine } kind = kDefault;
  std::string where;  // "--listen", "PARLEY_RELAY_LISTEN", "/etc/relay.toml:3", "default"
};

// Everything `serve` runs with.
struct ServeConfig {
  std::string data;         // the data directory
  std::string listen;       // "HOST:PORT", also in relay.listen_host / listen_port
  std::string storage;      // "", "sqlite", "sqlite:PATH", "postgresql://..." (relay_storage.h)
  std::string config_file;  // the TOML file read, or ""
  relay::RelayOptions relay;
  std::map<std::string, Origin> origins;  // by key ("max_connections")
};

// `flags`: the command line's options, "--name" -> value ("" for a switch), unknown ones
// already refused. `environment`: name -> value (the process environment in the program).
// On success `*out` holds every setting and "" is returned; otherwise the message for the
// operator (`*out` is then unspecified). `need_data`: refuse a configuration without a
// data directory.
std::string ResolveServeConfig(const std::map<std::string, std::string>& flags,
                               const std::map<std::string, std::string>& environment,
                               bool need_data, ServeConfig* out);

// The process environment's PARLEY_RELAY_* variables.
std::map<std::string, std::string> RelayEnvironment();

// The effective configuration as TOML (valid as a configuration file), each line with a
// comment saying where it came from. The storage URI's password, if any, is replaced by
// "***"; nothing secret is part of the configuration otherwise.
std::string PrintServeConfig(const ServeConfig& config);

// The command-line options of serve ("--data", "--max-connections", ...), and those of them
// that take no value (switches).
std::vector<std::string> ServeOptionNames();
std::vector<std::string> ServeSwitchNames();

// The help lines of serve's settings: option, environment variable, allowed values, default.
std::string ServeOptionsHelp();

// `spec` with a password in a URI's user information or a "password=" parameter hidden.
std::string RedactStorageSpec(const std::string& spec);

// "host:port" or "[v6]:port", port 0..65535.
bool SplitHostPort(const std::string& s, std::string* host, std::uint16_t* port);

}  // namespace parley::relay_app
