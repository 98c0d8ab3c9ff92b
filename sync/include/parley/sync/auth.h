// The signed messages of the sync wire: device authentication (channel binding to the Noise
// handshake hash), vault registration and membership lists. docs/wire-protocol.md gives
// the exact byte strings; these functions are the only place that builds or checks them.
//
//   kx certificate  = Ed25519(identity, "parley/kx-cert/v1"  || x25519 static key (32))
//   auth signature  = Ed25519(identity, "parley/auth/v1"     || handshake hash (64))
//   vault id        = log::DeriveVaultId(creator (32), nonce (16..32))
//                   = BLAKE2b-256("parley/vault/v1" || creator || nonce)   (replica_sync.h)
//   registration    = Ed25519(creator,  "parley/register/v1" || vault id (32))
//   membership      = Ed25519(signer,   "parley/members/v1"  || serialized MembershipList)
//   admission       = Ed25519(signer,   "parley/admit/v1"    || vault id (32) || device (32))
//
// Failures: Code::kPermissionDenied when a signature or certificate does not verify,
// Code::kInvalidArgument when a field has the wrong size or form.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/wire.pb.h"

namespace parley::wire {

inline constexpr std::string_view kKxCertLabel = "parley/kx-cert/v1";
inline constexpr std::string_view kAuthLabel = "parley/auth/v1";
inline constexpr std::string_view kRegisterLabel = "parley/register/v1";
inline constexpr std::string_view kMembersLabel = "parley/members/v1";
inline constexpr std::string_view kAdmitLabel = "parley/admit/v1";
inline constexpr std::uint32_t kProtocolVersion = 1;

// ---- Device authentication ----
crypto::Bytes MakeKxCertificate(const crypto::SignKeyPair& identity, crypto::ByteView kx_public);
// The Authenticate frame body a device sends first after the handshake.
pb::Authenticate MakeAuthenticate(const crypto::SignKeyPair& identity,
                                  crypto::ByteView kx_certificate, crypto::ByteView handshake_hash);
// Checks an Authenticate against the session's handshake hash and the peer's Noise static
// key. On success returns the device's identity key (32 bytes).
Result<crypto::Bytes> VerifyAuthenticate(const pb::Authenticate& auth,
                                         crypto::ByteView handshake_hash,
                                         crypto::ByteView remote_static);

// ---- Vault registration ----
// A RegisterVault for a new vault with a random 32-byte nonce.
pb::RegisterVault MakeRegisterVault(const crypto::SignKeyPair& creator);
Status VerifyRegisterVault(const pb::RegisterVault& reg);

// ---- Membership lists ----
struct MemberEntry {
  crypto::Bytes identity;
  bool admin = false;
};
struct ParsedMembership {
  crypto::Bytes vault;
  std::uint64_t version = 0;
  std::vector<MemberEntry> members;
  std::vector<crypto::Bytes> revoked;  // identity keys revoked from the vault (never in `members`)
  // revoked_after[i]: revoked[i]'s changes numbered above it are refused (0 when the list
  // gives no cutoff: all of them).
  std::vector<std::uint64_t> revoked_after;
  const MemberEntry* Find(crypto::ByteView identity) const;
  bool IsRevoked(crypto::ByteView identity) const;
  // Whether change `seq` of `author` is after the author's revocation (false when the
  // author is not revoked).
  bool RefusesAsRevoked(crypto::ByteView author, std::uint64_t seq) const;
};
// Serializes `list`, signs it with `signer`.
pb::SetMembership MakeSetMembership(const pb::MembershipList& list,
                                    const crypto::SignKeyPair& signer);
// Parses a serialized MembershipList and checks its form: 32-byte vault and identities,
// roles "admin" or "member", no identity twice, at least one admin; revoked keys 32 bytes,
// none twice and none also a member; at most one cutoff per revoked key.
Result<ParsedMembership> ParseMembership(const std::string& list_bytes);
// Checks the signature of a SetMembership (not who signed: that is the relay's rule).
Status VerifyMembershipSignature(const pb::SetMembership& set);
// An admission (docs/wire-protocol.md, "Admission"): `signer`'s word that `device` (an
// identity key, 32 bytes) is an admin of `vault` (32 bytes).
pb::Admission MakeAdmission(crypto::ByteView vault, crypto::ByteView device,
                            const crypto::SignKeyPair& signer);
// Checks an admission's form (32-byte vault, device and signer) and signature; not whether
// its signer is an admin (that is the relay's rule).
Status VerifyAdmission(const pb::Admission& admission);
// The first key `held` revokes that `next` does not (a list must keep every revocation);
// null when `next` keeps them all.
const crypto::Bytes* FirstDroppedRevocation(const ParsedMembership& held,
                                            const ParsedMembership& next);

}  // namespace parley::wire
