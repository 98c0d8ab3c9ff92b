// Device: enrolment through invite files and through pinned relays.
#include <algorithm>
#include <map>

#include "device_impl.h"
#include "parley/core/enrolment.h"
#include "parley/core/replica_sync.h"
#include "parley/sync/wire_limits.h"

namespace parley {
namespace {

// Invites opened from relay envelopes that passed log::CheckInvite, by the vault each names
// (never by the vault the relay filed it under). The opened bytes hold vault keys: they are
// zeroed when this goes away.
struct Offers {
  std::map<std::string, std::vector<crypto::Bytes>> by_vault;
  ~Offers() {
    for (auto& [vault, blobs] : by_vault) {
      for (auto& b : blobs) std::fill(b.begin(), b.end(), std::uint8_t{0});
    }
  }
};

Result<JoinResult> Joined(Device& device, const log::Joined& joined) {
  JoinResult out;
  PARLEY_ASSIGN_OR_RETURN(auto summary, device.Vault());
  if (!summary.has_value())
    return DeviceError(Code::kInternal, "the accepted invite left no vault");
  out.vault = *summary;
  out.inviter = joined.inviter_name;
  out.inviter_id = crypto::ToHex(crypto::AsBytes(joined.inviter));
  out.safety_code = joined.safety_code;
  return out;
}

}  // namespace

Result<InviteResult> Device::Invite(std::string_view pairing_code) {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.OpenSync());
  PARLEY_ASSIGN_OR_RETURN(log::DeviceCode device, log::DecodeDeviceCode(pairing_code));
  PARLEY_ASSIGN_OR_RETURN(auto relays, d.state->Relays());
  InviteResult out;
  {
    PARLEY_ASSIGN_OR_RETURN(log::InviteMade made, d.replica->InviteDevice(pairing_code));
    out.invite = std::move(made.invite);
    out.safety_code = std::move(made.safety_code);
  }
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(*d.replica));
  out.vault_id = crypto::ToHex(vault.vault);
  if (relays.empty()) return out;
  // The whole invite is sealed to the new device's sealing key: the relay learns nothing of
  // it, not even the vault's name. (The invite's MAC, not this seal, is what tells the new
  // device the invite came from its pairing code: anyone can seal to a public key.)
  const crypto::Bytes sealed = crypto::SealTo(device.seal, out.invite);
  if (sealed.size() > wire::kMaxEnvelopeBytes) {
    return DeviceError(Code::kUnsupported,
                       "the invite is too large for a relay envelope; carry it as a file instead");
  }
  sync::Canceller& cancel = d.FreshCanceller();
  Status first = Status::Ok();
  std::size_t published = 0;
  for (const auto& r : relays) {
    Status st = d.client->PutEnvelope(r.id, device.identity, sealed, &cancel);
    if (st.code() == Code::kCancelled) return st;
    if (st.ok()) ++published;
    if (!st.ok() && first.ok()) first = st;
    out.relays.push_back(InvitePublication{r.label(), st});
  }
  if (published == 0) return first;
  return out;
}

Result<JoinResult> Device::JoinWithInvite(std::span<const std::uint8_t> invite) {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.RequireUnlocked());
  PARLEY_ASSIGN_OR_RETURN(log::Joined joined, d.replica->JoinVault(invite));
  PARLEY_RETURN_IF_ERROR(d.CheckRevoked());
  return Joined(*this, joined);
}

