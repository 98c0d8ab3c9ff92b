// parley-relay: the sync relay. See docs/wire-protocol.md and `parley-relay help`.
//
//   parley-relay init    --data DIR [--address HOST:PORT]
//   parley-relay info    --data DIR [--address HOST:PORT] [--json]
//   parley-relay serve   --data DIR [--listen HOST:PORT] [options: serve_options.h]
//   parley-relay metrics --data DIR
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

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
         "  parley-relay init    --data DIR [--address HOST:PORT]   create the relay key, print the pairing code\n"
         "  parley-relay info    --data DIR [--address HOST:PORT] [--json]\n"
         "  parley-relay serve   --data DIR [--listen HOST:PORT] [options]\n"
         "  parley-relay metrics --data DIR\n"
         "serve options (allowed values, default):\n" +
         ServeOptionsHelp();
}

struct Args {
  std::string command;
  std::map<std::string, std::string> flags;  // "--name" -> value ("" for switches)
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "parley-relay: %s\n", msg.c_str());
  return 1;
}

bool Parse(int argc, char** argv, Args* out, std::string* error) {
  if (argc < 2) {
    *error = "missing command";
    return false;
  }
  out->command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      *error = "unexpected argument " + a;
      return false;
    }
    if (a == "--json") {
      out->flags[a] = "";
    } else if (i + 1 < argc) {
      out->flags[a] = argv[++i];
    } else {
      *error = a + " needs a value";
      return false;
    }
  }
  return true;
}

std::string Flag(const Args& a, const std::string& name, const std::string& fallback = "") {
  auto it = a.flags.find(name);
  return it == a.flags.end() ? fallback : it->second;
}

// Refuses options `command` does not take.
bool OnlyKnown(const Args& a, std::initializer_list<const char*> known, std::string* error) {
  for (const auto& [name, value] : a.flags) {
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) {
      *error = a.command + " does not take " + name;
      return false;
    }
  }
  return true;
}

// "host:port" or "[v6]:port".
bool SplitHostPort(const std::string& s, std::string* host, std::uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size()) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
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
    // Every value is hex, base32 or a host:port the operator typed; escape quotes anyway.
    std::string esc;
    for (char c : address) {
      if (c == '"' || c == '\\') esc += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) esc += c;
    }
    std::printf("{\"public_key\":\"%s\",\"pairing_code\":\"%s\",\"address\":\"%s\"}\n", hex.c_str(), code.c_str(),
                esc.c_str());
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
  if (!SplitHostPort(Flag(a, "--listen", relay::tuning::kDefaultServeAddress), &o.listen_host, &o.listen_port)) {
    return Fail("--listen must be HOST:PORT with PORT 0..65535, not \"" + Flag(a, "--listen") + "\"");
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
  std::string error;
  if (!Parse(argc, argv, &args, &error)) {
    std::fprintf(stderr, "parley-relay: %s\n%s", error.c_str(), Usage().c_str());
    return 2;
  }
  const bool known_flags = args.command == "init"   ? OnlyKnown(args, {"--data", "--address"}, &error)
                          : args.command == "info"   ? OnlyKnown(args, {"--data", "--address", "--json"}, &error)
                          : args.command == "metrics" ? OnlyKnown(args, {"--data"}, &error)
                                                      : true;  // serve checks its own
  if (!known_flags) return Fail(error);
  if (args.command == "init") return Init(args);
  if (args.command == "info") return Info(args);
  if (args.command == "serve") return Serve(args);
  if (args.command == "metrics") return Metrics(args);
  if (args.command == "help" || args.command == "--help") {
    std::printf("%s", Usage().c_str());
    return 0;
  }
  std::fprintf(stderr, "parley-relay: unknown command %s\n%s", args.command.c_str(), Usage().c_str());
  return 2;
}
