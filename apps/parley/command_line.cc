#include "command_line.h"

// GCC 12 at -O2 reports a false -Wnull-dereference inside CLI11's inlined string splitting
// (a system header); this file turns that one warning off from here on.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "parley/platform/edit_distance.h"
#include "text_input.h"

namespace parley::cli {
namespace {

Status Usage(std::string message) {
  return Error(Domain::kApp, Code::kInvalidArgument, std::move(message));
}

std::string Words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

bool StartsWith(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  return words.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}

// What a usage line shows outside brackets: the options a command needs ("--date
// YYYY-MM-DD") and its arguments' placeholders in order. A usage line with alternatives at
// its top level ("A | B") names nothing required.
struct UsageShape {
  std::vector<std::pair<std::string, std::string>> required;  // option name, "--name VALUE"
  std::vector<std::string> args;                              // placeholders
};

UsageShape Shape(const Command& command) {
  UsageShape shape;
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < command.usage.size();) {
    const char c = command.usage[i];
    if (c == ' ') {
      ++i;
    } else if (c == '[' || c == ']') {
      tokens.emplace_back(1, c);
      ++i;
    } else {
      const std::size_t end = command.usage.find_first_of(" []", i);
      tokens.push_back(
          command.usage.substr(i, end == std::string::npos ? std::string::npos : end - i));
      i = end == std::string::npos ? command.usage.size() : end;
    }
  }
  int depth = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == "[") {
      ++depth;
    } else if (t == "]") {
      --depth;
    } else if (depth == 0 && t == "|") {
      return {};
    } else if (depth == 0 && t.rfind("--", 0) == 0) {
      const std::string name = t.substr(2);
      std::string shown = t;
      for (const auto& o : command.options) {
        if (o.name == name && o.takes_value && i + 1 < tokens.size()) shown += " " + tokens[++i];
      }
      shape.required.emplace_back(name, shown);
    } else if (depth == 0) {
      shape.args.push_back(t);
    }
  }
  return shape;
}

// One word of the command tree: a group ("note"), a command ("note add"), or both.
struct Node {
  std::vector<std::string> words;
  CLI::App* app = nullptr;
  const Command* command = nullptr;
  CLI::Option* help = nullptr;
  CLI::Option* args = nullptr;
  std::vector<std::pair<const OptionSpec*, CLI::Option*>> options;
  std::vector<std::unique_ptr<Node>> children;
  Node* parent = nullptr;

  Node* Child(const std::string& word) {
    for (auto& c : children) {
      if (c->words.back() == word) return c.get();
    }
    return nullptr;
  }
  std::vector<std::string> ChildWords() const {
    std::vector<std::string> out;
    for (const auto& c : children) out.push_back(c->words.back());
    return out;
  }
};

constexpr int kMaxArgs = 1 << 16;

const char* const kGlobalOptionNames[] = {"data", "keystore", "json", "utc", "help", "version"};

std::string GlobalHelp(const std::vector<Command>& commands) {
  std::string out =
      "parley: encrypted, offline-first records for WSR negotiations\n\n"
      "usage: parley [--data DIR] [--keystore DIR] [--json] [--utc] COMMAND ...\n"
      "       parley help [COMMAND...] | parley COMMAND --help | parley --version\n\n"
      "commands:\n";
  for (const auto& c : commands) out += "  " + UsageLine(c) + "\n      " + c.summary + "\n";
  out +=
      "\nfree text (names, notes, terms, amounts, places): a value of - reads it from standard "
      "input\n"
      "(one field per command; Ctrl-D ends it), @edit types it in $VISUAL or $EDITOR: neither\n"
      "shows in ps or the shell history. `parley COMMAND --help` names the command's fields.\n"
      "\n--json: one JSON document on standard output, with \"schema\": 1; an error is one JSON\n"
      "object on standard error, {\"schema\":1,\"error\":{\"domain\",\"code\",\"message\"}}.\n"
      "\ntimes: shown in the local time zone (TZ) with its UTC offset; --utc shows them in UTC.\n"
      "JSON always carries UTC (ISO-8601, ending in Z).\n"
      "\nenvironment: PARLEY_PASSPHRASE, PARLEY_NEW_PASSPHRASE, PARLEY_DATA, PARLEY_KEYSTORE,\n"
      "             PARLEY_RECOVERY_KEY (recover, restore, backup), PARLEY_BACKUP_PASSPHRASE,\n"
      "             PARLEY_ARGON2=min (tests only)\n"
      "exit codes: 0 ok, 1 usage, 2 not found, 3 wrong passphrase, 4 tampered or corrupt,\n"
      "            5 missing key-store secret, 6 already exists, 7 permission denied, 8 busy,\n"
      "            9 I/O, 10 internal, 11 this device was revoked and wiped, 12 refused by a\n"
      "            vault rule (the last admin) or a forked chain, 13 too soon after failed "
      "unlocks\n"
      "            (wait), 14 wiped after too many failed unlocks, 15 locked after idle (no "
      "terminal)\n";
  return out;
}

