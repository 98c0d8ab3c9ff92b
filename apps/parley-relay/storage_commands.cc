#include "storage_commands.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "parley/core/crypto.h"
#include "parley/relay/relay_migrate.h"
#include "parley/relay/relay_storage.h"

namespace parley::relay_app {
namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "parley-relay: %s\n", msg.c_str());
  return 1;
}

// 64 hex digits, either case.
bool ParseVaultHex(const std::string& hex, crypto::Bytes* out) {
  if (hex.size() != 64) return false;
  crypto::Bytes bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (std::size_t j = i; j < i + 2; ++j) {
      const char c = hex[j];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    bytes.push_back(static_cast<std::uint8_t>(v));
  }
  *out = std::move(bytes);
  return true;
}

// Decimal digits only, at most 19.
bool ParseBytes(const std::string& s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

int VaultAllow(const std::string& spec, const std::string& data, const std::string& vault_hex,
               const std::string& quota_bytes) {
  crypto::Bytes vault;
  if (!ParseVaultHex(vault_hex, &vault)) {
    return Fail("VAULT must be the vault id: 64 hex digits, not \"" + vault_hex + "\"");
  }
  std::uint64_t quota = 0;
  if (!quota_bytes.empty() && !ParseBytes(quota_bytes, &quota)) {
    return Fail(
        "--quota-bytes must be a whole number of bytes (0: the relay's "
        "default), not \"" +
        quota_bytes + "\"");
  }
  auto storage = relay::OpenRelayStorage(spec, data);
  if (!storage.ok()) return Fail(storage.status().ToString());
  if (Status s = (*storage)->AllowVault(vault, quota); !s.ok()) return Fail(s.ToString());
  std::printf("vault %s allowed, quota %s\n", crypto::ToHex(vault).c_str(),
              quota == 0 ? "the relay's default (--vault-quota-bytes)"
                         : (std::to_string(quota) + " bytes").c_str());
  return 0;
}

int VaultList(const std::string& spec, const std::string& data, bool json) {
  auto storage = relay::OpenRelayStorage(spec, data);
  if (!storage.ok()) return Fail(storage.status().ToString());
  auto vaults = (*storage)->ListVaults();
  if (!vaults.ok()) return Fail(vaults.status().ToString());
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const relay::VaultUsage& v : *vaults) {
      list.push_back({{"vault", crypto::ToHex(v.vault)},
                      {"registered", v.registered},
                      {"allowed", v.allowed},
                      {"changes", v.changes},
                      {"stored_bytes", v.stored_bytes},
                      {"quota_bytes", v.quota_bytes}});
    }
    const nlohmann::json out = {{"schema", 1}, {"vaults", list}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("%-64s  %-10s  %-7s  %10s  %14s  %14s\n", "vault", "registered", "allowed", "changes",
              "stored bytes", "quota bytes");
  for (const relay::VaultUsage& v : *vaults) {
    std::printf("%-64s  %-10s  %-7s  %10llu  %14llu  %14s\n", crypto::ToHex(v.vault).c_str(),
                v.registered ? "yes" : "no", v.allowed ? "yes" : "no",
                static_cast<unsigned long long>(v.changes),
                static_cast<unsigned long long>(v.stored_bytes),
                v.quota_bytes == 0 ? "default" : std::to_string(v.quota_bytes).c_str());
  }
  return 0;
}

int Migrate(const std::string& data, const std::string& from, const std::string& to) {
  if (from == to) return Fail("--from and --to name the same storage");
  auto source = relay::OpenRelayStorage(from, data);
  if (!source.ok()) return Fail("--from: " + source.status().ToString());
  auto target = relay::OpenRelayStorage(to, data);
  if (!target.ok()) return Fail("--to: " + target.status().ToString());
  relay::MigrateReport report;
  if (Status s = relay::MigrateRelayStorage(**source, **target, &report); !s.ok()) {
    return Fail("migration failed, nothing is served from the target: " + s.ToString());
  }
  std::printf("migrated and verified: serve with --storage set to the target\n");
  return 0;
}

}  // namespace parley::relay_app
