// Command-line parsing on CLI11: global options, command words, per-command options.
//
// Grammar: parley [GLOBAL...] WORD... [ARG | --OPTION [VALUE] | GLOBAL]...
// Global options may appear anywhere. A command's options are known from its spec: an
// unknown option, a missing value or a wrong number of arguments is a usage error.
// "--name=value" and "--name value" are both accepted; "--" ends option parsing.
//
// The table of Commands is turned into a CLI11 application (one subcommand per word) and
// the line is parsed by CLI11; this file adds what the table says beyond CLI11: argument
// counts, options given twice, the options a usage line shows outside brackets (required:
// "missing --date YYYY-MM-DD"), "did you mean" suggestions, and help built from the table
// (`parley help [WORD...]`, `parley WORD... --help`, for commands and their group words).
// Thread safety: pure functions of their inputs.
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
  std::string name;  // without the leading "--"
  bool takes_value = false;
  bool repeatable = false;
  bool text = false;  // free text a person types: "-" and "@edit" read it (text_input.h)
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
  bool utc = false;          // --utc: times in UTC instead of the local time zone
  bool help = false;         // --help / -h, or the `help` command
  bool version = false;      // --version
};

struct Parsed {
  const Command* command = nullptr;  // null when help or the version was asked for
  Invocation invocation;
  // With GlobalOptions::help: the words help was asked for ({} for every command, a group
  // word such as {"note"}, or a whole command); they name a command or group of the table.
  std::vector<std::string> help_words;
};

// Parses argv[1..]. Code::kInvalidArgument with a one-line reason on a usage error.
Result<Parsed> Parse(int argc, char** argv, const std::vector<Command>& commands,
                     GlobalOptions& global);

// "parley negotiation add --buyer NAME [--title T]"
std::string UsageLine(const Command& command);

// The help text for `words` (Parsed::help_words): every command for {}, a group's commands
// for a group word, else the command's usage, summary and free-text fields.
std::string HelpText(const std::vector<Command>& commands, const std::vector<std::string>& words);

// " (did you mean 'WORD'?)" naming the known words closest to `word` (edit distance, at most
// a third of its length), or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& known);

}  // namespace parley::cli
