// sync, sync --watch, status; enrollment through relays (relay_enroll.h).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>

#include "app.h"
#include "parley/core/replica_sync.h"
#include "parley/sync/client.h"
#include "parley/sync/sync_state.h"
#include "relay_enroll.h"
#include "table.h"

namespace parley::cli {
namespace {

constexpr std::size_t kMaxEnvelopeBytes = 4096;  // the relay's limit for one envelope

sync::Canceller* g_cancel = nullptr;
extern "C" void OnStopSignal(int) {
  if (g_cancel != nullptr) g_cancel->Cancel();
}

// Everything one sync command needs, opened over the unlocked store.
struct Syncer {
  std::unique_ptr<sync::SyncState> state;
  std::unique_ptr<sync::Poller> poller;
  std::unique_ptr<sync::SyncClient> client;
  std::vector<sync::RelayRecord> relays;
};

Result<Syncer> OpenSyncer(App& app, bool need_relay) {
  Syncer s;
  PARLEY_ASSIGN_OR_RETURN(s.state, sync::SyncState::Open(app.store().db()));
  PARLEY_ASSIGN_OR_RETURN(s.relays, s.state->Relays());
  if (need_relay && s.relays.empty()) {
    return Error(Domain::kApp, Code::kNotFound, "no relay pinned: add one with `parley relay add PAIRING_CODE`");
  }
  s.poller = sync::NewSystemPoller(app.env().clock());
  s.client = std::make_unique<sync::SyncClient>(app.store(), app.replica(), *s.state, *s.poller);
  return s;
}

void WriteReportJson(JsonWriter& json, const sync::SyncReport& r) {
  json.Field("pushed", r.pushed).Field("refused", r.refused).Field("pulled", r.pulled);
  json.Field("duplicates", r.duplicates).Field("pending", r.pending).Field("conflicts", r.conflicts);
  json.Field("cursor", r.cursor).Field("head_seq", r.head_seq);
  json.Key("refusals").BeginArray();
  for (const auto& x : r.refusals) json.String(x);
  json.EndArray().Key("gaps").BeginArray();
  for (const auto& g : r.gaps) json.String(g);
  json.EndArray();
}

std::string ReportLine(const sync::SyncReport& r) {
  std::string line = "relay " + r.relay + ": pushed " + std::to_string(r.pushed) + ", pulled " +
                     std::to_string(r.pulled) + ", conflicts " + std::to_string(r.conflicts);
  if (r.refused > 0) line += ", refused " + std::to_string(r.refused);
  if (r.pending > 0) line += ", held back " + std::to_string(r.pending);
  line += "\n";
  for (const auto& x : r.refusals) line += "  refused: " + x + "\n";
  for (const auto& g : r.gaps) line += "  gap: " + g + "\n";
  return line;
}

Status Watch(App& app, Syncer& s) {
  sync::Canceller cancel;
  g_cancel = &cancel;
  struct sigaction sa {};
  sa.sa_handler = &OnStopSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sync::WatchObserver obs;
  obs.connected = [&](const std::string& relay) {
    if (!app.json()) app.Print("connected to relay " + relay + "\n");
    std::fflush(stdout);
  };
  obs.synced = [&](const sync::SyncReport& r) {
    if (app.json()) {
      JsonWriter json;
      json.BeginObject().Field("event", "synced").Field("relay", r.relay);
      WriteReportJson(json, r);
      json.EndObject();
      app.PrintJson(json);
    } else {
      app.Print(ReportLine(r));
    }
    std::fflush(stdout);
  };
  obs.disconnected = [&](const std::string& relay, const Status& why, std::int64_t retry_ms) {
    if (app.json()) {
      JsonWriter json;
      json.BeginObject().Field("event", "disconnected").Field("relay", relay).Field("reason", why.message());
      json.Field("retry_ms", retry_ms).EndObject();
      app.PrintJson(json);
    } else {
      app.Print("relay " + relay + ": " + why.message() + "; retrying in " + std::to_string(retry_ms) + " ms\n");
    }
    std::fflush(stdout);
  };
  std::vector<std::int64_t> ids;
  for (const auto& r : s.relays) ids.push_back(r.id);
  Status st = s.client->Watch(ids, cancel, obs);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  g_cancel = nullptr;
  if (st.ok() && !app.json()) app.Print("stopped; everything received is saved\n");
  return st;
}

Status Sync(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(Syncer s, OpenSyncer(app, true));
  if (inv.Has("watch")) return Watch(app, s);
  // With several relays, a second round carries what one relay served to the others.
  std::vector<std::pair<std::string, Result<sync::SyncReport>>> results;
  bool pulled = false;
  for (int round = 0; round < (s.relays.size() > 1 ? 2 : 1); ++round) {
    if (round == 1 && !pulled) break;
    results.clear();
    for (const auto& r : s.relays) {
      auto rep = s.client->SyncOnce(r.id);
      if (rep.ok() && rep->pulled > 0) pulled = true;
      results.emplace_back(r.label(), std::move(rep));
    }
  }
  Status first_error = Status::Ok();
  JsonWriter json;
  if (app.json()) json.BeginObject().Key("relays").BeginArray();
  for (auto& [label, rep] : results) {
    if (!rep.ok() && first_error.ok()) first_error = rep.status();
    if (app.json()) {
      json.BeginObject().Field("relay", label);
      if (rep.ok()) {
        WriteReportJson(json, *rep);
        json.Key("error").Null();
      } else {
        json.Field("error", rep.status().message());
      }
      json.EndObject();
    } else if (rep.ok()) {
      app.Print(ReportLine(*rep));
    } else {
      app.Print("relay " + label + ": not synced: " + rep.status().message() + "\n");
    }
  }
  if (app.json()) {
    json.EndArray().EndObject();
    app.PrintJson(json);
  }
  // Some relay synced: success (the failures are printed). None: the first failure.
  bool any_ok = false;
  for (auto& r : results) any_ok |= r.second.ok();
  return any_ok ? Status::Ok() : first_error;
}

Status SyncStatus(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(Syncer s, OpenSyncer(app, false));
  const auto& me = app.store().device().identity.public_key;
  const std::string self(me.begin(), me.end());
  PARLEY_ASSIGN_OR_RETURN(auto all, log::ListChangeRefs(app.replica()));
  PARLEY_ASSIGN_OR_RETURN(auto gaps, log::ListGaps(app.replica()));
  std::string vault_id;
  if (auto v = log::GetVaultIdentity(app.replica()); v.ok()) vault_id = crypto::ToHex(v->vault);

  // waiting[i]: held changes relay i has not acknowledged; acked_by[k]: relays holding own change k.
  std::vector<std::uint64_t> waiting(s.relays.size(), 0);
  std::vector<const log::ChangeRef*> own;
  std::vector<std::vector<std::pair<std::string, std::uint64_t>>> acked_by;
  for (const auto& c : all) {
    const bool mine = c.author == self;
    if (mine) {
      own.push_back(&c);
      acked_by.emplace_back();
    }
    for (std::size_t i = 0; i < s.relays.size(); ++i) {
      PARLEY_ASSIGN_OR_RETURN(auto ack, s.state->AckOf(s.relays[i].id, c.id));
      if (!ack.has_value()) ++waiting[i];
      if (ack.has_value() && mine) acked_by.back().emplace_back(s.relays[i].label(), *ack);
    }
  }
  auto gap_text = [&](const log::ChainGap& g) {
    const std::string who = g.name.empty() ? crypto::ToHex(crypto::AsBytes(g.author)).substr(0, 16) : g.name;
    return "device " + who + ": changes " + std::to_string(g.first) + "-" + std::to_string(g.last) + " missing";
  };
  std::size_t unacked = 0;
  for (const auto& a : acked_by) unacked += a.empty() ? 1 : 0;

  if (app.json()) {
    JsonWriter json;
    json.BeginObject().Field("vault_id", vault_id).Key("relays").BeginArray();
    for (std::size_t i = 0; i < s.relays.size(); ++i) {
      const auto& r = s.relays[i];
      json.BeginObject().Field("relay", r.label()).Field("waiting", waiting[i]).Field("cursor", r.cursor);
      json.Field("head_seq", r.head_seq).Key("last_sync");
      if (r.last_sync_ms == 0) json.Null(); else json.String(model::FormatTimestamp(r.last_sync_ms));
      json.EndObject();
    }
    json.EndArray().Key("own_changes").BeginArray();
    for (std::size_t k = 0; k < own.size(); ++k) {
      json.BeginObject().Field("seq", own[k]->seq);
      json.Field("id", crypto::ToHex(crypto::ByteView(own[k]->id.data(), own[k]->id.size())));
      json.Field("acknowledged", !acked_by[k].empty()).Key("relays").BeginArray();
      for (const auto& [relay, seq] : acked_by[k]) json.BeginObject().Field("relay", relay).Field("relay_seq", seq).EndObject();
      json.EndArray().EndObject();
    }
    json.EndArray().Field("own_unacknowledged", static_cast<std::uint64_t>(unacked)).Key("gaps").BeginArray();
    for (const auto& g : gaps) {
      json.BeginObject().Field("device", crypto::ToHex(crypto::AsBytes(g.author))).Field("name", g.name);
      json.Field("first", g.first).Field("last", g.last).Field("text", gap_text(g)).EndObject();
    }
    json.EndArray().EndObject();
    app.PrintJson(json);
    return Status::Ok();
  }
  if (!vault_id.empty()) app.Print("vault " + vault_id + "\n");
  if (s.relays.empty()) app.Print("No relay pinned: nothing has left this device except by bundles.\n");
  for (std::size_t i = 0; i < s.relays.size(); ++i) {
    const auto& r = s.relays[i];
    app.Print("relay " + r.label() + ": " + std::to_string(waiting[i]) + " change(s) waiting to go up; last sync " +
              (r.last_sync_ms == 0 ? std::string("never") : model::FormatTimestamp(r.last_sync_ms)) + "\n");
  }
  app.Print("this device's changes: " + std::to_string(own.size()) + ", " + std::to_string(own.size() - unacked) +
            " safely on a relay, " + std::to_string(unacked) + " only on this device\n");
  for (std::size_t k = 0; k < own.size(); ++k) {
    std::string where;
    for (const auto& [relay, seq] : acked_by[k]) where += (where.empty() ? "" : ", ") + relay + " #" + std::to_string(seq);
    app.Print("  change " + std::to_string(own[k]->seq) + " " +
              crypto::ToHex(crypto::ByteView(own[k]->id.data(), 4)) + "  " +
              (where.empty() ? std::string("NOT acknowledged yet") : "acknowledged by " + where) + "\n");
  }
  for (const auto& g : gaps) app.Print("gap: " + gap_text(g) + "\n");
  return Status::Ok();
}

}  // namespace

Result<std::size_t> PinnedRelayCount(App& app) {
  PARLEY_ASSIGN_OR_RETURN(auto state, sync::SyncState::Open(app.store().db()));
  PARLEY_ASSIGN_OR_RETURN(auto relays, state->Relays());
  return relays.size();
}

Status PublishInvite(App& app, std::string_view pairing_code, const std::vector<std::uint8_t>& invite,
                     JsonWriter* json) {
  PARLEY_ASSIGN_OR_RETURN(log::DeviceCode device, log::DecodeDeviceCode(pairing_code));
  // The whole invite is sealed to the new device: the relay learns nothing of it, not even
  // the vault's name.
  const crypto::Bytes sealed = crypto::SealTo(device.kx, invite);
  if (sealed.size() > kMaxEnvelopeBytes) {
    return Error(Domain::kApp, Code::kUnsupported,
                 "the invite is too large for a relay envelope; carry it with --out FILE instead");
  }
  PARLEY_ASSIGN_OR_RETURN(Syncer s, OpenSyncer(app, true));
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(app.replica()));
  std::size_t published = 0;
  Status first = Status::Ok();
  if (json != nullptr) json->Key("relays").BeginArray();
  for (const auto& r : s.relays) {
    Status st = s.client->PutEnvelope(r.id, device.identity, sealed);
    if (st.ok()) ++published;
    if (!st.ok() && first.ok()) first = st;
    if (json != nullptr) {
      json->BeginObject().Field("relay", r.label()).Field("published", st.ok());
      if (!st.ok()) json->Field("error", st.message());
      json->EndObject();
    } else {
      app.Print("relay " + r.label() + ": " + (st.ok() ? std::string("members and sealed invite published")
                                                         : "not published: " + st.message()) + "\n");
    }
  }
  if (json != nullptr) json->EndArray().Field("vault_id", crypto::ToHex(vault.vault));
  if (published == 0) return first;
  if (json == nullptr) {
    app.Print("On the new device (with the same relay pinned), run: parley join\n");
    app.Print("  (if invites from several vaults wait for it: parley join --vault " + crypto::ToHex(vault.vault) + ")\n");
  }
  return Status::Ok();
}

