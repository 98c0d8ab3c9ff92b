// parley-relay: the sync relay. See docs/relay-operations.md and `parley-relay help`.
//
//   parley-relay init    --data DIR [--address HOST:PORT]
//   parley-relay info    --data DIR [--address HOST:PORT] [--json]
//   parley-relay serve   --data DIR [--listen HOST:PORT] [options: serve_options.h]
//   parley-relay metrics --data DIR
//   parley-relay backup  --data DIR DEST          parley-relay backup verify DEST
//   parley-relay vault allow --data DIR VAULT [--quota-bytes N]     parley-relay vault list
//   parley-relay migrate --data DIR --from SPEC --to SPEC
//
// Exit codes: 0 success; 1 usage errors and every failure (the message says which), as
// `parley` does for usage errors. Everything the program creates is private: umask 077, the
// data directory 0700 and its files 0600 (a looser existing one is tightened).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "log.h"
#include "parley/platform/edit_distance.h"
#include "parley/platform/posix_env.h"
#include "parley/platform/process_hardening.h"
#include "parley/relay/relay_backup.h"
#include "parley/relay/relay_server.h"
#include "parley/relay/tuning.h"
#include "parley/sync/relay_pairing.h"
#include "relay_files.h"
#include "serve_options.h"
#include "storage_commands.h"

