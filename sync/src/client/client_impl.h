// SyncClient's state and the parts shared by its files (client.cc, watch.cc).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "exchange.h"
#include "parley/sync/client.h"
#include "relay_connection.h"

namespace parley::sync {

struct SyncClient::Impl {
  store::Store& store;
  log::Replica& replica;
  SyncState& state;
  Poller& poller;
  Transport& transport;
  SyncOptions options;
  std::unique_ptr<Waker> own_waker{};  // when the client was given none
  Waker* waker = nullptr;
  // The proof of the last ERROR_REVOKED answer of the current session (cleared when one
  // starts); SyncClient::last_revocation().
  std::optional<RevocationNotice> revocation{};

  ExchangeContext ctx() { return ExchangeContext{store, replica, state, options}; }
  std::int64_t NowMs() { return poller.clock().MonotonicNs() / 1'000'000; }

  Result<std::unique_ptr<RelayConnection>> Connect(const RelayRecord& relay, Canceller* cancel) {
    return RelayConnection::Open(relay, store.device(), options, poller, transport, cancel,
                                 &revocation);
  }

  // Steps 1-3 over an open connection.
  Result<SyncReport> Exchange(RelayConnection& conn, RelayRecord& relay) {
    SyncReport report;
    report.relay = relay.label();
    ExchangeContext c = ctx();
    PARLEY_RETURN_IF_ERROR(EnsureVault(c, conn, relay, report));
    PARLEY_RETURN_IF_ERROR(PushPending(c, conn, relay, report));
    PARLEY_RETURN_IF_ERROR(PullAvailable(c, conn, relay, report));
    PARLEY_RETURN_IF_ERROR(PublishRedactions(c, conn, relay, report));
    PARLEY_RETURN_IF_ERROR(Finish(relay, report));
    return report;
  }

  Status Finish(RelayRecord& relay, SyncReport& report) {
    report.cursor = relay.cursor;
    report.head_seq = std::max(report.head_seq, relay.head_seq);
    PARLEY_ASSIGN_OR_RETURN(auto conflicts, replica.Conflicts());
    report.conflicts = conflicts.size();
    PARLEY_ASSIGN_OR_RETURN(auto gaps, log::ListGaps(replica));
    report.gaps.clear();
    for (const auto& g : gaps) {
      report.gaps.push_back(
          "device " +
          (g.name.empty() ? crypto::ToHex(crypto::AsBytes(g.author)).substr(0, 16) : g.name) +
          ": changes " + std::to_string(g.first) + "-" + std::to_string(g.last) + " missing");
    }
    return state.SetLastSync(relay.id, poller.clock().NowUnixMs(), report.head_seq);
  }

  void DrainWake() { waker->Drain(); }

  Status Watch(const std::vector<std::int64_t>& ids, Canceller& cancel,
               const WatchObserver& observer);
};

}  // namespace parley::sync
