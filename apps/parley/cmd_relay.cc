// relay add, relay list, relay remove, vault create: pinning relays and creating a vault on
// a store made with `init --no-vault`.
#include "app.h"
#include "table.h"

namespace parley::cli {
namespace {

std::string FormatMs(std::int64_t unix_ms) {
  if (unix_ms == 0) return "never";
  return FormatMsTime(unix_ms);
}

Status RelayAdd(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(RelayInfo added, app.device().AddRelay(inv.args[0]));
  if (app.json()) {
    app.PrintJson({{"relay", added.address}, {"public_key", added.public_key}});
  } else {
    app.Print("Pinned relay " + added.address + " (key " + added.public_key.substr(0, 16) +
              "…). Run `parley sync` to exchange changes with it.\n");
  }
  return Status::Ok();
}

Status RelayList(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(auto relays, app.device().Relays());
  if (app.json()) {
    Json list = Json::array();
    for (const auto& r : relays) {
      list.push_back(
          {{"address", r.address},
           {"public_key", r.public_key},
           {"pairing_code", r.pairing_code},
           {"cursor", r.cursor},
           {"head_seq", r.head_seq},
           {"registered", r.registered},
           {"members_version", r.members_version},
           {"last_sync",
            r.last_sync_ms == 0 ? Json() : Json(model::FormatTimestamp(r.last_sync_ms))}});
    }
    app.PrintJson({{"relays", std::move(list)}});
    return Status::Ok();
  }
  if (relays.empty()) {
    app.Print("No relay pinned. Add one with `parley relay add PAIRING_CODE`.\n");
    return Status::Ok();
  }
  Table t({"address", "key", "cursor", "last sync"});
  for (const auto& r : relays) {
    t.Row({r.address, r.public_key.substr(0, 16),
           std::to_string(r.cursor) + "/" + std::to_string(r.head_seq), FormatMs(r.last_sync_ms)});
  }
  app.Print(t.Render());
  return Status::Ok();
}

Status RelayRemove(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(RelayInfo removed, app.device().RemoveRelay(inv.args[0]));
  if (app.json()) {
    app.PrintJson({{"removed", removed.address}, {"public_key", removed.public_key}});
  } else {
    app.Print("Unpinned relay " + removed.address + " (key " + removed.public_key.substr(0, 16) +
              "…). Its copy of the vault stays there; this device no longer syncs with it.\n");
  }
  return Status::Ok();
}

Status VaultCreate(App& app, const Invocation& inv) {
  PARLEY_RETURN_IF_ERROR(app.device().CreateVault(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto vault, app.device().Vault());
  const std::string id = vault.has_value() ? vault->id : "";
  if (app.json()) {
    app.PrintJson({{"vault", inv.args[0]}, {"vault_id", id}});
  } else {
    app.Print("Created vault " + inv.args[0] + " (id " + id + "); this device is its admin.\n");
  }
  return Status::Ok();
}

}  // namespace

void AddRelayCommands(std::vector<Command>& commands) {
  commands.push_back({{"relay", "add"},
                      "PAIRING_CODE",
                      "pin a relay (its address and static key); several allowed",
                      {},
                      1,
                      1,
                      &RelayAdd});
  commands.push_back({{"relay", "list"},
                      "",
                      "the pinned relays, their cursors and last sync",
                      {},
                      0,
                      0,
                      &RelayList});
  commands.push_back(
      {{"relay", "remove"},
       "RELAY",
       "unpin a relay (its address, or a prefix of its key as `relay list` shows it)",
       {},
       1,
       1,
       &RelayRemove});
  commands.push_back({{"vault", "create"},
                      "NAME",
                      "create a vault on a store made with `init --no-vault`",
                      {},
                      1,
                      1,
                      &VaultCreate,
                      /*needs_store=*/true,
                      /*text_args=*/{0}});
}

}  // namespace parley::cli
