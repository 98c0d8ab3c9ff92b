// Enrollment through pinned relays, used by `vault invite` and `join` (cmd_vault.cc) and
// implemented beside the other relay commands (cmd_devsync.cc).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "app.h"

namespace parley::cli {

// How many relays this device has pinned (0 when none).
Result<std::size_t> PinnedRelayCount(App& app);
// On an admin device after Invite(): for every pinned relay, publishes the vault's members
// and stores the invite sealed to the new device. Prints one line (or JSON fields) per relay.
Status PublishInvite(App& app, std::string_view pairing_code, const std::vector<std::uint8_t>& invite,
                     JsonWriter* json);
// On an invited device: fetches the envelopes waiting for it on the pinned relays (in
// `vault_hex` only, or in every vault when it is empty), accepts the invite and pulls the
// vault. Code::kNotFound when no relay holds an invite for this device; kInvalidArgument
// (nothing joined) when `vault_hex` is empty and invites from several vaults wait: the
// message lists their ids.
Status JoinThroughRelay(App& app, std::string_view vault_hex);

}  // namespace parley::cli

namespace parley::cli {
// Registration of the relay and sync commands (cmd_relay.cc, cmd_devsync.cc).
void AddRelayCommands(std::vector<Command>& commands);
void AddDeviceSyncCommands(std::vector<Command>& commands);
}  // namespace parley::cli