namespace {

// Invites opened from relay envelopes, by the vault the relay filed them under. The opened
// bytes hold vault keys: they are zeroed when this goes away.
struct Offers {
  std::map<crypto::Bytes, std::vector<crypto::Bytes>> by_vault;
  ~Offers() {
    for (auto& [vault, blobs] : by_vault) {
      for (auto& b : blobs) std::fill(b.begin(), b.end(), std::uint8_t{0});
    }
  }
};

// The envelopes `relay` holds for this device: in `vault`, or (empty) in every vault.
Result<std::vector<sync::KeyEnvelope>> FetchEnvelopes(Syncer& s, std::int64_t relay, const crypto::Bytes& vault) {
  if (vault.empty()) return s.client->ListEnvelopes(relay);
  PARLEY_ASSIGN_OR_RETURN(std::vector<crypto::Bytes> sealed, s.client->GetEnvelopes(relay, vault));
  std::vector<sync::KeyEnvelope> out;
  for (auto& e : sealed) out.push_back(sync::KeyEnvelope{vault, std::move(e)});
  return out;
}

}  // namespace

Status JoinThroughRelay(App& app, std::string_view vault_hex) {
  crypto::Bytes vault;
  if (!vault_hex.empty()) {
    PARLEY_ASSIGN_OR_RETURN(vault, crypto::FromHex(vault_hex));
    if (vault.size() != 32) return UsageError("a vault id is 64 hex characters");
  }
  PARLEY_ASSIGN_OR_RETURN(Syncer s, OpenSyncer(app, true));
  // Every invite sealed to this device on any pinned relay; the same vault's invite is
  // usually on several relays.
  Offers offers;
  Status relay_error = Status::Ok();
  for (const auto& r : s.relays) {
    auto envelopes = FetchEnvelopes(s, r.id, vault);
    if (!envelopes.ok()) {
      if (relay_error.ok()) relay_error = envelopes.status();
      continue;
    }
    for (const auto& e : *envelopes) {
      auto blob = crypto::OpenSealed(app.store().device().kx, e.sealed);
      if (!blob.ok()) continue;  // not for this key pair, or damaged
      offers.by_vault[e.vault].push_back(std::move(*blob));
    }
  }
  if (offers.by_vault.empty()) {
    if (!relay_error.ok()) return relay_error;
    return Error(Domain::kApp, Code::kNotFound,
                 vault.empty() ? "no pinned relay holds an invite for this device; on an admin device run "
                                 "`parley vault invite` with this device's pairing code, then try again"
                               : "no pinned relay holds an invite for this device in that vault");
  }
  if (offers.by_vault.size() > 1) {
    std::string ids;
    for (const auto& [id, blobs] : offers.by_vault) ids += (ids.empty() ? "" : ", ") + crypto::ToHex(id);
    return UsageError("invites from " + std::to_string(offers.by_vault.size()) +
                      " vaults wait for this device: " + ids + "; choose one with `parley join --vault VAULT_ID`");
  }
  Status last = Status::Ok();
  bool joined = false;
  for (const auto& blob : offers.by_vault.begin()->second) {
    last = app.replica().AcceptInvite(blob);
    if (last.ok()) {
      joined = true;
      break;
    }
  }
  if (!joined) return last;
  JsonWriter json;
  const std::string name = app.store().vault() ? app.store().vault()->name : "";
  if (app.json()) {
    auto joined_vault = log::GetVaultIdentity(app.replica());
    json.BeginObject().Field("vault", name);
    json.Field("vault_id", joined_vault.ok() ? crypto::ToHex(joined_vault->vault) : std::string());
    json.Key("relays").BeginArray();
  } else {
    app.Print("Joined vault " + name + ".\n");
  }
  for (const auto& r : s.relays) {
    auto rep = s.client->SyncOnce(r.id);
    if (app.json()) {
      json.BeginObject().Field("relay", r.label());
      if (rep.ok()) WriteReportJson(json, *rep); else json.Field("error", rep.status().message());
      json.EndObject();
    } else {
      app.Print(rep.ok() ? ReportLine(*rep) : "relay " + r.label() + ": not synced: " + rep.status().message() + "\n");
    }
  }
  if (app.json()) {
    json.EndArray().EndObject();
    app.PrintJson(json);
  }
  return Status::Ok();
}

void AddDeviceSyncCommands(std::vector<Command>& commands) {
  commands.push_back({{"sync"}, "[--watch]",
                      "exchange changes with every pinned relay (--watch: stay connected until Ctrl-C)",
                      {{"watch", false}}, 0, 0, &Sync});
  commands.push_back({{"status"}, "",
                      "what waits to go up to each relay, which of this device's changes a relay holds, gaps",
                      {}, 0, 0, &SyncStatus});
}

}  // namespace parley::cli
