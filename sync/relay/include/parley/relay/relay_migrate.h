// Moving a relay's storage between backends (SQLite <-> PostgreSQL), for `parley-relay
// migrate`: everything is copied as stored (vaults in their registration order, membership
// lists and their indexes, changes with their relay sequence numbers, purged ones included,
// chain heads, key envelopes, allowances and quotas), then the target is read back and
// compared with the source.
//
// Run it while no relay serves either storage: changes committed to the source meanwhile
// are not copied (the verification then fails). Thread: the caller's; the storages are used
// by this thread only during the call.
#pragma once

#include <cstdint>
#include <string>

#include "parley/relay/relay_storage.h"

namespace parley::relay {

struct MigrateReport {
  std::uint64_t vaults = 0;        // registered vaults copied
  std::uint64_t allowances = 0;    // vaults admitted by the operator (AllowVault)
  std::uint64_t changes = 0;       // changes copied, purged ones included
  std::uint64_t purged = 0;        // of which purged (number and id only)
  std::uint64_t stored_bytes = 0;  // change data copied
  std::uint64_t chains = 0;        // chain heads
  std::uint64_t envelopes = 0;     // key envelopes
  // BLAKE2b-256 over every vault's digest (docs/relay-operations.md, "Migrate"), hex: equal on
  // both sides when verified.
  std::string digest;
};

// Copies `from` into `to` and verifies the copy: the same vaults in the same order, each
// with the same row, chain heads, envelopes and change digest, and the same vault usage
// (ListVaults). `report` (may be null) receives the figures.
// Errors: Code::kAlreadyExists when `to` holds any vault or allowance (nothing is written);
// Code::kCorrupt when the verification finds a difference (the message names what, by
// vault id); otherwise the failing storage call's status. A failed migration may leave `to`
// partly filled: empty it (or make a new one) before trying again.
Status MigrateRelayStorage(RelayStorage& from, RelayStorage& to, MigrateReport* report);

}  // namespace parley::relay
