#include "parley/sync/auth.h"

#include <algorithm>

#include "parley/core/replica_sync.h"

namespace parley::wire {
namespace {

using crypto::Bytes;
using crypto::ByteView;

ByteView View(const std::string& s) { return crypto::AsBytes(s); }

Bytes Labelled(std::string_view label, ByteView data) {
  Bytes msg(label.begin(), label.end());
  msg.insert(msg.end(), data.begin(), data.end());
  return msg;
}

Status Denied(std::string msg) {
  return Error(Domain::kSync, Code::kPermissionDenied, std::move(msg));
}
Status Malformed(std::string msg) {
  return Error(Domain::kSync, Code::kInvalidArgument, std::move(msg));
}

void Set(std::string* field, ByteView bytes) {
  field->assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

Bytes MakeKxCertificate(const crypto::SignKeyPair& identity, ByteView kx_public) {
  return crypto::Sign(identity.secret_key, Labelled(kKxCertLabel, kx_public));
}

pb::Authenticate MakeAuthenticate(const crypto::SignKeyPair& identity, ByteView kx_certificate,
                                  ByteView handshake_hash) {
  pb::Authenticate a;
  Set(a.mutable_identity(), identity.public_key);
  Set(a.mutable_kx_certificate(), kx_certificate);
  Bytes sig = crypto::Sign(identity.secret_key, Labelled(kAuthLabel, handshake_hash));
  Set(a.mutable_signature(), sig);
  a.set_protocol_version(kProtocolVersion);
  return a;
}

Result<Bytes> VerifyAuthenticate(const pb::Authenticate& auth, ByteView handshake_hash,
                                 ByteView remote_static) {
  if (auth.identity().size() != crypto::kSignPublicKeySize)
    return Malformed("the identity key must be 32 bytes");
  if (auth.kx_certificate().size() != crypto::kSignatureSize ||
      auth.signature().size() != crypto::kSignatureSize) {
    return Malformed("signatures must be 64 bytes");
  }
  if (!crypto::Verify(View(auth.identity()), Labelled(kKxCertLabel, remote_static),
                      View(auth.kx_certificate()))
           .ok()) {
    return Denied("the key certificate does not match the handshake key");
  }
  if (!crypto::Verify(View(auth.identity()), Labelled(kAuthLabel, handshake_hash),
                      View(auth.signature()))
           .ok()) {
    return Denied("the authentication signature does not verify");
  }
  return Bytes(auth.identity().begin(), auth.identity().end());
}

pb::RegisterVault MakeRegisterVault(const crypto::SignKeyPair& creator) {
  Bytes nonce = crypto::RandomBytes(32);
  const Bytes vault = log::DeriveVaultId(creator.public_key, nonce);
  pb::RegisterVault r;
  Set(r.mutable_vault(), vault);
  Set(r.mutable_creator(), creator.public_key);
  Set(r.mutable_nonce(), nonce);
  Set(r.mutable_signature(), crypto::Sign(creator.secret_key, Labelled(kRegisterLabel, vault)));
  return r;
}

Status VerifyRegisterVault(const pb::RegisterVault& r) {
  if (r.vault().size() != 32 || r.creator().size() != crypto::kSignPublicKeySize) {
    return Malformed("vault and creator must be 32 bytes");
  }
  if (r.nonce().size() < 16 || r.nonce().size() > 32)
    return Malformed("the nonce must be 16 to 32 bytes");
  const Bytes id = log::DeriveVaultId(View(r.creator()), View(r.nonce()));
  if (!crypto::ConstantTimeEqual(id, View(r.vault())))
    return Malformed("the vault id does not match creator and nonce");
  if (!crypto::Verify(View(r.creator()), Labelled(kRegisterLabel, View(r.vault())),
                      View(r.signature()))
           .ok()) {
    return Denied("the registration signature does not verify");
  }
  return Status::Ok();
}

const MemberEntry* ParsedMembership::Find(ByteView identity) const {
  for (const auto& m : members) {
    if (m.identity.size() == identity.size() &&
        std::equal(m.identity.begin(), m.identity.end(), identity.begin())) {
      return &m;
    }
  }
  return nullptr;
}

bool ParsedMembership::IsRevoked(ByteView identity) const {
  return std::any_of(revoked.begin(), revoked.end(), [&](const Bytes& r) {
    return r.size() == identity.size() && std::equal(r.begin(), r.end(), identity.begin());
  });
}

bool ParsedMembership::RefusesAsRevoked(ByteView author, std::uint64_t seq) const {
  for (std::size_t i = 0; i < revoked.size(); ++i) {
    const Bytes& r = revoked[i];
    if (r.size() == author.size() && std::equal(r.begin(), r.end(), author.begin())) {
      return seq > (i < revoked_after.size() ? revoked_after[i] : 0);
    }
  }
  return false;
}

const Bytes* FirstDroppedRevocation(const ParsedMembership& held, const ParsedMembership& next) {
  for (const Bytes& r : held.revoked) {
    if (!next.IsRevoked(r)) return &r;
  }
  return nullptr;
}

pb::SetMembership MakeSetMembership(const pb::MembershipList& list,
                                    const crypto::SignKeyPair& signer) {
  pb::SetMembership s;
  list.SerializeToString(s.mutable_list());
  Set(s.mutable_signer(), signer.public_key);
  Set(s.mutable_signature(),
      crypto::Sign(signer.secret_key, Labelled(kMembersLabel, View(s.list()))));
  return s;
}

Result<ParsedMembership> ParseMembership(const std::string& list_bytes) {
  pb::MembershipList list;
  if (!list.ParseFromString(list_bytes)) return Malformed("the membership list does not parse");
  if (list.vault().size() != 32) return Malformed("the membership list's vault must be 32 bytes");
  ParsedMembership out;
  out.vault.assign(list.vault().begin(), list.vault().end());
  out.version = list.version();
  bool any_admin = false;
  for (const auto& m : list.members()) {
    if (m.identity().size() != crypto::kSignPublicKeySize)
      return Malformed("a member key must be 32 bytes");
    if (m.role() != "admin" && m.role() != "member")
      return Malformed("a member role must be admin or member");
    if (out.Find(View(m.identity())) != nullptr) return Malformed("a member is listed twice");
    MemberEntry e;
    e.identity.assign(m.identity().begin(), m.identity().end());
    e.admin = m.role() == "admin";
    any_admin = any_admin || e.admin;
    out.members.push_back(std::move(e));
  }
  if (!any_admin) return Malformed("the membership list has no admin");
  for (const auto& r : list.revoked()) {
    if (r.size() != crypto::kSignPublicKeySize) return Malformed("a revoked key must be 32 bytes");
    if (out.Find(View(r)) != nullptr) return Malformed("a key is both a member and revoked");
    if (out.IsRevoked(View(r))) return Malformed("a revoked key is listed twice");
    out.revoked.emplace_back(r.begin(), r.end());
  }
  if (list.revoked_after_size() > list.revoked_size())
    return Malformed("more revocation cutoffs than revoked keys");
  out.revoked_after.assign(list.revoked_after().begin(), list.revoked_after().end());
  out.revoked_after.resize(out.revoked.size(), 0);
  return out;
}

Status VerifyMembershipSignature(const pb::SetMembership& s) {
  if (s.signer().size() != crypto::kSignPublicKeySize)
    return Malformed("the signer key must be 32 bytes");
  if (!crypto::Verify(View(s.signer()), Labelled(kMembersLabel, View(s.list())),
                      View(s.signature()))
           .ok()) {
    return Denied("the membership signature does not verify");
  }
  return Status::Ok();
}

pb::Admission MakeAdmission(crypto::ByteView vault, crypto::ByteView device,
                            const crypto::SignKeyPair& signer) {
  pb::Admission a;
  Set(a.mutable_vault(), vault);
  Set(a.mutable_device(), device);
  Set(a.mutable_signer(), signer.public_key);
  crypto::Bytes msg(kAdmitLabel.begin(), kAdmitLabel.end());
  msg.insert(msg.end(), vault.begin(), vault.end());
  msg.insert(msg.end(), device.begin(), device.end());
  Set(a.mutable_signature(), crypto::Sign(signer.secret_key, msg));
  return a;
}

Status VerifyAdmission(const pb::Admission& a) {
  if (a.vault().size() != 32) return Malformed("an admission's vault must be 32 bytes");
  if (a.device().size() != crypto::kSignPublicKeySize)
    return Malformed("an admission's device key must be 32 bytes");
  if (a.signer().size() != crypto::kSignPublicKeySize)
    return Malformed("an admission's signer key must be 32 bytes");
  crypto::Bytes msg(kAdmitLabel.begin(), kAdmitLabel.end());
  msg.insert(msg.end(), a.vault().begin(), a.vault().end());
  msg.insert(msg.end(), a.device().begin(), a.device().end());
  if (!crypto::Verify(View(a.signer()), msg, View(a.signature())).ok()) {
    return Denied("the admission signature does not verify");
  }
  return Status::Ok();
}

}  // namespace parley::wire
