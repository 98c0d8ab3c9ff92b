// parley-relay: the sync relay. See docs/wire-protocol.md and `parley-relay help`.
//
//   parley-relay init    --data DIR [--address HOST:PORT]
//   parley-relay info    --data DIR [--address HOST:PORT] [--json]
//   parley-relay serve   --data DIR [--listen HOST:PORT] [options: serve_options.h]
//   parley-relay metrics --data DIR
// GCC 12 at -O2 reports a false -Wnull-dereference inside CLI11's inlined string splitting
// (a system header); this file turns that one warning off from here on.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "parley/platform/edit_distance.h"
#include "parley/platform/posix_env.h"
#include "parley/platform/process_hardening.h"
#include "parley/relay/relay_server.h"
#include "parley/relay/tuning.h"
#include "parley/sync/relay_pairing.h"
#include "relay_files.h"
#include "serve_options.h"

namespace parley::relay_app {
namespace {

std::string Usage() {
  return "usage:\n"
         "  parley-relay init    --data DIR [--address HOST:PORT]   create the relay key, print "
         "the pairing code\n"
         "  parley-relay info    --data DIR [--address HOST:PORT] [--json]\n"
         "  parley-relay serve   --data DIR [--listen HOST:PORT] [options]\n"
         "  parley-relay metrics --data DIR\n"
         "  parley-relay help | --help | --version\n"
         "serve options (allowed values, default):\n" +
         ServeOptionsHelp();
}

// A parsed command line: the command and its options ("--name" -> value, "" for switches).
struct Args {
  std::string command;
  std::map<std::string, std::string> flags;
};

std::string Flag(const Args& a, const std::string& name, const std::string& fallback = "") {
  auto it = a.flags.find(name);
  return it == a.flags.end() ? fallback : it->second;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "parley-relay: %s\n", msg.c_str());
  return 1;
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

// How parsing ended: run `Args::command` (exit_code -1), or print `message` and exit.
struct Outcome {
  int exit_code = -1;
  std::string message;  // exit 0: for standard output; otherwise the one-line reason
};

// The command line, parsed by CLI11: one subcommand per command, each with the options it
// takes. An unknown command or a malformed line exits 2 with the usage; an option the
// command does not take exits 1, naming it and the closest one it takes.
Outcome Parse(int argc, char** argv, Args* out) {
  CLI::App app{"parley-relay"};
  app.set_help_flag("-h,--help");
  app.allow_extras();
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version);
  struct Sub {
    CLI::App* app;
    std::vector<std::pair<std::string, CLI::Option*>> options;
  };
  std::vector<Sub> subs;
  auto add = [&](const char* name, const char* what, const std::vector<std::string>& values,
                 bool json) {
    Sub sub{app.add_subcommand(name, what), {}};
    for (const auto& v : values) sub.options.emplace_back(v, sub.app->add_option(v)->take_last());
    if (json) sub.options.emplace_back("--json", sub.app->add_flag("--json"));
    subs.push_back(std::move(sub));
  };
  add("init", "create the relay key, print the pairing code", {"--data", "--address"}, false);
  add("info", "the relay's key, pairing code and address", {"--data", "--address"}, true);
  std::vector<std::string> serve = {"--data", "--listen"};
  for (const auto& name : ServeOptionNames()) serve.push_back(name);
  add("serve", "serve until SIGINT or SIGTERM", serve, false);
  add("metrics", "the counters of the serving relay", {"--data"}, false);
  CLI::App* help = app.add_subcommand("help", "this text");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return {0, Usage()};
  } catch (const CLI::ParseError& e) {
    return {2, std::string(e.what()) + "\n" + Usage()};
  }
  if (version) return {0, std::string("parley-relay ") + PARLEY_VERSION + "\n"};
  if (help->parsed()) return {0, Usage()};
  std::vector<std::string> names;
  for (auto& sub : subs) {
    names.push_back(sub.app->get_name());
    if (!sub.app->parsed()) continue;
    out->command = sub.app->get_name();
    for (const auto& extra : sub.app->remaining()) {
      if (extra.rfind("-", 0) != 0) return {2, "unexpected argument " + extra + "\n" + Usage()};
      std::vector<std::string> known;
      for (const auto& [name, option] : sub.options) known.push_back(name);
      const std::string name = extra.substr(0, extra.find('='));
      return {1, out->command + " does not take " + name + DidYouMean(name, known)};
    }
    for (const auto& [name, option] : sub.options) {
      if (option->count() > 0)
        out->flags[name] = option->results().empty() ? "" : option->results().back();
    }
    return {};
  }
  const std::vector<std::string> extras = app.remaining();
  if (extras.empty()) return {2, "missing command\n" + Usage()};
  names.push_back("help");
  return {2,
          "unknown command " + extras.front() + DidYouMean(extras.front(), names) + "\n" + Usage()};
}

