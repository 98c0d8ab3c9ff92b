#include "args.h"

#include <algorithm>
#include <optional>

namespace parley::cli {
namespace {

Status Usage(std::string message) { return Error(Domain::kApp, Code::kInvalidArgument, std::move(message)); }

std::string Words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

const OptionSpec* FindOption(const Command& c, std::string_view name) {
  for (const auto& o : c.options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

}  // namespace

std::string Invocation::Get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Invocation::All(const std::string& name) const {
  auto it = options.find(name);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

std::string UsageLine(const Command& command) {
  std::string line = "parley " + Words(command.words);
  if (!command.usage.empty()) line += " " + command.usage;
  return line;
}

Result<Parsed> Parse(int argc, char** argv, const std::vector<Command>& commands, GlobalOptions& global) {
  Parsed parsed;
  std::vector<std::string> words;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string token = argv[i];
    if (!options_done && token == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && (token == "-h" || token == "--help")) {
      global.help = true;
      continue;
    }
    if (!options_done && token.size() > 2 && token.rfind("--", 0) == 0) {
      std::string name = token.substr(2);
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      auto value = [&]() -> Result<std::string> {
        if (inline_value) return *inline_value;
        if (i + 1 >= argc) return Usage("option --" + name + " needs a value");
        return std::string(argv[++i]);
      };
      if (name == "json") {
        global.json = true;
        continue;
      }
      if (name == "data" || name == "keystore" || name == "kdf-cost") {
        PARLEY_ASSIGN_OR_RETURN(std::string v, value());
        (name == "data" ? global.data_dir : name == "keystore" ? global.keystore_dir : global.kdf_cost) = v;
        continue;
      }
      if (parsed.command == nullptr) {
        return Usage("unknown option --" + name + (words.empty() ? "" : " for '" + Words(words) + "'"));
      }
      const OptionSpec* spec = FindOption(*parsed.command, name);
      if (spec == nullptr) return Usage("unknown option --" + name + "; usage: " + UsageLine(*parsed.command));
      auto& slot = parsed.invocation.options[name];
      if (!slot.empty() && !spec->repeatable) return Usage("option --" + name + " given twice");
      if (spec->takes_value) {
        PARLEY_ASSIGN_OR_RETURN(std::string v, value());
        slot.push_back(std::move(v));
      } else {
        if (inline_value) return Usage("option --" + name + " takes no value");
        slot.emplace_back();
      }
      continue;
    }
    if (parsed.command != nullptr) {
      parsed.invocation.args.push_back(std::move(token));
      continue;
    }
    words.push_back(std::move(token));
    for (const auto& c : commands) {
      if (c.words == words) parsed.command = &c;
    }
    if (parsed.command == nullptr) {
      bool is_prefix = std::any_of(commands.begin(), commands.end(), [&](const Command& c) {
        return c.words.size() > words.size() && std::equal(words.begin(), words.end(), c.words.begin());
      });
      if (!is_prefix) return Usage("unknown command '" + Words(words) + "' (see parley --help)");
    }
  }
  if (parsed.command == nullptr) {
    if (global.help) return parsed;
    if (words.empty()) return Usage("no command given (see parley --help)");
    return Usage("incomplete command '" + Words(words) + "' (see parley --help)");
  }
  if (global.help) return parsed;
  const auto n = parsed.invocation.args.size();
  if (n < parsed.command->min_args || n > parsed.command->max_args) {
    return Usage("wrong number of arguments; usage: " + UsageLine(*parsed.command));
  }
  return parsed;
}

}  // namespace parley::cli
