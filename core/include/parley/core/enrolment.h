// Enrolment: the rules that tie an invite to the pairing code an admin really saw
// (docs/enrolment.md).
//
// A new device's pairing code (v2) carries, besides its public keys, a random one-time
// enrolment secret that is never sent to a relay. The admin's invite is MACed with it, so a
// device accepts only an invite made from its own code: not one made by someone who knows
// only its public keys, and not an envelope swapped by the relay. The invite also carries
// what the new device needs to check who invited it (the vault id's derivation, the signed
// membership history back to the founder's genesis). Both screens then show a short safety
// code derived from the vault, both devices and the secret.
//
//   seal certificate = Ed25519(identity, "parley/seal-cert/v1" || seal public key)
//   invite signature = Ed25519(inviter, "parley/invite/v2" || body)
//   invite mac       = BLAKE2b-256(key = secret, "parley/invite-mac/v1" || le64(len(body)) || body
//                                  || signature)
//   safety code      = BLAKE2b-256(key = secret, "parley/safety-code/v1" || vault || inviter
//                                  || recipient): its first 4 bytes as a big-endian number,
//                      modulo 1,000,000, written as 6 digits "ddd-ddd"
//
// Thread safety: pure functions, any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parley/change.pb.h"
#include "parley/core/crypto.h"
#include "parley/core/recovery_key.h"
#include "parley/core/store.h"
#include "parley/platform/env.h"

namespace parley::log {

inline constexpr std::string_view kSealCertLabel = "parley/seal-cert/v1";
inline constexpr std::string_view kInviteSignLabel = "parley/invite/v2";
inline constexpr std::string_view kInviteMacLabel = "parley/invite-mac/v1";
inline constexpr std::string_view kSafetyCodeLabel = "parley/safety-code/v1";

// Largest invite accepted (bytes). Through relays an invite fits one 4,096-byte envelope; an
// invite file carries the vault's whole membership history, far below this.
inline constexpr std::size_t kMaxInviteSize = 1u << 20;

// Reads an invite file, whatever it is (a FIFO works), and never more than
// kMaxInviteSize + 1 bytes: Code::kCorrupt when longer (so /dev/zero is refused at once),
// kNotFound when missing, kInvalidArgument for a directory. Any thread.
Result<crypto::Bytes> ReadInviteFile(Env& env, const std::string& path);

// The identity key's certificate of a sealing key.
crypto::Bytes MakeSealCertificate(const crypto::SignKeyPair& identity,
                                  crypto::ByteView seal_public);
// Code::kCorrupt when `certificate` is not `identity`'s signature of `seal_public`.
Status VerifySealCertificate(crypto::ByteView identity, crypto::ByteView seal_public,
                             crypto::ByteView certificate);

// "parley/invite/v2" || body: what the inviter signs.
crypto::Bytes InviteSignedMessage(std::string_view body);
// The invite MAC under the recipient's enrolment secret.
crypto::Hash InviteMac(crypto::ByteView secret, std::string_view body, std::string_view signature);
// "123-456". Every argument is raw bytes (32, 32, 32, kEnrolSecretSize).
std::string SafetyCode(crypto::ByteView vault, crypto::ByteView inviter, crypto::ByteView recipient,
                       crypto::ByteView secret);

// The pairing code (v2) of the vault's recovery member whose keys `key` derives
// (docs/recovery.md): its identity, handshake and sealing keys, the sealing key's
// certificate by that identity, its enrolment secret and `name`. The same code for the same
// key and name. Holds the enrolment secret: do not show or store it.
std::string RecoveryMemberPairingCode(const recovery::RecoveryKey& key, std::string_view name);

// An invite that passed every check of a joining device, opened.
struct CheckedInvite {
  std::string vault;        // 32 raw bytes, re-derived from founder and nonce
  std::string vault_nonce;  // 32 raw bytes
  std::string vault_name;
  std::string founder;       // 32 raw bytes
  std::string inviter;       // 32 raw bytes
  std::string inviter_name;  // the inviter's device name, from the membership history
  std::string safety_code;
  store::VaultKeys keys;               // every epoch key of the invite
  std::vector<pb::Change> membership;  // verified, in the invite's order
};

// Every check a joining device `me` makes on an invite, in this order (docs/enrolment.md):
//   1. it parses                                              else Code::kCorrupt
//   2. its MAC verifies under me.enrol_secret                 else Code::kPermissionDenied
//      ("this invite was not made from this device's pairing code"; also when `me` has no
//      secret left)
//   3. the body parses, keys have their sizes, the inviter's signature verifies
//                                                             else Code::kCorrupt
//   4. recipient and recipient_seal are me's identity and sealing keys
//                                                             else Code::kPermissionDenied
//   5. vault == DeriveVaultId(founder, vault_nonce)           else Code::kCorrupt
//   6. the sealed keys open with me.seal and are well formed  else Code::kCorrupt
//   7. every membership change verifies (form, signature, vault) and opens; the founder's
//      genesis (seq 1, adding the founder as admin) is among them; in the admin closure from
//      the founder, the inviter is an admin and the inviter adds `me` (with me's sealing
//      key)                                                   else Code::kPermissionDenied
//                                                             (kCorrupt for a bad change)
// Writes nothing. The result holds vault keys: let it go out of scope promptly.
Result<CheckedInvite> CheckInvite(std::span<const std::uint8_t> invite,
                                  const store::DeviceKeys& me);

}  // namespace parley::log