#ifdef PARLEY_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace parley::relay_app {
namespace {

// One command: its name ("backup verify"), what it does, its options and arguments.
struct Command {
  std::string name;
  std::string arguments;  // the usage after the name
  std::string summary;
  std::vector<std::string> options;   // take a value
  std::vector<std::string> switches;  // take none
  std::vector<std::string> positionals;
  std::string details;  // more help
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = [] {
    std::vector<Command> c;
    c.push_back({"init",
                 "--data DIR [--address HOST:PORT]",
                 "create the data directory and the relay key, print the pairing code",
                 {"--data", "--address"},
                 {},
                 {},
                 "  --data DIR            the data directory (created 0700)\n"
                 "  --address HOST:PORT   the address devices reach the relay at, kept in\n"
                 "                        DIR/address and put in the pairing code\n"});
    c.push_back({"info",
                 "--data DIR [--address HOST:PORT] [--json]",
                 "the relay's public key, pairing code and address",
                 {"--data", "--address"},
                 {"--json"},
                 {},
                 "  --data DIR            the data directory\n"
                 "  --address HOST:PORT   the address to put in the pairing code (default: the\n"
                 "                        one init kept)\n"
                 "  --json                one JSON object: schema, public_key, pairing_code, "
                 "address\n"});
    Command serve{"serve",
                  "--data DIR [--listen HOST:PORT] [--config FILE] [options]",
                  "serve devices until SIGINT or SIGTERM",
                  {},
                  ServeSwitchNames(),
                  {},
                  "Each setting is taken from the command line, else the environment variable\n"
                  "named, else the configuration file (--config FILE or PARLEY_RELAY_CONFIG,\n"
                  "else DIR/relay.toml when it exists; keys are the options without \"--\" and\n"
                  "with '_' for '-'), else its default.\n"
                  "  --config FILE                       the TOML configuration file\n"
                  "  --print-config                      print the effective configuration "
                  "and\n"
                  "                                      where each value came from; do not "
                  "serve\n" +
                      ServeOptionsHelp()};
    for (const auto& name : ServeOptionNames()) {
      if (std::find(serve.switches.begin(), serve.switches.end(), name) == serve.switches.end())
        serve.options.push_back(name);
    }
    c.push_back(std::move(serve));
    c.push_back(
        {"metrics", "--data DIR", "the counters of the relay serving DIR", {"--data"}, {}, {}, ""});
    c.push_back({"backup",
                 "--data DIR [--config FILE] [--storage SPEC] DEST",
                 "copy the relay's SQLite storage, key and address into the directory DEST, "
                 "while it serves",
                 {"--data", "--config", "--storage"},
                 {},
                 {"DEST"},
                 "DEST becomes a whole data directory: serving from it restores the relay.\n"
                 "The storage is copied as one consistent snapshot (SQLite's online backup);\n"
                 "the relay keeps serving meanwhile. PostgreSQL storage is backed up with\n"
                 "pg_dump instead (docs/relay-operations.md).\n"});
    c.push_back({"backup verify",
                 "DEST [--json]",
                 "check a backup: integrity, schema, gap-free sequences, chain heads; print "
                 "counts",
                 {},
                 {"--json"},
                 {"DEST"},
                 "Exit 0 when the backup is sound, 1 otherwise (each problem found is listed).\n"});
    c.push_back({"vault allow",
                 "--data DIR [--config FILE] [--storage SPEC] VAULT [--quota-bytes N]",
                 "admit the vault VAULT (its id, 64 hex digits) to this relay, with its own quota",
                 {"--data", "--config", "--storage", "--quota-bytes"},
                 {},
                 {"VAULT"},
                 "With admission = allowlist (the default) a device may register only a vault\n"
                 "admitted here first. --quota-bytes N: the bytes of changes the vault may hold\n"
                 "(0 or none: the relay's --vault-quota-bytes). Allowing a vault again replaces\n"
                 "its quota. Works while the relay serves.\n"});
    c.push_back({"vault list",
                 "--data DIR [--config FILE] [--storage SPEC] [--json]",
                 "every vault registered or allowed, its changes, stored bytes and quota",
                 {"--data", "--config", "--storage"},
                 {"--json"},
                 {},
                 ""});
    c.push_back({"migrate",
                 "--data DIR --from SPEC --to SPEC",
                 "copy the relay's storage into other, empty storage and verify the copy",
                 {"--data", "--from", "--to"},
                 {},
                 {},
                 "SPEC: sqlite, sqlite:PATH or a postgresql:// URI (as --storage). The relay\n"
                 "must not serve DIR meanwhile (migrate takes its lock). Then serve with\n"
                 "--storage set to the target.\n"});
    c.push_back({"help", "[COMMAND]", "this text, or the help of COMMAND", {}, {}, {}, ""});
    return c;
  }();
  return commands;
}

std::string Usage() {
  std::string out = "usage:\n";
  for (const Command& c : Commands()) {
    std::string line = "  parley-relay " + c.name + " " + c.arguments;
    out += line + "\n      " + c.summary + "\n";
  }
  out +=
      "  parley-relay --version\n`parley-relay help COMMAND` (or COMMAND --help) lists its "
      "options.\n";
  return out;
}

std::string CommandHelp(const Command& c) {
  return "usage: parley-relay " + c.name + " " + c.arguments + "\n" + c.summary + "\n" +
         (c.details.empty() ? "" : "\n" + c.details);
}

// A parsed command line: the command and its options ("--name" -> value, "" for switches).
struct Args {
  const Command* command = nullptr;
  std::map<std::string, std::string> flags;
  std::vector<std::string> positionals;
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

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// How parsing ended: run `Args::command` (exit_code -1), or print `message` and exit.
struct Outcome {
  int exit_code = -1;
  std::string message;  // exit 0: for standard output; otherwise the reason
};

Outcome UnknownCommand(const std::string& name) {
  std::vector<std::string> names;
  for (const Command& c : Commands()) {
    if (c.name.find(' ') == std::string::npos) names.push_back(c.name);
  }
  return {1, "unknown command " + name + DidYouMean(name, names) +
                 "; `parley-relay help` lists the commands"};
}

Outcome Parse(int argc, char** argv, Args* out) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) return {1, "missing command; `parley-relay help` lists the commands"};
  const std::string first = words[0];
  if (first == "--version") return {0, std::string("parley-relay ") + PARLEY_VERSION + "\n"};
  if (first == "--help" || first == "-h") return {0, Usage()};
  if (first == "help") {
    if (words.size() == 1) return {0, Usage()};
    std::string name = words[1];
    if (words.size() > 2) name += " " + words[2];
    if (const Command* c = FindCommand(name)) return {0, CommandHelp(*c)};
    if (const Command* c = FindCommand(words[1])) return {0, CommandHelp(*c)};
    return UnknownCommand(words[1]);
  }
  std::size_t next = 1;
  const Command* command = nullptr;
  if (words.size() > 1) {
    command = FindCommand(first + " " + words[1]);
    if (command != nullptr) next = 2;
  }
  if (command == nullptr) command = FindCommand(first);
  if (command == nullptr && first == "vault")
    return {1, "vault needs allow or list; `parley-relay help` lists the commands"};
  if (command == nullptr || command->name == "help") return UnknownCommand(first);
  out->command = command;
  const std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(next),
                                      words.end());
  for (const std::string& w : rest) {
    if (w == "--help" || w == "-h") return {0, CommandHelp(*command)};
  }
  std::vector<std::string> known = command->options;
  known.insert(known.end(), command->switches.begin(), command->switches.end());
  known.emplace_back("--help");
  bool only_positionals = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const std::string& w = rest[i];
    if (only_positionals || w.empty() || w[0] != '-' || w == "-") {
      out->positionals.push_back(w);
      continue;
    }
    if (w == "--") {
      only_positionals = true;
      continue;
    }
    const auto eq = w.find('=');
    const std::string name = w.substr(0, eq);
    const bool is_switch = std::find(command->switches.begin(), command->switches.end(), name) !=
                           command->switches.end();
    const bool takes_value =
        std::find(command->options.begin(), command->options.end(), name) != command->options.end();
    if (!is_switch && !takes_value) {
      return {1, command->name + " does not take " + name + DidYouMean(name, known) +
                     "; `parley-relay help " + command->name + "` lists its options"};
    }
    if (is_switch) {
      out->flags[name] = eq == std::string::npos ? "" : w.substr(eq + 1);
      if (eq != std::string::npos && name == "--json") return {1, "--json takes no value"};
      continue;
    }
    if (eq != std::string::npos) {
      out->flags[name] = w.substr(eq + 1);
    } else if (i + 1 < rest.size()) {
      out->flags[name] = rest[++i];
    } else {
      return {1,
              name + " needs a value; `parley-relay help " + command->name + "` lists the options"};
    }
  }
  if (out->positionals.size() > command->positionals.size()) {
    return {1, "unexpected argument " + out->positionals[command->positionals.size()] + " for " +
                   command->name + "; usage: parley-relay " + command->name + " " +
                   command->arguments};
  }
  if (out->positionals.size() < command->positionals.size()) {
    return {1, command->name + " needs " + command->positionals[out->positionals.size()] +
                   "; usage: parley-relay " + command->name + " " + command->arguments};
  }
  return {};
}

