// conflicts, resolve, history, purge: seeing and settling what concurrent edits left behind.
#include <unistd.h>

#include "app.h"
#include "passphrase.h"
#include "sync_output.h"
#include "table.h"

namespace parley::cli {
namespace {

std::string Device(const std::string& name, const std::string& author) {
  return name.empty() ? "device " + author.substr(0, 8) : name;
}

Status Conflicts(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(auto conflicts, app.model().Conflicts());
  if (app.json()) {
    Json list = Json::array();
    for (const auto& c : conflicts) {
      Json versions = Json::array();
      for (const auto& v : c.values) {
        versions.push_back({{"value", v.data},
                            {"time", model::FormatTimestamp(model::HlcUnixMs(v.hlc))},
                            {"author", v.author},
                            {"device", v.author_name}});
      }
      list.push_back({{"record", log::ToString(c.record)},
                      {"type", c.type},
                      {"field", c.field.empty() ? Json() : Json(c.field)},
                      {"versions", std::move(versions)}});
    }
    app.PrintJson({{"conflicts", std::move(list)}});
    return Status::Ok();
  }
  if (conflicts.empty()) {
    app.Print("No conflicts.\n");
    return Status::Ok();
  }
  std::string out;
  for (const auto& c : conflicts) {
    const std::string ref =
        ShortId(log::ToString(c.record)) + (c.field.empty() ? "" : "." + c.field);
    out += ref + " (" + c.type +
           (c.field.empty() ? ", deleted on one device and edited on another" : "") + ")\n";
    for (std::size_t i = 0; i < c.values.size(); ++i) {
      const auto& v = c.values[i];
      out += "  " + std::to_string(i + 1) + ") " + Clip(v.data, 70) + "\n     by " +
             Device(v.author_name, v.author) + ", " + FormatHlcTime(v.hlc) + "\n";
    }
    if (!c.field.empty())
      out += "  resolve with: parley resolve " + ref + " --pick N, or parley resolve " + ref +
             " VALUE\n";
    out += "\n";
  }
  out +=
      std::to_string(conflicts.size()) + (conflicts.size() == 1 ? " conflict\n" : " conflicts\n");
  app.Print(out);
  return Status::Ok();
}

std::string Joined(const std::vector<std::string_view>& words) {
  std::string out;
  for (auto w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

// "--pick N": a version number as `conflicts` shows them, from 1.
Result<std::size_t> ParsePick(const std::string& text) {
  if (text.empty() || text.size() > 6 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoul(text) == 0) {
    return UsageError(
        "--pick takes a version number as `parley conflicts` shows them (1, 2, ...), got '" + text +
        "'");
  }
  return static_cast<std::size_t>(std::stoul(text));
}

Status Resolve(App& app, const Invocation& inv) {
  const std::string& ref = inv.args[0];
  const auto dot = ref.rfind('.');
  const bool has_field = dot != std::string::npos && dot != 0 && dot + 1 != ref.size();
  if (!has_field) {
    // Name the record's fields when the prefix before the (missing) field names a record.
    const std::string prefix = dot == std::string::npos ? ref : ref.substr(0, dot);
    auto id = app.ResolveId(prefix);
    if (id.ok()) {
      PARLEY_ASSIGN_OR_RETURN(auto record, app.device().GetRecord(*id));
      if (record.has_value() && !model::FieldsOf(record->type).empty()) {
        return UsageError("FIELD_REF must be <record-id-prefix>.<field>, e.g. " + prefix + "." +
                          std::string(model::FieldsOf(record->type).back()) +
                          "; the fields of this " + record->type + " are " +
                          Joined(model::FieldsOf(record->type)));
      }
    } else if (id.status().code() == Code::kInvalidArgument && !app.error_details().empty()) {
      return id.status();  // ambiguous: the candidates
    }
    return UsageError("FIELD_REF must be <record-id-prefix>.<field>, e.g. 1a2b3c4d.status");
  }
  const bool pick = inv.Has("pick");
  if (pick == (inv.args.size() == 2)) {
    return UsageError(pick ? "give either VALUE or --pick N, not both"
                           : "give the VALUE to keep, or --pick N to keep version N as `parley "
                             "conflicts` numbers them");
  }
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(ref.substr(0, dot)));
  const std::string field = ref.substr(dot + 1);
  std::string value;
  if (pick) {
    PARLEY_ASSIGN_OR_RETURN(std::size_t version, ParsePick(inv.Get("pick")));
    PARLEY_RETURN_IF_ERROR(app.model().ResolvePick(id, field, version));
    PARLEY_ASSIGN_OR_RETURN(auto record, app.device().GetRecord(id));
    value = record.has_value() ? record->get(field) : "";
  } else {
    value = inv.args[1];
    PARLEY_RETURN_IF_ERROR(app.model().Resolve(id, field, value));
  }
  if (app.json()) {
    app.PrintJson({{"record", log::ToString(id)}, {"field", field}, {"value", value}});
  } else {
    app.Print("Resolved " + ShortId(log::ToString(id)) + "." + field + " = " + Clip(value, 70) +
              "\n");
  }
  return Status::Ok();
}

// A purged record's history is one "purge" entry: who and when, nothing of its content.
Status PurgedHistory(App& app, const log::RecordId& id, const log::HistoryEntry& h) {
  if (app.json()) {
    app.PrintJson({{"record", log::ToString(id)},
                   {"purged", true},
                   {"time", model::FormatTimestamp(model::HlcUnixMs(h.hlc))},
                   {"hlc", h.hlc},
                   {"author", h.author},
                   {"device", h.author_name},
                   {"seq", h.seq}});
    return Status::Ok();
  }
  app.Print("Record " + log::ToString(id) + " was purged by " + Device(h.author_name, h.author) +
            " at " + FormatHlcTime(h.hlc) + "; nothing of its content is kept.\n");
  return Status::Ok();
}

Status History(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto history, app.model().History(id));
  if (history.size() == 1 && history[0].op == "purge") return PurgedHistory(app, id, history[0]);
  PARLEY_ASSIGN_OR_RETURN(auto record, app.device().GetRecord(id));
  if (!record)
    return Error(Domain::kApp, Code::kNotFound, "no record with id " + log::ToString(id));
  if (app.json()) {
    Json entries = Json::array();
    for (const auto& h : history) {
      entries.push_back({{"time", model::FormatTimestamp(model::HlcUnixMs(h.hlc))},
                         {"hlc", h.hlc},
                         {"author", h.author},
                         {"device", h.author_name},
                         {"seq", h.seq},
                         {"op", h.op},
                         {"field", h.field},
                         {"value", h.value},
                         {"live", h.live}});
    }
    app.PrintJson(
        {{"record", log::ToString(id)}, {"type", record->type}, {"entries", std::move(entries)}});
    return Status::Ok();
  }
  std::string out = "History of " + record->type + " " + log::ToString(id) + "\n";
  Table table({"TIME", "DEVICE", "CHANGE", "FIELD", "VALUE", ""}, 50);
  for (const auto& h : history) {
    table.Row({FormatHlcTime(h.hlc), Device(h.author_name, h.author),
               h.op + " #" + std::to_string(h.seq), h.field, h.value,
               h.op == "set" ? (h.live ? "current" : "superseded") : ""});
  }
  out += table.Render(2);
  if (record->type == model::kCommitment) {
    PARLEY_ASSIGN_OR_RETURN(auto statuses, app.model().StatusHistory(id));
    out += "\nStatus: ";
    for (std::size_t i = 0; i < statuses.size(); ++i) out += (i ? " → " : "") + statuses[i].status;
    out += "\n";
  }
  app.Print(out);
  return Status::Ok();
}

Status Purge(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  const std::string hex = log::ToString(id);
  if (!inv.Has("yes")) {
    if (!::isatty(STDIN_FILENO)) {
      return UsageError("purge destroys record " + hex +
                        " on every device for good: add --yes to confirm");
    }
    PARLEY_ASSIGN_OR_RETURN(auto record, app.device().GetRecord(id));
    const std::string what = record ? record->type + " " + hex : "record " + hex;
    PARLEY_ASSIGN_OR_RETURN(
        std::string typed,
        AskOnTerminal("This destroys " + what +
                      " on every device and relay, for good. Type the record's first 8 hex "
                      "characters (" +
                      hex.substr(0, 8) + ") to confirm: "));
    if (typed != hex.substr(0, 8)) return Error(Domain::kApp, Code::kCancelled, "purge cancelled");
  }
  PARLEY_ASSIGN_OR_RETURN(PurgeResult done, app.device().Purge(id));
  if (app.json()) {
    app.PrintJson({{"record", hex},
                   {"purged", true},
                   {"change", crypto::ToHex(crypto::ByteView(done.outcome.change.data(),
                                                             done.outcome.change.size()))},
                   {"ops_destroyed", done.outcome.ops_destroyed},
                   {"key_destroyed", done.outcome.key_destroyed},
                   {"slot_dropped", done.outcome.slot_dropped},
                   {"relays", SyncResultsJson(done.synced)}});
    return Status::Ok();
  }
  app.Print("Purged record " + hex + ": its key" +
            (done.outcome.key_destroyed ? "" : " (not held here)") + ", " +
            std::to_string(done.outcome.ops_destroyed) +
            " history entries and their values are destroyed on this device; every device that "
            "applies the "
            "purge destroys them too.\n");
  if (done.synced.empty()) {
    app.Print(
        "No relay pinned: the purge reaches the other devices in the next bundle you export.\n");
  }
  for (const auto& r : done.synced) {
    if (r.status.ok()) {
      app.Print("relay " + r.relay + ": published; the relay dropped " +
                std::to_string(r.slots_redacted) + " key slot(s)\n");
    } else {
      app.Print("relay " + r.relay + ": not published: " + r.status.message() +
                " (run `parley sync` later)\n");
    }
  }
  return Status::Ok();
}

}  // namespace

void AddSyncCommands(std::vector<Command>& commands) {
  commands.push_back({{"conflicts"},
                      "",
                      "list fields edited concurrently on different devices",
                      {},
                      0,
                      0,
                      &Conflicts});
  commands.push_back(
      {{"resolve"},
       "FIELD_REF VALUE | FIELD_REF --pick N",
       "settle a field (FIELD_REF is <record-id-prefix>.<field>) to VALUE, or to version N as "
       "`conflicts` numbers them",
       {{"pick", true}},
       1,
       2,
       &Resolve,
       /*needs_store=*/true,
       /*text_args=*/{1}});
  commands.push_back({{"history"},
                      "ID",
                      "every change of a record: who, when, from which device",
                      {},
                      1,
                      1,
                      &History});
  commands.push_back(
      {{"purge"},
       "ID [--yes]",
       "on an admin device: destroy a record for good on every device and relay (asks first "
       "unless --yes)",
       {{"yes", false}},
       1,
       1,
       &Purge});
}

}  // namespace parley::cli
