// Sync results in words and JSON, shared by `sync`, `sync --watch` and `join`.
#pragma once

#include <string>

#include "json_writer.h"
#include "parley/device.h"

namespace parley::cli {

// "change 1a2b3c4d: <why>" for one refused change.
std::string RefusalText(const Refusal& refusal);
// "device <name or key prefix>: changes a-b missing".
std::string GapText(const Gap& gap);
// "relay L: pushed P, pulled Q, conflicts C[, refused R][, held back H]\n" and one line per
// refusal and gap; or "relay L: not synced: <why>\n" when the relay failed.
std::string SyncResultText(const RelaySyncResult& result);
// {"relay", counts..., "refusals": [...], "gaps": [...]} (docs/cli.md), or {"relay", "error"}
// when the relay failed; `null_error` adds "error": null to a success (`parley sync`);
// `event`, when not empty, comes first as {"event": EVENT, ...} (`sync --watch`).
void WriteSyncResultJson(JsonWriter& json, const RelaySyncResult& result, bool null_error = false,
                         std::string_view event = {});

}  // namespace parley::cli
