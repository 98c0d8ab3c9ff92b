// Command-line parsing: global options, command words, per-command options.
//
// Grammar: parley [GLOBAL...] WORD... [ARG | --OPTION [VALUE] | GLOBAL]...
// Global options may appear anywhere. A command's options are known from its spec: an
// unknown option, a missing value or a wrong number of arguments is a usage error.
// "--name=value" and "--name value" are both accepted; "--" ends option parsing.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parley/platform/status.h"

namespace parley::cli {

class App;

struct OptionSpec {
  std::string name;         // without the leading "--"
  bool takes_value = false;
  bool repeatable = false;
  bool text = false;        // free text a person types: "-" and "@edit" read it (text_input.h)
};

// An option whose value is free text (a name, a note, terms, an amount...).
inline OptionSpec TextOption(std::string name) { return {std::move(name), true, false, true}; }

struct Invocation {
  std::vector<std::string> args;
  std::map<std::string, std::vector<std::string>> options;  // flags hold one "" value
  bool Has(const std::string& name) const { return options.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> All(const std::string& name) const;
};

struct Command {
  std::vector<std::string> words;  // e.g. {"negotiation", "add"}
  std::string usage;               // the arguments and options, e.g. "--buyer NAME [--title T]"
  std::string summary;             // one line
  std::vector<OptionSpec> options;
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  Status (*run)(App& app, const Invocation& inv) = nullptr;
  bool needs_store = true;  // unlock before running (every command but init, wipe, help)
  std::vector<std::size_t> text_args = {};  // indexes of the arguments that are free text
};

struct GlobalOptions {
  std::string data_dir;      // --data
  std::string keystore_dir;  // --keystore
  std::string kdf_cost;      // --kdf-cost (testing only)
  bool json = false;         // --json
  bool help = false;         // --help / -h
};

struct Parsed {
  const Command* command = nullptr;  // null when only --help was given
  Invocation invocation;
};

// Parses argv[1..]. Code::kInvalidArgument with a one-line reason on a usage error.
Result<Parsed> Parse(int argc, char** argv, const std::vector<Command>& commands, GlobalOptions& global);

// "parley negotiation add --buyer NAME [--title T]"
std::string UsageLine(const Command& command);

}  // namespace parley::cli
