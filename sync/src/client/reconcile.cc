// Step 3 as a whole (exchange.h): pull, then hold the relay to what it shows it holds
// (docs/wire-protocol.md, "Rollback"; docs/sync-client.md, "What a relay is trusted with").
//
// - A relay that no longer holds the change at this device's cursor answers `rewound`:
//   its history went backwards (restored from an older copy of its data, or another
//   relay behind the same key). The device reports it, forgets every ack of that relay,
//   and pulls again from the start.
// - After the pull, the relay's `heads` (per author, the highest seq it holds) are
//   compared with what this device holds: every held change above the relay's head is
//   offered to the relay again (acks are never trusted over what the relay shows it
//   holds), and if the relay had acknowledged or served any of them, it lost them: a
//   rollback, reported. A relay that lists changes it did not serve is withholding.
// - After a rollback, what this device published to the relay besides changes (its
//   registration, its member list, and through SyncState's rollback hooks the recovery
//   invite) is marked unpublished; the member list is published again at once.
// - This device's own changes set aside after a restore are written again and pushed.
#include <algorithm>
#include <map>

#include "exchange.h"

namespace parley::sync {
namespace {

std::string Short(const std::string& key) {
  return crypto::ToHex(crypto::AsBytes(key)).substr(0, 16);
}

std::string DeviceLabel(const log::DeviceHead& d) {
  return d.name.empty() ? Short(d.identity) : d.name;
}

// Offers the relay again every held change above its head; returns how many, and whether
// the relay had acknowledged any of them (then it lost them).
struct Lost {
  std::vector<log::ChangeId> ids;
  std::int64_t first_local = 0;
  std::uint64_t own = 0;
  std::uint64_t acknowledged = 0;
  std::string detail;
};

Result<Lost> FindLost(ExchangeContext& ctx, RelayRecord& relay,
                      const std::map<std::string, std::uint64_t>& heads,
                      const std::vector<log::DeviceHead>& devices) {
  Lost lost;
  for (const log::DeviceHead& d : devices) {
    if (d.held == 0) continue;
    auto it = heads.find(d.identity);
    const std::uint64_t relay_has = it == heads.end() ? 0 : it->second;
    if (d.max_seq <= relay_has) continue;
    PARLEY_ASSIGN_OR_RETURN(auto refs, log::ListChangeRefs(ctx.replica, d.identity));
    std::uint64_t acknowledged = 0;
    for (const log::ChangeRef& r : refs) {
      if (r.seq <= relay_has) continue;
      PARLEY_ASSIGN_OR_RETURN(auto ack, ctx.state.AckOf(relay.id, r.id));
      if (ack.has_value()) ++acknowledged;
      lost.ids.push_back(r.id);
      if (lost.first_local == 0 || r.local_seq < lost.first_local) lost.first_local = r.local_seq;
      if (d.self) ++lost.own;
    }
    if (acknowledged > 0) {
      lost.acknowledged += acknowledged;
      if (!lost.detail.empty()) lost.detail += "; ";
      lost.detail += "device " + DeviceLabel(d) + ": it holds up to change " +
                     std::to_string(relay_has) + ", yet acknowledged or served " +
                     std::to_string(acknowledged) + " after it";
    }
  }
  return lost;
}

}  // namespace

Status PullAvailable(ExchangeContext& ctx, RelayConnection& conn, RelayRecord& relay,
                     SyncReport& report) {
  bool rewound_once = false;
  bool pulled_again = false;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(PullOutcome outcome, PullOnce(ctx, conn, relay, report));
    if (outcome.rewound) {
      if (rewound_once) {
        return Error(Domain::kSync, Code::kCorrupt,
                     "the relay answered rewound to a pull from the start");
      }
      rewound_once = true;
      report.relay_faults.push_back(RelayWarning{
          RelayFault::kRolledBack,
          "the relay no longer holds the change at this device's place in its history (" +
              std::to_string(relay.cursor) +
              "): its history went backwards; reading it again from the start"});
      PARLEY_RETURN_IF_ERROR(ctx.state.ResetRelayHistory(relay.id));
      relay.cursor = 0;
      relay.cursor_id.clear();
      relay.head_seq = 0;
      relay.push_mark = 0;
      // Its member list may be older too: publish it again before anything else.
      relay.registered = false;
      relay.members_digest.clear();
      PARLEY_RETURN_IF_ERROR(EnsureVault(ctx, conn, relay, report));
      continue;
    }
    PARLEY_ASSIGN_OR_RETURN(std::size_t reissued, log::ReissueSetAside(ctx.replica));
    report.reissued += reissued;
    bool push = reissued > 0;
    if (outcome.have_heads) {
      std::map<std::string, std::uint64_t> heads(outcome.heads.begin(), outcome.heads.end());
      PARLEY_ASSIGN_OR_RETURN(std::vector<log::DeviceHead> devices,
                              log::ListDeviceHeads(ctx.replica));
      // Changes the relay lists but did not serve: pull once more (a push may have landed
      // between the last batch and the list), then call it withholding.
      std::string withheld;
      for (const log::DeviceHead& d : devices) {
        auto it = heads.find(d.identity);
        if (it != heads.end() && it->second > d.contig) {
          if (!withheld.empty()) withheld += "; ";
          withheld += "device " + DeviceLabel(d) + ": it lists changes up to " +
                      std::to_string(it->second) + ", this device holds every change only up to " +
                      std::to_string(d.contig);
        }
      }
      for (const auto& head : heads) {
        const bool known =
            std::any_of(devices.begin(), devices.end(),
                        [&](const log::DeviceHead& d) { return d.identity == head.first; });
        if (!known && head.second > 0) {
          if (!withheld.empty()) withheld += "; ";
          withheld += "device " + Short(head.first) + ": it lists changes up to " +
                      std::to_string(head.second) + " and served none";
        }
      }
      if (!withheld.empty() && !pulled_again) {
        pulled_again = true;
        continue;
      }
      if (!withheld.empty())
        report.relay_faults.push_back(RelayWarning{RelayFault::kWithheld, withheld});
      PARLEY_ASSIGN_OR_RETURN(Lost lost, FindLost(ctx, relay, heads, devices));
      if (lost.acknowledged > 0) {
        report.relay_faults.push_back(
            RelayWarning{RelayFault::kRolledBack, "the relay lost changes: " + lost.detail});
        // What else this device published there may be lost too: the member list goes
        // again now, the rest (the recovery invite) at the end of the sync.
        PARLEY_RETURN_IF_ERROR(ctx.state.ForgetPublished(relay.id));
        relay.registered = false;
        relay.members_digest.clear();
        PARLEY_RETURN_IF_ERROR(EnsureVault(ctx, conn, relay, report));
      }
      if (!lost.ids.empty()) {
        PARLEY_RETURN_IF_ERROR(ctx.state.ForgetAcks(relay.id, lost.ids, lost.first_local - 1));
        relay.push_mark = std::min(relay.push_mark, lost.first_local - 1);
        report.resent += lost.ids.size();
        push = true;
      }
    }
    if (push) PARLEY_RETURN_IF_ERROR(PushPending(ctx, conn, relay, report));
    return Status::Ok();
  }
}

}  // namespace parley::sync
