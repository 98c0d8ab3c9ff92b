// report: a negotiation's report as CSV, HTML or Markdown (the library builds and renders
// it, parley/core/report.h); this command picks the format and writes it.
#include <array>
#include <nlohmann/json.hpp>

#include "app.h"
#include "parley/core/bundle.h"
#include "parley/core/report.h"

namespace parley::cli {
namespace {

// Writes `text` to `path` atomically (mode 0600), never over the store's own files nor
// over anything that is not a regular file.
Status WriteReport(App& app, const std::string& path, const std::string& text) {
  const std::array<std::string, 2> protected_dirs{app.data_dir(), app.keystore_dir()};
  if (Status s = bundle::CheckBundleTarget(app.env(), path, protected_dirs); !s.ok()) {
    std::string message = s.message();
    const std::string bundle_words = "the bundle";
    if (auto at = message.find(bundle_words); at != std::string::npos)
      message.replace(at, bundle_words.size(), "the report");
    return Error(Domain::kApp, s.code(), message);
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  return app.env().WriteFileAtomic(path, std::span<const std::uint8_t>(bytes, text.size()));
}

Status Report(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto format, report::ParseFormat(inv.Get("format", "md")));
  if (app.json() && !inv.Has("output"))
    return UsageError("--json needs --output FILE (the report is the output)");
  std::vector<report::NegotiationReport> reports;
  for (const auto& arg : inv.args) {
    PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(arg));
    PARLEY_ASSIGN_OR_RETURN(auto r, report::Build(app.model(), app.env().clock(), id));
    reports.push_back(std::move(r));
  }
  std::string text = report::Render(format, reports);
  if (!inv.Has("output")) {
    app.Print(text);
    return Status::Ok();
  }
  const std::string path = inv.Get("output");
  PARLEY_RETURN_IF_ERROR(WriteReport(app, path, text));
  if (app.json()) {
    nlohmann::json out = {
        {"file", path}, {"format", inv.Get("format", "md")}, {"bytes", text.size()}};
    out["negotiations"] = nlohmann::json::array();
    for (const auto& r : reports) out["negotiations"].push_back(log::ToString(r.id));
    app.PrintJson(out);
  } else {
    app.Print("Wrote the report of " + std::to_string(reports.size()) + " negotiation" +
              (reports.size() == 1 ? "" : "s") + " to " + path + " (" +
              std::to_string(text.size()) + " bytes)\n");
  }
  return Status::Ok();
}

}  // namespace

void AddReportCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"report"},
       "NEGOTIATION_ID... [--format csv|html|md] [--output FILE]",
       "a printable report: bottom line and requirements, commitments and their history, stall and "
       "campaign signals, the Buyer's needs",
       {{"format", true}, {"output", true}},
       1,
       64,
       &Report});
}

}  // namespace parley::cli
