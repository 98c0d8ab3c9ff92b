// bundle export, bundle import: moving changes between devices without a network.
#include "app.h"
#include "parley/core/bundle.h"
#include "parley/core/checked_code.h"

namespace parley::cli {
namespace {

// What a device holds, as a code another device can use to export only what is missing:
// "parley-state:" + checked base32 of (author identity key (32) || seq (8, little-endian))*.
constexpr std::string_view kStatePrefix = "parley-state:";
constexpr std::string_view kStateLabel = "parley/state/v1";
constexpr std::size_t kStateEntrySize = 32 + 8;

Result<std::string> EncodeState(const log::VersionVector& known) {
  crypto::Bytes payload;
  for (const auto& [author, seq] : known.entries) {
    PARLEY_ASSIGN_OR_RETURN(crypto::Bytes key, crypto::FromHex(author));
    if (key.size() != 32) return Error(Domain::kApp, Code::kInternal, "unexpected author key size");
    payload.insert(payload.end(), key.begin(), key.end());
    for (int i = 0; i < 8; ++i) payload.push_back(static_cast<std::uint8_t>(seq >> (8 * i)));
  }
  if (payload.empty()) payload.push_back(0);  // an empty vault still gets a checkable code
  return EncodeCheckedCode(kStatePrefix, kStateLabel, payload);
}

Result<log::VersionVector> DecodeState(std::string_view code) {
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes payload,
                          DecodeCheckedCode(code, kStatePrefix, kStateLabel, "state code", Domain::kApp));
  log::VersionVector known;
  if (payload.size() == 1 && payload[0] == 0) return known;
  if (payload.size() % kStateEntrySize != 0) {
    return Error(Domain::kApp, Code::kInvalidArgument, "state code: wrong length (cut off?)");
  }
  for (std::size_t at = 0; at < payload.size(); at += kStateEntrySize) {
    std::uint64_t seq = 0;
    for (int i = 0; i < 8; ++i) seq |= static_cast<std::uint64_t>(payload[at + 32 + static_cast<std::size_t>(i)]) << (8 * i);
    known.entries.emplace_back(crypto::ToHex(crypto::ByteView(payload.data() + at, 32)), seq);
  }
  return known;
}

Status State(App& app, const Invocation&) {
  PARLEY_ASSIGN_OR_RETURN(log::VersionVector known, app.replica().Known());
  PARLEY_ASSIGN_OR_RETURN(std::string code, EncodeState(known));
  if (app.json()) {
    JsonWriter json;
    json.BeginObject().Field("state", code).Key("devices").BeginArray();
    for (const auto& [author, seq] : known.entries) {
      json.BeginObject().Field("device", author).Field("seq", static_cast<std::uint64_t>(seq)).EndObject();
    }
    json.EndArray().EndObject();
    app.PrintJson(json);
  } else {
    app.Print(code + "\n");
  }
  return Status::Ok();
}

Status Export(App& app, const Invocation& inv) {
  log::VersionVector known;
  if (inv.Has("since")) {
    PARLEY_ASSIGN_OR_RETURN(known, DecodeState(inv.Get("since")));
  }
  PARLEY_ASSIGN_OR_RETURN(auto summary,
                          bundle::ExportBundle(app.replica(), app.store(), app.env(), inv.args[0], known));
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
  commands.push_back({{"bundle", "export"}, "FILE [--since STATE]",
                      "write this device's changes (or only those the holder of STATE lacks) to an encrypted, "
                      "signed bundle",
                      {{"since", true, false}}, 1, 1, &Export});
  commands.push_back({{"bundle", "state"}, "",
                      "print what this device holds, for another device's `bundle export --since`", {}, 0, 0,
                      &State});
  commands.push_back({{"bundle", "import"}, "FILE", "verify and apply a bundle from another device of the vault", {},
                      1, 1, &Import});
}

}  // namespace parley::cli
