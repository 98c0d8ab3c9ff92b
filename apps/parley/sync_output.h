// Sync results in words and JSON, shared by `sync`, `sync --watch` and `join`.
#pragma once

#include <string>

#include "app.h"
#include "parley/device.h"

namespace parley::cli {

// "change 1a2b3c4d: <why>" for one refused change.
std::string RefusalText(const Refusal& refusal);
// "device <name or key prefix>: changes a-b missing".
std::string GapText(const Gap& gap);
// "relay L: pushed P, pulled Q, conflicts C[, refused R][, held back H]\n" and one line per
// refusal and gap; or "relay L: not synced: <why>\n" when the relay failed.
std::string SyncResultText(const RelaySyncResult& result);
// {"relay", counts..., "refusals": [...], "gaps": [...], "error": null} (docs/cli.md), or
// {"relay", "error": MESSAGE} when the relay failed; `event`, when not empty, is added as
// "event": EVENT (`sync --watch`).
Json SyncResultJson(const RelaySyncResult& result, std::string_view event = {});
// One SyncResultJson per relay, as an array.
Json SyncResultsJson(const std::vector<RelaySyncResult>& results);
// [{"relay", "published", "error"}] for an invite published to the pinned relays ("error"
// null when it was published).
Json PublishedJson(const std::vector<InvitePublication>& publications);

}  // namespace parley::cli
