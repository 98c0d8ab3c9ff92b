// A relay's claim that this device was revoked from its vault, and the device's own check of
// it (docs/wire-protocol.md, "Revocation").
//
// A relay refusing a revoked device answers ERROR_REVOKED with the signed membership list
// that revokes it (Error.revocation). The sync client keeps that answer as a
// RevocationNotice (SyncClient::last_revocation()) and does nothing else with it: a relay's
// word alone must never make a device wipe itself or give up its vault. The caller decides
// what to do after CheckRevocationNotice has proven the notice from what the device itself
// holds.
//
// Ownership: plain values; CheckRevocationNotice borrows the Replica and Store for the call.
// Thread safety: CheckRevocationNotice on the thread that owns the Store and Replica.
#pragma once

#include <cstdint>
#include <string>

#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/platform/status.h"

namespace parley::sync {

// What a relay sent with ERROR_REVOKED (all raw bytes, verbatim from Error.revocation).
struct RevocationNotice {
  std::string list;       // the serialized MembershipList, as signed
  std::string signer;     // 32-byte Ed25519 key of the admin who signed it
  std::string signature;  // 64 bytes
  std::string relay;      // the label of the relay that sent it
};

// The verdict on a notice. `proven` only when every check passed; `reason` says which
// check failed otherwise (for people; empty when proven).
struct RevocationCheck {
  bool proven = false;
  std::string revoked_by;          // 32 raw bytes: the signer (set when proven)
  std::uint64_t list_version = 0;  // the list's version (set once the list parses)
  std::string reason;
};

// Checks `notice` against what this device holds. Proven exactly when:
//   1. the list parses and is well formed (wire::ParseMembership);
//   2. `signature` verifies under `signer` over "parley/members/v1" || list;
//   3. the list's vault is this device's vault (log::GetVaultIdentity);
//   4. the list's `revoked` holds this device's identity key (store.device());
//   5. `signer` is a current admin in this device's own view of the vault
//      (log::ListMembers(replica, true): admin and not revoked). An admin who was
//      appointed after this device last synced, or who was itself revoked since, is not
//      accepted: the notice is then not proven, and the device keeps its data.
// Returns an error only when the device's own state cannot be read (no vault, storage
// failure); a notice that fails a check is an OK result with proven == false.
Result<RevocationCheck> CheckRevocationNotice(log::Replica& replica, const store::Store& store,
                                              const RevocationNotice& notice);

}  // namespace parley::sync