// The command tree as a CLI11 application. Every app takes --help/-h itself; global options
// live on the root and are reached from anywhere by fallthrough; what CLI11 does not know
// stays in the root's "remaining" list, for messages with suggestions.
class Cli {
 public:
  Cli(const std::vector<Command>& commands, GlobalOptions& global) : global_(global) {
    app_.set_help_flag();
    app_.allow_extras();
    app_.fallthrough();
    app_.require_subcommand(0, 1);  // inherited: one word at each level
    root_.app = &app_;
    root_.help = app_.add_flag("-h,--help");
    app_.add_option("--data", global_.data_dir)->take_last();
    app_.add_option("--keystore", global_.keystore_dir)->take_last();
    app_.add_option("--kdf-cost", global_.kdf_cost)->take_last();
    app_.add_flag("--json", global_.json)->take_last();
    app_.add_flag("--utc", global_.utc)->take_last();
    app_.add_flag("--version", global_.version)->take_last();
    help_ = app_.add_subcommand("help", "help on every command, a group or one command");
    help_->set_help_flag();
    help_->add_option("words", help_words_)->allow_extra_args();
    for (const auto& c : commands) Add(c);
  }

  Result<Parsed> Parse(int argc, char** argv) {
    std::vector<std::string> tokens;
    for (int i = argc - 1; i >= 1; --i) tokens.emplace_back(argv[i]);
    try {
      app_.parse(tokens);
    } catch (const CLI::ArgumentMismatch& e) {
      std::string what = e.what();
      const auto colon = what.find(':');
      if (what.find("required") != std::string::npos && colon != std::string::npos) {
        return Usage("option " + what.substr(0, colon) + " needs a value");
      }
      return Usage(what);
    } catch (const CLI::ParseError& e) {
      return Usage(e.what());
    }
    Parsed parsed;
    Node* node = &root_;
    for (Node* next = nullptr;; node = next) {
      next = nullptr;
      for (auto& c : node->children) {
        if (c->app->parsed()) next = c.get();
      }
      if (next == nullptr) break;
    }
    for (Node* n = node; n != nullptr; n = n->parent)
      global_.help = global_.help || n->help->count() > 0;
    if (help_->parsed()) {
      global_.help = true;
      if (node != &root_) return Usage("help takes command words, not a command");
    }

    std::vector<std::string> extras;
    for (auto& extra : app_.remaining(true)) {
      if (extra != "--") extras.push_back(std::move(extra));  // CLI11 keeps the "--" it honoured
    }
    for (const auto& extra : extras) {
      if (extra.size() < 2 || extra[0] != '-') continue;
      std::string name = extra.substr(extra[1] == '-' ? 2 : 1);
      name = name.substr(0, name.find('='));
      std::vector<std::string> known;
      for (const char* g : kGlobalOptionNames) known.push_back(std::string("--") + g);
      if (node->command != nullptr) {
        for (const auto& o : node->command->options) known.push_back("--" + o.name);
      }
      std::string message =
          "unknown option " + extra.substr(0, extra.find('=')) + DidYouMean("--" + name, known);
      if (node->command != nullptr)
        message += "; usage: " + UsageLine(*node->command);
      else if (!node->words.empty())
        message += " for '" + Words(node->words) + "'";
      return Usage(message);
    }
    if (!extras.empty()) {
      std::vector<std::string> words = node->words;
      words.push_back(extras.front());
      return Usage("unknown command '" + Words(words) + "'" +
                   DidYouMean(extras.front(), node->ChildWords()) + " (see parley " +
                   (node->words.empty() ? "" : Words(node->words) + " ") + "--help)");
    }

    if (help_->parsed()) {
      // `parley help WORD...`: the words must name a command or a group.
      Node* topic = &root_;
      for (const auto& w : help_words_) {
        Node* child = topic->Child(w);
        if (child == nullptr) {
          std::vector<std::string> words = topic->words;
          words.push_back(w);
          return Usage("unknown command '" + Words(words) + "'" +
                       DidYouMean(w, topic->ChildWords()) + " (see parley --help)");
        }
        topic = child;
      }
      parsed.help_words = topic->words;
      return parsed;
    }
    if (global_.help) {
      parsed.help_words = node->words;
      return parsed;
    }
    if (node->command == nullptr) {
      if (global_.version) return parsed;
      if (node == &root_) return Usage("no command given (see parley --help)");
      std::string choices;
      for (const auto& w : node->ChildWords()) choices += (choices.empty() ? "" : "|") + w;
      return Usage("incomplete command '" + Words(node->words) + "': " + Words(node->words) + " " +
                   choices + " (see parley " + Words(node->words) + " --help)");
    }
    if (global_.version) return parsed;

    const Command& command = *node->command;
    parsed.command = &command;
    Invocation& inv = parsed.invocation;
    inv.args = node->args->results();
    for (const auto& [spec, option] : node->options) {
      if (option->count() == 0) continue;
      if (option->count() > 1 && !spec->repeatable)
        return Usage("option --" + spec->name + " given twice");
      auto& slot = inv.options[spec->name];
      if (spec->takes_value) {
        slot = option->results();
      } else {
        slot.assign(option->count(), "");
      }
    }
    const UsageShape shape = Shape(command);
    if (inv.args.size() < command.min_args) {
      const std::string missing = inv.args.size() < shape.args.size() ? shape.args[inv.args.size()]
                                                                      : std::string("an argument");
      return Usage("missing " + missing + "; usage: " + UsageLine(command));
    }
    if (inv.args.size() > command.max_args) {
      return Usage("unexpected argument '" + inv.args[command.max_args] +
                   "'; usage: " + UsageLine(command));
    }
    for (const auto& [name, shown] : shape.required) {
      if (!inv.Has(name)) return Usage("missing " + shown + "; usage: " + UsageLine(command));
    }
    return parsed;
  }