std::string PairingCode(const crypto::DhKeyPair& key, const std::string& address) {
  return wire::EncodeRelayPairingCode(wire::RelayPairing{key.public_key, address});
}

bool DirExists(const std::string& dir) {
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The data directory of a command that needs an existing one, made private.
Status OpenDataDir(const std::string& dir, std::string* tightened) {
  if (!DirExists(dir)) {
    return Error(
        Domain::kApp, Code::kNotFound,
        "no relay data directory " + dir + " (run parley-relay init --data " + dir + " first)");
  }
  return SecureDataDir(dir, false, tightened);
}

void ReportTightened(const std::string& tightened) {
  if (!tightened.empty())
    std::fprintf(stderr, "parley-relay: made private: %s\n", tightened.c_str());
}

int Init(const Args& a) {
  const std::string dir = Flag(a, "--data");
  if (dir.empty()) return Fail("init needs --data DIR");
  std::string tightened;
  if (Status s = SecureDataDir(dir, true, &tightened); !s.ok()) return Fail(s.message());
  ReportTightened(tightened);
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
  std::string tightened;
  if (Status s = OpenDataDir(dir, &tightened); !s.ok()) return Fail(s.message());
  ReportTightened(tightened);
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
  // A relay serving DIR holds its lock: when this process can take it, nobody serves, and
  // the file holds the last figures of a relay that stopped (relay_up 0) or was killed.
  if (auto probe = DirLock::Take(dir); probe.ok()) {
    const std::string text(raw->begin(), raw->end());
    const bool clean = text.find("relay_up 0\n") != std::string::npos;
    std::fprintf(stderr, "parley-relay: no relay serves %s: the last figures of one that %s\n",
                 dir.c_str(),
                 clean ? "stopped" : "did not stop cleanly (killed?); counters restart at 0");
  } else if (probe.status().code() != Code::kBusy) {
    return Fail(probe.status().message());
  }
  std::fwrite(raw->data(), 1, raw->size(), stdout);
  return 0;
}

bool IsPostgres(const std::string& spec) { return relay::IsPostgresStorageSpec(spec); }

// The SQLite file of a storage spec ("" or "sqlite": DATA/relay.db; "sqlite:PATH").
std::string SqlitePath(const std::string& spec, const std::string& data) {
  if (spec.rfind("sqlite:", 0) == 0) return spec.substr(7);
  return DbPath(data);
}

// Opens the storage `spec` names (relay_storage.h: SQLite in DATA/relay.db, sqlite:PATH, or
// PostgreSQL).
Result<std::unique_ptr<relay::RelayStorage>> OpenStorage(const std::string& spec,
                                                         const std::string& data) {
  return relay::OpenRelayStorage(spec, data);
}

void Notify([[maybe_unused]] const char* state) {
#ifdef PARLEY_HAVE_SYSTEMD
  (void)sd_notify(0, state);
#endif
}

int Serve(const Args& a) {
  ServeConfig config;
  if (std::string error = ResolveServeConfig(a.flags, RelayEnvironment(), true, &config);
      !error.empty()) {
    return Fail(error);
  }
  if (a.flags.count("--print-config")) {
    std::fputs(PrintServeConfig(config).c_str(), stdout);
    return 0;
  }
  const std::string& dir = config.data;
  std::string tightened;
  if (Status s = OpenDataDir(dir, &tightened); !s.ok()) return Fail(s.message());
  auto lock = DirLock::Take(dir);
  if (!lock.ok()) return Fail(lock.status().message());
  if (!tightened.empty()) relay::LogWarn("made_private", {{"files", tightened}});

  relay::RelayOptions o = config.relay;
  o.metrics_path = MetricsPath(dir);
  // Signals are taken here (sigwait below), so that systemd hears STOPPING=1 when a stop
  // begins; every thread the server starts inherits the blocked set.
  o.handle_signals = false;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Env& env = PosixEnv();
  auto key = LoadKey(env, dir);
  if (!key.ok()) return Fail(key.status().ToString());
  o.log_id_key = LogIdKey(*key);
  auto writer = OpenStorage(config.storage, dir);
  if (!writer.ok()) return Fail(writer.status().ToString());
  auto reader = OpenStorage(config.storage, dir);
  if (!reader.ok()) return Fail(reader.status().ToString());
  relay::RelayServer server(o, std::move(*key), std::move(*writer), std::move(*reader));
  if (Status s = server.Start(); !s.ok()) return Fail(s.ToString());
  // With PostgreSQL storage, the commits of other relay processes over the same database
  // (a no-op for SQLite). Without the feed the relay still serves; devices then learn of
  // other instances' changes at their next pull.
  if (Status s = server.FollowStorage(config.storage); !s.ok())
    relay::LogWarn("follow_storage_failed", {{"reason", s.message()}});
  Notify("READY=1");
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  relay::LogInfo("signal", {{"signal", sig}});
  Notify("STOPPING=1");
  server.RequestStop();
  server.Wait();
  return 0;
}

// The storage spec of a command that reads the serve configuration (`--data`, `--config`,
// `--storage`, the environment, the file).
Result<ServeConfig> StorageConfig(const Args& a) {
  std::map<std::string, std::string> flags;
  for (const char* name : {"--data", "--config", "--storage"}) {
    if (a.flags.count(name)) flags[name] = a.flags.at(name);
  }
  ServeConfig config;
  if (std::string error = ResolveServeConfig(flags, RelayEnvironment(), true, &config);
      !error.empty()) {
    return Error(Domain::kApp, Code::kInvalidArgument, error);
  }
  return config;
}

int Backup(const Args& a) {
  auto config = StorageConfig(a);
  if (!config.ok()) return Fail(config.status().message());
  const std::string& dir = config->data;
  const std::string dest = a.positionals[0];
  if (IsPostgres(config->storage)) {
    return Fail(
        "backup copies SQLite storage only; back PostgreSQL storage up with pg_dump "
        "(pg_dump --format=custom --file=relay.dump DBNAME, then pg_restore into an empty "
        "database) and keep a copy of " +
        KeyPath(dir) + " with it: docs/relay-operations.md, \"Backup and restore\"");
  }
  std::string tightened;
  if (Status s = OpenDataDir(dir, &tightened); !s.ok()) return Fail(s.message());
  ReportTightened(tightened);
  struct stat a_st {};
  struct stat b_st {};
  if (::stat(dest.c_str(), &b_st) == 0 && ::stat(dir.c_str(), &a_st) == 0 &&
      a_st.st_dev == b_st.st_dev && a_st.st_ino == b_st.st_ino) {
    return Fail("DEST is the data directory itself: back up into another directory");
  }
  std::string dest_tightened;
  if (Status s = SecureDataDir(dest, true, &dest_tightened); !s.ok()) return Fail(s.message());
  ReportTightened(dest_tightened);
  // No relay may serve from DEST while its files are replaced.
  auto lock = DirLock::Take(dest);
  if (!lock.ok()) return Fail(lock.status().message());
  Env& env = PosixEnv();
  auto raw_key = env.ReadFile(KeyPath(dir));
  if (!raw_key.ok()) return Fail("no relay key in " + dir + ": " + raw_key.status().message());
  if (Status s = relay::BackupSqliteRelayStorage(SqlitePath(config->storage, dir), DbPath(dest));
      !s.ok()) {
    return Fail(s.ToString());
  }
  Status s = env.WriteFileAtomic(KeyPath(dest), *raw_key);
  std::fill(raw_key->begin(), raw_key->end(), 0);
  if (!s.ok()) return Fail(s.ToString());
  if (env.FileExists(AddressPath(dir))) {
    auto address = env.ReadFile(AddressPath(dir));
    if (!address.ok()) return Fail(address.status().ToString());
    if (Status w = env.WriteFileAtomic(AddressPath(dest), *address); !w.ok())
      return Fail(w.ToString());
  }
  auto size = env.FileSize(DbPath(dest));
  std::printf("backup of %s written to %s: relay.db (%llu bytes), relay.key%s\n", dir.c_str(),
              dest.c_str(), static_cast<unsigned long long>(size.ok() ? *size : 0),
              env.FileExists(AddressPath(dest)) ? ", address" : "");
  return 0;
}

int BackupVerify(const Args& a) {
  const std::string dest = a.positionals[0];
  const std::string db = DirExists(dest) ? DbPath(dest) : dest;
  auto check = relay::VerifySqliteRelayStorage(db);
  if (!check.ok()) return Fail(check.status().ToString());
  std::vector<std::string> problems = check->problems;
  bool key_ok = false;
  if (DirExists(dest)) {
    auto size = PosixEnv().FileSize(KeyPath(dest));
    key_ok = size.ok() && *size == crypto::kDhSize;
    if (!key_ok) problems.push_back("no relay key (relay.key of 32 bytes) in " + dest);
  }
  if (a.flags.count("--json")) {
    const nlohmann::json out = {{"schema", 1},
                                {"ok", problems.empty()},
                                {"schema_version", check->schema_version},
                                {"vaults", check->vaults},
                                {"changes", check->changes},
                                {"purged", check->purged},
                                {"chains", check->chains},
                                {"envelopes", check->envelopes},
                                {"problems", problems}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf(
        "schema version %lld: %llu vaults, %llu changes (%llu purged), %llu chain heads, "
        "%llu key envelopes\n",
        static_cast<long long>(check->schema_version),
        static_cast<unsigned long long>(check->vaults),
        static_cast<unsigned long long>(check->changes),
        static_cast<unsigned long long>(check->purged),
        static_cast<unsigned long long>(check->chains),
        static_cast<unsigned long long>(check->envelopes));
    for (const std::string& p : problems) std::printf("problem: %s\n", p.c_str());
  }
  if (!problems.empty()) {
    return Fail("the backup in " + dest + " has " + std::to_string(problems.size()) +
                " problem(s)");
  }
  if (!a.flags.count("--json")) std::printf("ok\n");
  return 0;
}

}  // namespace
}  // namespace parley::relay_app

