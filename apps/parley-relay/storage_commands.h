// The commands of parley-relay that work on the relay's storage through
// RelayStorage (any backend, opened with OpenRelayStorage): `vault allow`,
// `vault list` and `migrate`. Each prints its result on standard output and
// returns the exit code (1 on any failure, with one line "parley-relay: ..." on
// standard error). Thread safety: the main thread.
#pragma once

#include <string>

namespace parley::relay_app {

// Admits the vault `vault_hex` (64 hex digits) with its own quota
// (`quota_bytes`: decimal digits, "" or "0": the relay's default). Works beside
// a serving relay.
int VaultAllow(const std::string& spec, const std::string& data, const std::string& vault_hex,
               const std::string& quota_bytes);
// Every vault registered or allowed, with its usage; `json`: one JSON object.
int VaultList(const std::string& spec, const std::string& data, bool json);
// Copies everything from storage `from` into the empty storage `to` and
// verifies the copy (MigrateRelayStorage). The caller holds the data
// directory's lock.
int Migrate(const std::string& data, const std::string& from, const std::string& to);

}  // namespace parley::relay_app
