// The steps of one sync session over an authenticated connection (client.h, steps 1-3).
// Each step records its progress durably as it goes (sync_state.h), so a failure or a
// cancel between or inside steps loses nothing.
// Thread safety: the thread that owns the Store.
#pragma once

#include "parley/core/replica.h"
#include "parley/core/replica_sync.h"
#include "parley/core/store.h"
#include "parley/sync/client.h"
#include "relay_connection.h"

namespace parley::sync {

struct ExchangeContext {
  store::Store& store;
  log::Replica& replica;
  SyncState& state;
  const SyncOptions& options;
};

// Step 1: RegisterVault if this device founded the vault and the relay does not know it yet;
// SetMembership if this device is an admin and the relay holds another member set.
Status EnsureVault(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay, SyncReport& report);
// Step 2: pushes every held change not acknowledged by `relay`.
Status PushPending(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay, SyncReport& report);
// Step 3: pulls and applies from the relay's cursor until the relay has nothing more.
Status PullAvailable(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay, SyncReport& report);

}  // namespace parley::sync