Result<JoinResult> Device::JoinThroughRelays(std::string_view vault_id_hex) {
  Impl& d = *impl_;
  PARLEY_RETURN_IF_ERROR(d.OpenSync());
  if (d.store->vault().has_value()) {
    return DeviceError(Code::kAlreadyExists, "this device already belongs to vault \"" +
                                                 d.store->vault()->name +
                                                 "\"; a device belongs to one vault");
  }
  crypto::Bytes vault;
  if (!vault_id_hex.empty()) {
    PARLEY_ASSIGN_OR_RETURN(vault, crypto::FromHex(vault_id_hex));
    if (vault.size() != 32)
      return DeviceError(Code::kInvalidArgument, "a vault id is 64 hex characters");
  }
  PARLEY_ASSIGN_OR_RETURN(auto relays, d.state->Relays());
  if (relays.empty()) {
    return DeviceError(
        Code::kInvalidArgument,
        "give INVITE_FILE, or pin the admin's relay first with `parley relay add PAIRING_CODE`");
  }
  sync::Canceller& cancel = d.FreshCanceller();
  // Every invite sealed to this device on any pinned relay; the same vault's invite is
  // usually on several relays.
  Offers offers;
  Status relay_error = Status::Ok();
  Status refused = Status::Ok();  // the first invite that failed its checks
  std::size_t elsewhere = 0;      // valid invites for another vault than the one named
  for (const auto& r : relays) {
    Result<std::vector<sync::KeyEnvelope>> envelopes = std::vector<sync::KeyEnvelope>();
    if (vault.empty()) {
      envelopes = d.client->ListEnvelopes(r.id, &cancel);
    } else {
      auto sealed = d.client->GetEnvelopes(r.id, vault, &cancel);
      if (sealed.ok()) {
        for (auto& e : *sealed) envelopes->push_back(sync::KeyEnvelope{vault, std::move(e)});
      } else {
        envelopes = sealed.status();
      }
    }
    if (!envelopes.ok()) {
      if (envelopes.status().code() == Code::kCancelled) return envelopes.status();
      if (relay_error.ok()) relay_error = envelopes.status();
      continue;
    }
    for (const auto& e : *envelopes) {
      auto blob = crypto::OpenSealed(d.store->device().seal, e.sealed);
      if (!blob.ok()) continue;  // not for this key pair, or damaged
      std::string named;
      {
        auto checked = log::CheckInvite(*blob, d.store->device());
        if (!checked.ok()) {
          if (refused.ok()) refused = checked.status();
          std::fill(blob->begin(), blob->end(), std::uint8_t{0});
          continue;
        }
        named = checked->vault;
      }
      if (!vault.empty() && !crypto::ConstantTimeEqual(crypto::AsBytes(named), vault)) {
        ++elsewhere;
        std::fill(blob->begin(), blob->end(), std::uint8_t{0});
        continue;
      }
      offers.by_vault[named].push_back(std::move(*blob));
    }
  }
  if (offers.by_vault.empty()) {
    if (!refused.ok()) return refused;
    if (!relay_error.ok()) return relay_error;
    if (elsewhere > 0) {
      return DeviceError(
          Code::kNotFound,
          "no pinned relay holds an invite for this device in that vault (an invite for another "
          "vault waits: run `parley join` without --vault to see it)");
    }
    return DeviceError(
        Code::kNotFound,
        vault.empty() ? "no pinned relay holds an invite for this device; on an admin device run "
                        "`parley vault invite` with this device's pairing code, then try again"
                      : "no pinned relay holds an invite for this device in that vault");
  }
  if (offers.by_vault.size() > 1) {
    std::string ids;
    for (const auto& [id, blobs] : offers.by_vault) {
      ids += (ids.empty() ? "" : ", ") + crypto::ToHex(crypto::AsBytes(id));
    }
    return DeviceError(Code::kInvalidArgument,
                       "invites from " + std::to_string(offers.by_vault.size()) +
                           " vaults wait for this device: " + ids +
                           "; choose one with `parley join --vault VAULT_ID`");
  }
  Status last = Status::Ok();
  std::optional<log::Joined> joined;
  for (const auto& blob : offers.by_vault.begin()->second) {
    auto accepted = d.replica->JoinVault(blob);
    if (accepted.ok()) {
      joined = std::move(*accepted);
      break;
    }
    last = accepted.status();
  }
  if (!joined.has_value()) return last;
  PARLEY_ASSIGN_OR_RETURN(JoinResult out, Joined(*this, *joined));
  PARLEY_ASSIGN_OR_RETURN(SyncResult synced, Sync());
  out.synced = std::move(synced.relays);
  return out;
}

}  // namespace parley