int main(int argc, char** argv) {
  using namespace parley::relay_app;
  // Whatever it creates is the user's alone (the data directory 0700, its files 0600).
  ::umask(077);
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
  const std::string& command = args.command->name;
  if (command == "init") return Init(args);
  if (command == "info") return Info(args);
  if (command == "serve") return Serve(args);
  if (command == "backup") return Backup(args);
  if (command == "backup verify") return BackupVerify(args);
  if (command == "vault allow" || command == "vault list") {
    auto config = StorageConfig(args);
    if (!config.ok()) return Fail(config.status().message());
    std::string tightened;
    if (config->storage.empty() || config->storage.rfind("sqlite", 0) == 0) {
      if (parley::Status s = OpenDataDir(config->data, &tightened); !s.ok())
        return Fail(s.message());
    }
    if (command == "vault list")
      return VaultList(config->storage, config->data, args.flags.count("--json") > 0);
    return VaultAllow(config->storage, config->data, args.positionals[0],
                      Flag(args, "--quota-bytes"));
  }
  if (command == "migrate") {
    const std::string dir = Flag(args, "--data");
    if (dir.empty() || Flag(args, "--from").empty() || Flag(args, "--to").empty())
      return Fail("migrate needs --data DIR --from SPEC --to SPEC");
    std::string tightened;
    if (parley::Status s = OpenDataDir(dir, &tightened); !s.ok()) return Fail(s.message());
    auto lock = DirLock::Take(dir);
    if (!lock.ok()) return Fail(lock.status().message());
    return Migrate(dir, Flag(args, "--from"), Flag(args, "--to"));
  }
  return Metrics(args);
}
