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
Status EnsureVault(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                   SyncReport& report);
// On an admin device: asks the relay to drop the key slots that purges applied here dropped
// and it has not confirmed yet (wire Purge.redactions); after the pull, so that purges
// learned in this session are published in it.
Status PublishRedactions(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                         SyncReport& report);
// Step 2: pushes every held change not acknowledged by `relay`.
Status PushPending(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                   SyncReport& report);
// Step 3: pulls and applies from the relay's cursor until the relay has nothing more, then
// checks what the relay shows it holds against what this device holds (reconcile.cc):
// a relay whose history went backwards is pulled again from the start and given back what
// it lost; changes it claims to hold and did not serve are reported; this device's own
// changes set aside after a restore are written again and pushed.
Status PullAvailable(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                     SyncReport& report);

// One pull from the cursor (exchange_pull.cc).
struct PullOutcome {
  bool rewound = false;     // the relay does not hold the cursor's change; nothing was pulled
  bool have_heads = false;  // the relay listed what it holds (PullBatch.heads)
  std::vector<std::pair<std::string, std::uint64_t>> heads;  // (author, highest seq held)
};
Result<PullOutcome> PullOnce(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                             SyncReport& report);

}  // namespace parley::sync
