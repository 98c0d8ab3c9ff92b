// conflicts, resolve, history: seeing and settling what concurrent edits left behind.
#include "app.h"
#include "table.h"

namespace parley::cli {
namespace {

std::string Device(const std::string& name, const std::string& author) {
  return name.empty() ? "device " + author.substr(0, 8) : name;
}

Status Conflicts(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(auto conflicts, app.model().Conflicts());
  if (app.json()) {
    JsonWriter json;
    json.BeginArray();
    for (const auto& c : conflicts) {
      json.BeginObject().Field("record", log::ToString(c.record)).Field("type", c.type).Field("field", c.field);
      json.Key("versions").BeginArray();
      for (const auto& v : c.values) {
        json.BeginObject().Field("value", v.data).Field("time", model::FormatTimestamp(model::HlcUnixMs(v.hlc)));
        json.Field("author", v.author).Field("device", v.author_name).EndObject();
      }
      json.EndArray().EndObject();
    }
    json.EndArray();
    app.PrintJson(json);
    return Status::Ok();
  }
  if (conflicts.empty()) {
    app.Print("No conflicts.\n");
    return Status::Ok();
  }
  std::string out;
  for (const auto& c : conflicts) {
    const std::string ref = ShortId(log::ToString(c.record)) + (c.field.empty() ? "" : "." + c.field);
    out += ref + " (" + c.type + (c.field.empty() ? ", deleted on one device and edited on another" : "") + ")\n";
    for (std::size_t i = 0; i < c.values.size(); ++i) {
      const auto& v = c.values[i];
      out += "  " + std::to_string(i + 1) + ") " + Clip(v.data, 70) + "\n     by " + Device(v.author_name, v.author) +
             ", " + FormatHlcTime(v.hlc) + "\n";
    }
    if (!c.field.empty()) out += "  resolve with: parley resolve " + ref + " VALUE\n";
    out += "\n";
  }
  out += std::to_string(conflicts.size()) + (conflicts.size() == 1 ? " conflict\n" : " conflicts\n");
  app.Print(out);
  return Status::Ok();
}

Status Resolve(App& app, const Invocation& inv) {
  const std::string& ref = inv.args[0];
  const auto dot = ref.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == ref.size()) {
    return UsageError("FIELD_REF must be <record-id-prefix>.<field>, e.g. 1a2b3c4d.status");
  }
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(ref.substr(0, dot)));
  const std::string field = ref.substr(dot + 1);
  PARLEY_RETURN_IF_ERROR(app.model().Resolve(id, field, inv.args[1]));
  if (app.json()) {
    JsonWriter json;
    json.BeginObject().Field("record", log::ToString(id)).Field("field", field).Field("value", inv.args[1]);
    json.EndObject();
    app.PrintJson(json);
  } else {
    app.Print("Resolved " + ShortId(log::ToString(id)) + "." + field + " = " + Clip(inv.args[1], 70) + "\n");
  }
  return Status::Ok();
}

Status History(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto record, app.device().GetRecord(id));
  if (!record) return Error(Domain::kApp, Code::kNotFound, "no record with id " + log::ToString(id));
  PARLEY_ASSIGN_OR_RETURN(auto history, app.model().History(id));
  if (app.json()) {
    JsonWriter json;
    json.BeginObject().Field("record", log::ToString(id)).Field("type", record->type).Key("entries").BeginArray();
    for (const auto& h : history) {
      json.BeginObject().Field("time", model::FormatTimestamp(model::HlcUnixMs(h.hlc))).Field("hlc", h.hlc);
      json.Field("author", h.author).Field("device", h.author_name).Field("seq", h.seq).Field("op", h.op);
      json.Field("field", h.field).Field("value", h.value).Field("live", h.live).EndObject();
    }
    json.EndArray().EndObject();
    app.PrintJson(json);
    return Status::Ok();
  }
  std::string out = "History of " + record->type + " " + log::ToString(id) + "\n";
  Table table({"TIME", "DEVICE", "CHANGE", "FIELD", "VALUE", ""}, 50);
  for (const auto& h : history) {
    table.Row({FormatHlcTime(h.hlc), Device(h.author_name, h.author), h.op + " #" + std::to_string(h.seq), h.field,
               h.value, h.op == "set" ? (h.live ? "current" : "superseded") : ""});
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

}  // namespace

void AddSyncCommands(std::vector<Command>& commands) {
  commands.push_back({{"conflicts"}, "", "list fields edited concurrently on different devices", {}, 0, 0, &Conflicts});
  commands.push_back({{"resolve"}, "FIELD_REF VALUE",
                      "settle a field (FIELD_REF is <record-id-prefix>.<field>) to VALUE", {}, 2, 2, &Resolve,
                      /*needs_store=*/true, /*text_args=*/{1}});
  commands.push_back({{"history"}, "ID", "every change of a record: who, when, from which device", {}, 1, 1,
                      &History});
}

}  // namespace parley::cli
