// bundle export, bundle import: moving changes between devices without a network.
#include "app.h"

namespace parley::cli {
namespace {

Status State(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(std::string code, app.device().BundleState());
  if (app.json()) {
    PARLEY_ASSIGN_OR_RETURN(log::VersionVector known, bundle::DecodeStateCode(code));
    Json devices = Json::array();
    for (const auto& [author, seq] : known.entries)
      devices.push_back({{"device", author}, {"seq", seq}});
    app.PrintJson({{"state", code}, {"devices", std::move(devices)}});
  } else {
    app.Print(code + "\n");
  }
  return Status::Ok();
}

Status Export(App& app, const Invocation& inv) {
  if (inv.Has("since") && inv.Get("since").empty()) return UsageError("--since needs a state code");
  // The library guards the data directory; the key-store directory is known here.
  const std::string protected_dirs[] = {app.data_dir(), app.keystore_dir()};
  PARLEY_RETURN_IF_ERROR(bundle::CheckBundleTarget(app.env(), inv.args[0], protected_dirs));
  PARLEY_ASSIGN_OR_RETURN(auto summary, app.device().ExportBundle(inv.args[0], inv.Get("since")));
  if (app.json()) {
    app.PrintJson({{"file", inv.args[0]}, {"changes", summary.changes}, {"bytes", summary.bytes}});
  } else {
    app.Print("Exported " + std::to_string(summary.changes) + " changes (" +
              std::to_string(summary.bytes) + " bytes, encrypted and signed) to " + inv.args[0] +
              "\n");
  }
  return Status::Ok();
}

Status Import(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(ImportResult imported, app.device().ImportBundle(inv.args[0]));
  const log::ApplyReport& report = imported.report;
  const std::size_t conflicts = imported.conflicts;
  if (app.json()) {
    app.PrintJson({{"applied", report.applied},
                   {"duplicates", report.duplicates},
                   {"pending", report.pending},
                   {"gaps", report.gaps},
                   {"conflicts", conflicts}});
  } else {
    std::string out = "Imported " + inv.args[0] + ": " + std::to_string(report.applied) +
                      " new changes, " + std::to_string(report.duplicates) + " already held";
    if (report.pending)
      out += ", " + std::to_string(report.pending) + " waiting for their author's enrollment";
    out += "\n";
    for (const auto& g : report.gaps)
      out += "  missing changes: " + g + " (import a newer bundle from that device)\n";
    if (conflicts > 0) {
      out += "⚠ " + std::to_string(conflicts) + (conflicts == 1 ? " conflict" : " conflicts") +
             " to resolve: see `parley conflicts`\n";
    }
    app.Print(out);
  }
  return Status::Ok();
}

}  // namespace

void AddBundleCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"bundle", "export"},
       "FILE [--since STATE]",
       "write this device's changes (or only those the holder of STATE lacks) to an encrypted, "
       "signed bundle",
       {{"since", true, false}},
       1,
       1,
       &Export});
  commands.push_back({{"bundle", "state"},
                      "",
                      "print what this device holds, for another device's `bundle export --since`",
                      {},
                      0,
                      0,
                      &State});
  commands.push_back({{"bundle", "import"},
                      "FILE",
                      "verify and apply a bundle from another device of the vault",
                      {},
                      1,
                      1,
                      &Import});
}

}  // namespace parley::cli