 private:
  void Add(const Command& command) {
    Node* node = &root_;
    for (const auto& word : command.words) {
      Node* child = node->Child(word);
      if (child == nullptr) {
        auto made = std::make_unique<Node>();
        made->words = node->words;
        made->words.push_back(word);
        made->parent = node;
        made->app = node->app->add_subcommand(word);
        made->app->set_help_flag();
        made->help = made->app->add_flag("-h,--help");
        child = made.get();
        node->children.push_back(std::move(made));
      }
      node = child;
    }
    node->command = &command;
    node->app->description(command.summary);
    for (const auto& spec : command.options) {
      CLI::Option* option = spec.takes_value
                                ? node->app->add_option("--" + spec.name)->take_all()->expected(1)
                                : node->app->add_flag("--" + spec.name)->disable_flag_override();
      node->options.emplace_back(&spec, option);
    }
    // The arguments: a positional that always wants more (CLI11 hands it every word that is
    // not an option, also after "--"); their count is checked against the table here. Not
    // allow_extra_args: CLI11 would split a value written "[a,b]" at its commas.
    node->args = node->app->add_option("args")
                     ->expected(kMaxArgs, kMaxArgs)
                     ->allow_extra_args(false)
                     ->take_all();
  }

  GlobalOptions& global_;
  CLI::App app_{"parley"};
  Node root_;
  CLI::App* help_ = nullptr;
  std::vector<std::string> help_words_;
};

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

std::string DidYouMean(std::string_view word, const std::vector<std::string>& known) {
  std::size_t best = std::max<std::size_t>(1, word.size() / 3) + 1;
  std::vector<std::string> closest;
  for (const auto& k : known) {
    std::size_t d = EditDistance(word, k);
    // A word that starts the known one ("neg" for "negotiation") is as good as a typo.
    if (word.size() >= 3 && k.rfind(word, 0) == 0) d = std::min<std::size_t>(d, 1);
    if (d < best) {
      best = d;
      closest = {k};
    } else if (d == best && std::find(closest.begin(), closest.end(), k) == closest.end()) {
      closest.push_back(k);
    }
  }
  if (closest.empty()) return "";
  std::string out = " (did you mean ";
  for (std::size_t i = 0; i < closest.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == closest.size() ? " or " : ", ") + ("'" + closest[i] + "'");
  }
  return out + "?)";
}

Result<Parsed> Parse(int argc, char** argv, const std::vector<Command>& commands,
                     GlobalOptions& global) {
  Cli cli(commands, global);
  return cli.Parse(argc, argv);
}

std::string HelpText(const std::vector<Command>& commands, const std::vector<std::string>& words) {
  if (words.empty()) return GlobalHelp(commands);
  std::string out;
  for (const auto& c : commands) {
    if (c.words != words) continue;
    out += "usage: " + UsageLine(c) + "\n  " + c.summary + "\n";
    std::string text;
    for (const auto& name : TextFieldNames(c)) text += (text.empty() ? "" : ", ") + name;
    if (!text.empty()) {
      out += "  free text (" + text +
             "): give - to read it from standard input or @edit to type it in $EDITOR\n";
    }
  }
  std::string group;
  for (const auto& c : commands) {
    if (c.words.size() > words.size() && StartsWith(c.words, words)) {
      group += "  " + UsageLine(c) + "\n      " + c.summary + "\n";
    }
  }
  if (!group.empty()) {
    out += (out.empty() ? "" : "\n") + ("commands of parley " + Words(words) + ":\n") + group;
    out += "\n`parley " + Words(words) + " COMMAND --help` shows one of them.\n";
  }
  if (!out.empty()) {
    out +=
        "global options: [--data DIR] [--keystore DIR] [--json] [--utc] (anywhere on the line)\n";
  }
  return out;
}

}  // namespace parley::cli
