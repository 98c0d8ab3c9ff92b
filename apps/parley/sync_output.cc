#include "sync_output.h"

namespace parley::cli {
namespace {

std::string Why(const Refusal& r) {
  switch (r.code) {
    case RefusalCode::kTooLarge:
      return r.limit > 0 ? "larger than the relay accepts (" + std::to_string(r.limit) + " bytes)"
                         : "larger than the relay accepts";
    case RefusalCode::kBadSignature:
      return "its signature does not verify";
    case RefusalCode::kBrokenChain:
      return "it does not extend its author's chain held by the relay";
    case RefusalCode::kNotMember:
      return "its author is not a member the relay knows";
    case RefusalCode::kMalformed:
      return "malformed";
    case RefusalCode::kWrongVault:
      return "it belongs to another vault";
    case RefusalCode::kPurged:
      return "its record was purged";
    case RefusalCode::kRevoked:
      return "its author was revoked from the vault";
    case RefusalCode::kOverQuota:
      return "the vault is over its quota on the relay";
    case RefusalCode::kUnknown:
      break;
  }
  return "refused";
}

}  // namespace

std::string RefusalText(const Refusal& refusal) {
  std::string why = refusal.relay_reason.empty() || refusal.code == RefusalCode::kTooLarge
                        ? Why(refusal)
                        : refusal.relay_reason;
  if (refusal.code == RefusalCode::kOverQuota)
    why += " (kept on this device; pushed again once the relay has room)";
  return "change " + crypto::ToHex(crypto::ByteView(refusal.change.data(), 4)) + ": " + why;
}

std::string GapText(const Gap& g) {
  const std::string who = g.device_name.empty() ? g.device.substr(0, 16) : g.device_name;
  return "device " + who + ": changes " + std::to_string(g.first) + "-" + std::to_string(g.last) +
         " missing";
}

std::string SyncResultText(const RelaySyncResult& r) {
  if (!r.status.ok()) return "relay " + r.relay + ": not synced: " + r.status.message() + "\n";
  std::string line = "relay " + r.relay + ": pushed " + std::to_string(r.pushed) + ", pulled " +
                     std::to_string(r.pulled) + ", conflicts " + std::to_string(r.conflicts);
  if (r.refused > 0) line += ", refused " + std::to_string(r.refused);
  if (r.pending > 0) line += ", held back " + std::to_string(r.pending);
  line += "\n";
  for (const auto& x : r.refusals) line += "  refused: " + RefusalText(x) + "\n";
  for (const auto& g : r.gaps) line += "  gap: " + GapText(g) + "\n";
  for (const auto& f : r.relay_faults) {
    line += "  WARNING relay misbehaved (" + f.fault + "): " + f.detail + "\n";
  }
  if (r.resent > 0)
    line += "  re-sent " + std::to_string(r.resent) + " change(s) the relay had lost\n";
  if (r.quarantined > 0) {
    line += "  quarantined " + std::to_string(r.quarantined) +
            " change(s) that are signed by a member but cannot be read; the rest applied\n";
  }
  if (r.set_aside > 0 || r.reissued > 0) {
    line += "  this device was restored from an older copy: " + std::to_string(r.set_aside) +
            " change(s) written since were set aside and " + std::to_string(r.reissued) +
            " written again on top of its history; nothing was lost\n";
  }
  return line;
}

Json SyncResultJson(const RelaySyncResult& r, std::string_view event) {
  Json json = {{"relay", r.relay}};
  if (!event.empty()) json["event"] = event;
  if (!r.status.ok()) {
    json["error"] = r.status.message();
    return json;
  }
  Json refusals = Json::array();
  for (const auto& x : r.refusals) refusals.push_back(RefusalText(x));
  Json gaps = Json::array();
  for (const auto& g : r.gaps) gaps.push_back(GapText(g));
  Json faults = Json::array();
  for (const auto& f : r.relay_faults) faults.push_back({{"fault", f.fault}, {"detail", f.detail}});
  json.update({{"pushed", r.pushed},
               {"refused", r.refused},
               {"pulled", r.pulled},
               {"duplicates", r.duplicates},
               {"pending", r.pending},
               {"conflicts", r.conflicts},
               {"cursor", r.cursor},
               {"head_seq", r.head_seq},
               {"refusals", std::move(refusals)},
               {"gaps", std::move(gaps)},
               {"relay_faults", std::move(faults)},
               {"resent", r.resent},
               {"quarantined", r.quarantined},
               {"set_aside", r.set_aside},
               {"reissued", r.reissued},
               {"slots_redacted", r.slots_redacted},
               {"error", nullptr}});
  return json;
}

Json SyncResultsJson(const std::vector<RelaySyncResult>& results) {
  Json out = Json::array();
  for (const auto& r : results) out.push_back(SyncResultJson(r));
  return out;
}

Json PublishedJson(const std::vector<InvitePublication>& publications) {
  Json out = Json::array();
  for (const auto& p : publications) {
    out.push_back({{"relay", p.relay},
                   {"published", p.status.ok()},
                   {"error", p.status.ok() ? Json() : Json(p.status.message())}});
  }
  return out;
}

}  // namespace parley::cli
