// bundle export, bundle import: moving changes between devices without a network.
#include "app.h"
#include "parley/core/bundle.h"

namespace parley::cli {
namespace {

Status Export(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto summary, bundle::ExportBundle(app.replica(), app.store(), app.env(), inv.args[0]));
  if (app.json()) {
    JsonWriter json;
    json.BeginObject().Field("file", inv.args[0]).Field("changes", static_cast<std::uint64_t>(summary.changes));
    json.Field("bytes", summary.bytes).EndObject();
    app.PrintJson(json);
  } else {
    app.Print("Exported " + std::to_string(summary.changes) + " changes (" + std::to_string(summary.bytes) +
              " bytes, encrypted and signed) to " + inv.args[0] + "\n");
  }
  return Status::Ok();
}

Status Import(App& app, const Invocation& inv) {
  if (!app.env().FileExists(inv.args[0])) {
    return Error(Domain::kApp, Code::kNotFound, "no bundle file " + inv.args[0]);
  }
  PARLEY_ASSIGN_OR_RETURN(auto report, bundle::ImportBundle(app.replica(), app.store(), app.env(), inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto conflicts, app.model().Conflicts());
  if (app.json()) {
    JsonWriter json;
    json.BeginObject().Field("applied", static_cast<std::uint64_t>(report.applied));
    json.Field("duplicates", static_cast<std::uint64_t>(report.duplicates));
    json.Field("pending", static_cast<std::uint64_t>(report.pending)).Key("gaps").BeginArray();
    for (const auto& g : report.gaps) json.String(g);
    json.EndArray().Field("conflicts", static_cast<std::uint64_t>(conflicts.size())).EndObject();
    app.PrintJson(json);
  } else {
    std::string out = "Imported " + inv.args[0] + ": " + std::to_string(report.applied) + " new changes, " +
                      std::to_string(report.duplicates) + " already held";
    if (report.pending) out += ", " + std::to_string(report.pending) + " waiting for their author's enrollment";
    out += "\n";
    for (const auto& g : report.gaps) out += "  missing changes: " + g + " (import a newer bundle from that device)\n";
    if (!conflicts.empty()) {
      out += "⚠ " + std::to_string(conflicts.size()) +
             (conflicts.size() == 1 ? " conflict" : " conflicts") + " to resolve: see `parley conflicts`\n";
    }
    app.Print(out);
  }
  return Status::Ok();
}

}  // namespace

void AddBundleCommands(std::vector<Command>& commands) {
  commands.push_back({{"bundle", "export"}, "FILE", "write this device's changes to an encrypted, signed bundle", {}, 1,
                      1, &Export});
  commands.push_back({{"bundle", "import"}, "FILE", "verify and apply a bundle from another device of the vault", {},
                      1, 1, &Import});
}

}  // namespace parley::cli