// "host:port" or "[v6]:port".
bool SplitHostPort(const std::string& s, std::string* host, std::uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size()) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  const std::string digits = s.substr(colon + 1);
  if (digits.size() > 5 || host->empty()) return false;
  unsigned long p = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535) return false;
  *port = static_cast<std::uint16_t>(p);
  return true;
}

std::string PairingCode(const crypto::DhKeyPair& key, const std::string& address) {
  return wire::EncodeRelayPairingCode(wire::RelayPairing{key.public_key, address});
}

int Init(const Args& a) {
  const std::string dir = Flag(a, "--data");
  if (dir.empty()) return Fail("init needs --data DIR");
  Env& env = PosixEnv();
  if (Status s = CreateKey(env, dir); !s.ok()) return Fail(s.ToString());
  const std::string address = Flag(a, "--address");
  if (!address.empty()) {
    if (Status s = SaveAddress(env, dir, address); !s.ok()) return Fail(s.ToString());
  }
  auto key = LoadKey(env, dir);
  if (!key.ok()) return Fail(key.status().ToString());
  std::printf("relay key created in %s\npublic key:   %s\npairing code: %s\n", dir.c_str(),
              crypto::ToHex(key->public_key).c_str(), PairingCode(*key, address).c_str());
  return 0;
}

int Info(const Args& a) {
  const std::string dir = Flag(a, "--data");
  if (dir.empty()) return Fail("info needs --data DIR");
  Env& env = PosixEnv();
  auto key = LoadKey(env, dir);
  if (!key.ok()) return Fail(key.status().ToString());
  const std::string address = Flag(a, "--address", LoadAddress(env, dir));
  const std::string hex = crypto::ToHex(key->public_key);
  const std::string code = PairingCode(*key, address);
  if (a.flags.count("--json")) {
    // As parley's --json documents (docs/cli.md, "JSON output"): an object with "schema": 1.
    const nlohmann::json info = {
        {"schema", 1},
        {"public_key", hex},
        {"pairing_code", code},
        {"address", address.empty() ? nlohmann::json() : nlohmann::json(address)}};
    std::printf("%s\n",
                info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("public key:   %s\npairing code: %s\naddress:      %s\n", hex.c_str(), code.c_str(),
                address.empty() ? "(none)" : address.c_str());
  }
  return 0;
}

int Metrics(const Args& a) {
  const std::string dir = Flag(a, "--data");
  if (dir.empty()) return Fail("metrics needs --data DIR");
  auto raw = PosixEnv().ReadFile(MetricsPath(dir));
  if (!raw.ok()) return Fail("no metrics in " + dir + " (is the relay serving?)");
  std::fwrite(raw->data(), 1, raw->size(), stdout);
  return 0;
}

int Serve(const Args& a) {
  const std::string dir = Flag(a, "--data");
  if (dir.empty()) return Fail("serve needs --data DIR");
  relay::RelayOptions o;
  if (!SplitHostPort(Flag(a, "--listen", relay::tuning::kDefaultServeAddress), &o.listen_host,
                     &o.listen_port)) {
    return Fail("--listen must be HOST:PORT with PORT 0..65535, not \"" + Flag(a, "--listen") +
                "\"");
  }
  if (std::string error = ParseServeOptions(a.flags, &o); !error.empty()) return Fail(error);
  o.metrics_path = MetricsPath(dir);
  o.handle_signals = true;

  Env& env = PosixEnv();
  auto key = LoadKey(env, dir);
  if (!key.ok()) return Fail(key.status().ToString());
  auto writer = relay::OpenSqliteRelayStorage(DbPath(dir));
  if (!writer.ok()) return Fail(writer.status().ToString());
  auto reader = relay::OpenSqliteRelayStorage(DbPath(dir));
  if (!reader.ok()) return Fail(reader.status().ToString());
  relay::RelayServer server(o, std::move(*key), std::move(*writer), std::move(*reader));
  if (Status s = server.Start(); !s.ok()) return Fail(s.ToString());
  server.Wait();
  return 0;
}

}  // namespace
}  // namespace parley::relay_app

int main(int argc, char** argv) {
  using namespace parley::relay_app;
  // Before the relay key is read: no core file, no reading of its memory by other processes.
  if (parley::Status s = parley::DisableCoreDumps(); !s.ok()) return Fail(s.message());
  if (!parley::crypto::InitCrypto().ok()) return Fail("libsodium failed to initialize");
  Args args;
  if (Outcome o = Parse(argc, argv, &args); o.exit_code >= 0) {
    if (o.exit_code == 0) {
      std::fputs(o.message.c_str(), stdout);
    } else {
      std::fprintf(stderr, "parley-relay: %s\n", o.message.c_str());
    }
    return o.exit_code;
  }
  if (args.command == "init") return Init(args);
  if (args.command == "info") return Info(args);
  if (args.command == "serve") return Serve(args);
  return Metrics(args);
}
