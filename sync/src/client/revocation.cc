// A device's own check of a relay's revocation notice (parley/sync/revocation.h).
#include "parley/sync/revocation.h"

#include <algorithm>

#include "parley/core/replica_sync.h"
#include "parley/sync/auth.h"

namespace parley::sync {
namespace {

RevocationCheck NotProven(RevocationCheck check, std::string reason) {
  check.proven = false;
  check.reason = std::move(reason);
  return check;
}

}  // namespace

Result<RevocationCheck> CheckRevocationNotice(log::Replica& replica, const store::Store& store,
                                              const RevocationNotice& notice) {
  RevocationCheck check;
  auto list = wire::ParseMembership(notice.list);
  if (!list.ok())
    return NotProven(check,
                     "the list is not a well-formed membership list: " + list.status().message());
  check.list_version = list->version;
  pb::SetMembership signed_list;
  signed_list.set_list(notice.list);
  signed_list.set_signer(notice.signer);
  signed_list.set_signature(notice.signature);
  if (Status s = wire::VerifyMembershipSignature(signed_list); !s.ok()) {
    return NotProven(check, "the list's signature does not verify: " + s.message());
  }
  PARLEY_ASSIGN_OR_RETURN(log::VaultIdentity vault, log::GetVaultIdentity(replica));
  if (!crypto::ConstantTimeEqual(list->vault, vault.vault))
    return NotProven(check, "the list is for another vault");
  const crypto::Bytes& me = store.device().identity.public_key;
  if (!list->IsRevoked(me)) return NotProven(check, "the list does not revoke this device");
  PARLEY_ASSIGN_OR_RETURN(std::vector<log::MemberInfo> members,
                          log::ListMembers(replica, /*include_revoked=*/true));
  const bool signer_is_admin =
      std::any_of(members.begin(), members.end(), [&](const log::MemberInfo& m) {
        return m.identity == notice.signer && m.admin && !m.revoked;
      });
  if (!signer_is_admin)
    return NotProven(check,
                     "the list's signer is not an admin of the vault as this device knows it");
  check.proven = true;
  check.revoked_by = notice.signer;
  return check;
}

}  // namespace parley::sync
