// Enrolment: the checks a joining device makes on an invite (parley/core/enrolment.h).
#include "parley/core/enrolment.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "log/change_codec.h"
#include "log/membership_rules.h"
#include "parley/core/change_rules.h"
#include "parley/core/replica_sync.h"
#include "parley/invite.pb.h"

namespace parley::log {
namespace {

crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }

crypto::Bytes Labelled(std::string_view label, crypto::ByteView data) {
  crypto::Bytes m(label.begin(), label.end());
  m.insert(m.end(), data.begin(), data.end());
  return m;
}

void Scrub(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

Status Bad(std::string msg) {
  return Error(Domain::kLog, Code::kCorrupt, "invite rejected: " + std::move(msg));
}
Status Denied(std::string msg) {
  return Error(Domain::kLog, Code::kPermissionDenied, "invite rejected: " + std::move(msg));
}

// Step 7 of CheckInvite: the membership history the invite carries.
Status CheckMembership(const pb::InviteBody& body, const store::VaultKeys& keys,
                       const store::DeviceKeys& me, CheckedInvite* out) {
  std::vector<MemberOpRow> ops;
  bool genesis = false;
  for (const pb::Change& c : body.membership()) {
    auto checked = CheckChange(c, Bv(body.vault()));
    if (!checked.ok()) return Bad("a membership change: " + checked.status().message());
    const store::VaultKey* key = keys.Epoch(checked->header.epoch());
    if (key == nullptr) return Bad("a membership change is under an unknown key");
    auto b = OpenBody(c, checked->header, key->key.view());
    if (!b.ok()) return Bad("a membership change: " + b.status().message());
    const std::string& author = checked->header.author();
    for (const pb::Op& op : b->ops()) {
      if (op.kind_case() != pb::Op::kAddMember) continue;
      const pb::AddMember& m = op.add_member();
      if (!m.seal_public().empty() &&
          !VerifySealCertificate(Bv(m.identity()), Bv(m.seal_public()), Bv(m.seal_certificate()))
               .ok()) {
        return Bad("a membership change carries a sealing key its device did not certify");
      }
      if (checked->header.seq() == 1 && author == body.founder() &&
          m.identity() == body.founder() && m.role() == "admin") {
        genesis = true;
      }
    }
    for (MemberOpRow& r : MemberOpsOf(author, checked->header.seq(), *b))
      ops.push_back(std::move(r));
    out->membership.push_back(c);
  }
  if (!genesis) return Denied("it does not carry the founder's first change (the vault's genesis)");
  // The membership rules from the founder, as Replica evaluates them (membership_rules.h).
  const Membership m = EvaluateMembership(body.founder(), ops);
  if (!m.IsAdmin(body.inviter())) return Denied("the inviter is not an admin of the vault");
  if (const DeviceMembership* inviter = m.Find(body.inviter())) out->inviter_name = inviter->name;
  const std::string my_seal(me.seal.public_key.begin(), me.seal.public_key.end());
  bool adds_me = false;
  for (const MemberOpRow& op : ops) {
    if (op.kind == MemberOpRow::Kind::kAdd && op.author == body.inviter() &&
        op.target == body.recipient() && op.seal == my_seal) {
      adds_me = true;
    }
  }
  if (!adds_me) return Denied("it does not carry the inviter's change that adds this device");
  if (const DeviceMembership* d = m.Find(body.recipient()); d == nullptr || d->revoked) {
    return Denied("this device is not a member of the vault in the history it carries");
  }
  return Status::Ok();
}

}  // namespace

crypto::Bytes MakeSealCertificate(const crypto::SignKeyPair& identity,
                                  crypto::ByteView seal_public) {
  return crypto::Sign(identity.secret_key, Labelled(kSealCertLabel, seal_public));
}

Status VerifySealCertificate(crypto::ByteView identity, crypto::ByteView seal_public,
                             crypto::ByteView certificate) {
  if (identity.size() != crypto::kSignPublicKeySize || seal_public.size() != crypto::kDhSize ||
      certificate.size() != crypto::kSignatureSize ||
      !crypto::Verify(identity, Labelled(kSealCertLabel, seal_public), certificate).ok()) {
    return Error(Domain::kLog, Code::kCorrupt,
                 "the sealing key is not certified by the identity key");
  }
  return Status::Ok();
}

crypto::Bytes InviteSignedMessage(std::string_view body) {
  return Labelled(kInviteSignLabel, Bv(body));
}

crypto::Hash InviteMac(crypto::ByteView secret, std::string_view body, std::string_view signature) {
  crypto::Hasher h(crypto::kHashSize, secret);
  h.Update(kInviteMacLabel).UpdateU64(body.size()).Update(body).Update(signature);
  return h.Final256();
}

std::string SafetyCode(crypto::ByteView vault, crypto::ByteView inviter, crypto::ByteView recipient,
                       crypto::ByteView secret) {
  crypto::Hasher h(crypto::kHashSize, secret);
  h.Update(kSafetyCodeLabel).Update(vault).Update(inviter).Update(recipient);
  const crypto::Hash d = h.Final256();
  const std::uint32_t n = (std::uint32_t{d[0]} << 24 | std::uint32_t{d[1]} << 16 |
                           std::uint32_t{d[2]} << 8 | std::uint32_t{d[3]}) %
                          1000000u;
  char out[8];
  std::snprintf(out, sizeof out, "%03u-%03u", static_cast<unsigned>(n / 1000),
                static_cast<unsigned>(n % 1000));
  return out;
}

Result<CheckedInvite> CheckInvite(std::span<const std::uint8_t> blob, const store::DeviceKeys& me) {
  // 1, 2: the MAC first, so nothing else of an invite not made from this code is looked at.
  if (blob.size() > kMaxInviteSize) return Bad("it is larger than the largest invite");
  pb::Invite invite;
  if (!invite.ParseFromArray(blob.data(), static_cast<int>(blob.size())))
    return Bad("it does not parse");
  if (me.enrol_secret.size() != store::kEnrolSecretSize ||
      invite.mac().size() != crypto::kHashSize ||
      !crypto::ConstantTimeEqual(
          InviteMac(me.enrol_secret.view(), invite.body(), invite.signature()), Bv(invite.mac()))) {
    return Error(Domain::kLog, Code::kPermissionDenied,
                 "this invite was not made from this device's pairing code");
  }
  // 3.
  pb::InviteBody body;
  if (!body.ParseFromString(invite.body())) return Bad("its body does not parse");
  if (body.vault().size() != 32 || body.founder().size() != 32 || body.inviter().size() != 32 ||
      body.recipient().size() != 32 || body.recipient_seal().size() != crypto::kDhSize ||
      body.vault_nonce().size() != 32) {
    return Bad("malformed keys");
  }
  if (!crypto::Verify(Bv(body.inviter()), InviteSignedMessage(invite.body()),
                      Bv(invite.signature()))
           .ok()) {
    return Bad("the signature does not verify (tampered?)");
  }
  // 4.
  if (!crypto::ConstantTimeEqual(Bv(body.recipient()), me.identity.public_key) ||
      !crypto::ConstantTimeEqual(Bv(body.recipient_seal()), me.seal.public_key)) {
    return Denied("it is for another device");
  }
  // 5.
  if (!crypto::ConstantTimeEqual(DeriveVaultId(Bv(body.founder()), Bv(body.vault_nonce())),
                                 Bv(body.vault()))) {
    return Bad("the vault id is not derived from the vault's founder");
  }
  // 6.
  CheckedInvite out;
  auto opened = crypto::OpenSealed(me.seal, Bv(body.sealed_keys()));
  if (!opened.ok()) return Bad("the vault keys do not open");
  pb::SealedVaultKeys sealed;
  const bool parsed = sealed.ParseFromArray(opened->data(), static_cast<int>(opened->size()));
  std::fill(opened->begin(), opened->end(), std::uint8_t{0});
  auto scrub_all = [&] {
    for (auto& k : *sealed.mutable_keys()) Scrub(*k.mutable_key());
  };
  if (!parsed || sealed.keys_size() == 0) {
    scrub_all();
    return Bad("the vault keys are malformed");
  }
  out.keys.vault_id.assign(body.vault().begin(), body.vault().end());
  out.keys.name = body.vault_name();
  for (int i = 0; i < sealed.keys_size(); ++i) {
    const pb::EpochKey& k = sealed.keys(i);
    if (k.key().size() != crypto::kAeadKeySize ||
        (i > 0 && k.epoch() <= sealed.keys(i - 1).epoch())) {
      scrub_all();
      return Bad("the vault keys are malformed");
    }
    out.keys.epochs.push_back(store::VaultKey{k.epoch(), crypto::SecretBytes::Copy(Bv(k.key()))});
  }
  scrub_all();
  // 7.
  PARLEY_RETURN_IF_ERROR(CheckMembership(body, out.keys, me, &out));
  out.vault = body.vault();
  out.vault_nonce = body.vault_nonce();
  out.vault_name = body.vault_name();
  out.founder = body.founder();
  out.inviter = body.inviter();
  out.safety_code = SafetyCode(Bv(body.vault()), Bv(body.inviter()), Bv(body.recipient()),
                               me.enrol_secret.view());
  return out;
}

}  // namespace parley::log
