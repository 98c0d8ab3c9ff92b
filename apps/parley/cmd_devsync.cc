// sync, sync --watch, status.
#include <csignal>
#include <cstdio>

#include "app.h"
#include "passphrase.h"
#include "sync_output.h"
#include "table.h"

namespace parley::cli {
namespace {

Device* g_watching = nullptr;
extern "C" void OnStopSignal(int) {
  if (g_watching != nullptr) g_watching->CancelSync();
}

void PrintEvent(App& app, const DeviceEvent& e) {
  switch (e.kind) {
    case DeviceEvent::Kind::kConnected:
      if (!app.json()) app.Print("connected to relay " + e.relay + "\n");
      break;
    case DeviceEvent::Kind::kSynced:
      if (app.json()) {
        app.PrintJson(SyncResultJson(*e.result, "synced"));
      } else {
        app.Print(SyncResultText(*e.result));
      }
      break;
    case DeviceEvent::Kind::kDisconnected:
      if (app.json()) {
        app.PrintJson({{"event", "disconnected"},
                       {"relay", e.relay},
                       {"reason", e.status.message()},
                       {"retry_ms", e.retry_ms}});
      } else {
        app.Print("relay " + e.relay + ": " + e.status.message() + "; retrying in " +
                  std::to_string(e.retry_ms) + " ms\n");
      }
      break;
    case DeviceEvent::Kind::kChangesArrived:
    case DeviceEvent::Kind::kConflictsChanged:
      return;  // the synced line says it
    case DeviceEvent::Kind::kRevokedAndWiped:
      return;  // the call fails with it: main() says it, once
  }
  // Each event is a result on its own (what it reports is saved): written as it happens.
  (void)app.FlushOutput();
}

// "--lock-after DURATION": 90s, 5m, 1h, 250ms; a bare number is seconds.
Result<std::int64_t> ParseDuration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1'000;
  else if (unit == "ms")
    scale = 1;
  else if (unit == "m" || unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  if (digits == 0 || digits > 9 || scale == 0) {
    return UsageError("--lock-after takes a duration such as 90s, 15m or 1h (got '" + text + "')");
  }
  const std::int64_t ms = std::stoll(text.substr(0, digits)) * scale;
  if (ms <= 0) return UsageError("--lock-after must be longer than zero");
  return ms;
}

Status Watch(App& app, const Invocation& inv) {
  WatchOptions options;
  if (inv.Has("lock-after")) {
    PARLEY_ASSIGN_OR_RETURN(options.lock_after_idle_ms, ParseDuration(inv.Get("lock-after")));
  }
  g_watching = &app.device();
  struct sigaction sa {};
  sa.sa_handler = &OnStopSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  app.device().SetEventHandler([&app](const DeviceEvent& e) { PrintEvent(app, e); });
  Status st;
  for (;;) {
    st = app.device().Watch(options);
    if (st.code() != Code::kLocked || app.device().unlocked()) break;
    // Locked after the idle time. Going on needs the user's consent: the passphrase typed on
    // the terminal again, never PARLEY_PASSPHRASE (a script's copy would undo the lock).
    if (!HaveTerminal()) {
      st = Status(
          Domain::kApp, Code::kLocked,
          st.message() +
              "; no terminal to ask for the passphrase, so the watch ends (run it again to go on)");
      break;
    }
    if (!app.json()) app.Print(st.message() + "\n");
    std::fflush(stdout);
    auto again = AskPassphraseOnTerminal("Passphrase to go on watching: ");
    if (!again.ok()) {
      st = again.status();
      break;
    }
    st = app.device().Unlock(View(*again));
    if (!st.ok()) break;
  }
  app.device().SetEventHandler(nullptr);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  g_watching = nullptr;
  if (st.ok() && !app.json()) app.Print("stopped; everything received is saved\n");
  return st;
}

Status Sync(App& app, const Invocation& inv) {
  if (inv.Has("lock-after") && !inv.Has("watch"))
    return UsageError("--lock-after goes with --watch");
  if (inv.Has("watch")) return Watch(app, inv);
  PARLEY_ASSIGN_OR_RETURN(SyncResult result, app.device().Sync());
  if (app.json()) {
    app.PrintJson({{"relays", SyncResultsJson(result.relays)}});
  } else {
    for (const auto& r : result.relays) app.Print(SyncResultText(r));
  }
  // Some relay synced: success (the failures are printed). None: the first failure.
  if (result.any_ok() || result.relays.empty()) return Status::Ok();
  return result.relays.front().status;
}

std::string FormatMs(std::int64_t unix_ms) {
  return unix_ms == 0 ? "never" : FormatMsTime(unix_ms);
}

Status SyncStatus(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(DeviceStatus s, app.device().SyncStatus());
  PARLEY_ASSIGN_OR_RETURN(auto counts, app.model().RecordCounts());
  PARLEY_ASSIGN_OR_RETURN(auto conflicts, app.model().Conflicts());
  const bool verbose = inv.Has("verbose");
  const std::string vault_id = s.vault.has_value() ? s.vault->id : "";
  auto change_hex = [](const log::ChangeId& id, std::size_t bytes) {
    return crypto::ToHex(crypto::ByteView(id.data(), bytes));
  };
  if (app.json()) {
    Json relays = Json::array();
    for (const auto& r : s.relays) {
      relays.push_back({{"relay", r.relay.label},
                        {"waiting", r.waiting},
                        {"cursor", r.relay.cursor},
                        {"head_seq", r.relay.head_seq},
                        {"last_sync", r.relay.last_sync_ms == 0
                                          ? Json()
                                          : Json(model::FormatTimestamp(r.relay.last_sync_ms))}});
    }
    Json own = Json::array();
    for (const auto& c : s.own) {
      Json acks = Json::array();
      for (const auto& [relay, seq] : c.acks)
        acks.push_back({{"relay", relay}, {"relay_seq", seq}});
      own.push_back({{"seq", c.seq},
                     {"id", change_hex(c.id, c.id.size())},
                     {"acknowledged", !c.acks.empty()},
                     {"relays", std::move(acks)}});
    }
    Json gaps = Json::array();
    for (const auto& g : s.gaps) {
      gaps.push_back({{"device", g.device},
                      {"name", g.device_name.empty() ? Json() : Json(g.device_name)},
                      {"first", g.first},
                      {"last", g.last},
                      {"text", GapText(g)}});
    }
    Json devices = Json::array();
    for (const auto& d : s.devices) {
      devices.push_back({{"device", d.device},
                         {"name", d.name.empty() ? Json() : Json(d.name)},
                         {"self", d.self},
                         {"newest_known", d.known},
                         {"held_up_to", d.contig},
                         {"complete", d.complete()}});
    }
    app.PrintJson({{"vault_id", vault_id.empty() ? Json() : Json(vault_id)},
                   {"relays", std::move(relays)},
                   {"own_changes", std::move(own)},
                   {"own_unacknowledged", s.own_unacknowledged()},
                   {"gaps", std::move(gaps)},
                   {"devices", std::move(devices)},
                   {"records",
                    [&] {
                      Json by_type = Json::object();
                      for (const auto& c : counts) by_type[c.type] = c.count;
                      return by_type;
                    }()},
                   {"conflicts", conflicts.size()},
                   {"quarantined", s.quarantined},
                   {"set_aside_waiting", s.set_aside_waiting},
                   {"reissued_total", s.reissued_total}});
    return Status::Ok();
  }
  if (!vault_id.empty()) app.Print("vault " + vault_id + "\n");
  if (s.relays.empty())
    app.Print("No relay pinned: nothing has left this device except by bundles.\n");
  for (const auto& r : s.relays) {
    app.Print("relay " + r.relay.label + ": " + std::to_string(r.waiting) +
              " change(s) waiting to go up; last sync " + FormatMs(r.relay.last_sync_ms) + "\n");
  }
  app.Print("this device's changes: " + std::to_string(s.own_changes) + ", " +
            std::to_string(s.own_acknowledged) + " safely on a relay, " +
            std::to_string(s.own_unacknowledged()) + " only on this device\n");
  std::string records;
  for (const auto& c : counts) {
    if (c.count > 0)
      records += (records.empty() ? "" : ", ") + std::to_string(c.count) + " " + c.type;
  }
  app.Print("records: " + (records.empty() ? std::string("none") : records) + "\n");
  app.Print("conflicts: " + std::to_string(conflicts.size()) +
            (conflicts.empty() ? std::string() : " (see parley conflicts)") + "\n");
  if (!verbose) {
    std::size_t incomplete = 0;
    for (const auto& d : s.devices) incomplete += d.complete() ? 0 : 1;
    if (!s.gaps.empty()) {
      app.Print("gaps: " + std::to_string(s.gaps.size()) +
                " range(s) of changes not held here yet\n");
    }
    if (!s.devices.empty()) {
      app.Print("devices: " + std::to_string(s.devices.size()) + " wrote changes; " +
                (incomplete == 0 ? std::string("all of them held here")
                                 : std::to_string(incomplete) + " not wholly held here") +
                "\n");
    }
  }
  for (const auto& c : s.own) {
    if (!verbose) break;
    std::string where;
    for (const auto& [relay, seq] : c.acks)
      where += (where.empty() ? "" : ", ") + relay + " #" + std::to_string(seq);
    app.Print("  change " + std::to_string(c.seq) + " " + change_hex(c.id, 4) + "  " +
              (where.empty() ? std::string("NOT acknowledged yet") : "acknowledged by " + where) +
              "\n");
  }
  for (const auto& g : s.gaps) {
    if (verbose) app.Print("gap: " + GapText(g) + "\n");
  }
  for (const auto& d : s.devices) {
    if (!verbose) break;
    const std::string who =
        (d.name.empty() ? d.device.substr(0, 16) : d.name) + (d.self ? " (this device)" : "");
    app.Print("device " + who + ": newest change known " + std::to_string(d.known) + ", " +
              (d.complete() ? std::string("all held here")
                            : "held here up to " + std::to_string(d.contig)) +
              "\n");
  }
  if (s.quarantined > 0) {
    app.Print("quarantined: " + std::to_string(s.quarantined) +
              " change(s) signed by a member cannot be read and were never applied\n");
  }
  if (s.set_aside_waiting > 0) {
    app.Print("restored from an older copy: " + std::to_string(s.set_aside_waiting) +
              " change(s) of this device wait to be written again at the next sync\n");
  }
  if (s.reissued_total > 0) {
    app.Print("restored from an older copy: " + std::to_string(s.reissued_total) +
              " change(s) of this device were written again on top of its history\n");
  }
  if (!verbose && !s.own.empty())
    app.Print("(parley status --verbose lists each change, gap and device)\n");
  return Status::Ok();
}

}  // namespace

void AddDeviceSyncCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"sync"},
       "[--watch [--lock-after DURATION]]",
       "exchange changes with every pinned relay (--watch: stay connected until Ctrl-C; "
       "--lock-after: lock when idle that long)",
       {{"watch", false}, {"lock-after", true}},
       0,
       0,
       &Sync});
  commands.push_back(
      {{"status"},
       "[--verbose]",
       "a summary: changes waiting per relay, last sync, records by type, conflicts, gaps "
       "(--verbose: each change, gap and device too)",
       {{"verbose", false}},
       0,
       0,
       &SyncStatus});
}

}  // namespace parley::cli
