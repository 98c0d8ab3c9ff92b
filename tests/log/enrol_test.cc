// Enrolment: a device joins only through an invite made from its own pairing code, by an
// admin of the vault the invite names (docs/enrolment.md). The hijacks this prevents are
// reproduced here: a stranger who knows only the device's public keys, and a relay that
// hands the device someone else's invite.
#include <gtest/gtest.h>

#include <functional>

#include "log/pairing.h"
#include "log_test_util.h"
#include "parley/core/checked_code.h"
#include "parley/core/enrolment.h"
#include "parley/core/replica_sync.h"
#include "parley/invite.pb.h"
#include "parley/testing/fake_env.h"

namespace parley::logtest {
namespace {

crypto::ByteView Bv(const std::string& s) { return crypto::AsBytes(s); }

// What a stranger learns from a pairing code shown to someone else, or from the relay:
// the public keys, without the one-time secret (here replaced by one of his own).
std::string WithoutSecret(const std::string& code) {
  auto info = log::DecodePairingCode(code);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  info->secret = crypto::RandomBytes(store::kEnrolSecretSize);
  return log::EncodePairingCode(*info);
}

crypto::Bytes SecretOf(const std::string& code) {
  auto info = log::DecodePairingCode(code);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? info->secret : crypto::Bytes{};
}

struct Parts {
  pb::Invite invite;
  pb::InviteBody body;
};

Parts Split(const std::vector<std::uint8_t>& blob) {
  Parts p;
  EXPECT_TRUE(p.invite.ParseFromArray(blob.data(), static_cast<int>(blob.size())));
  EXPECT_TRUE(p.body.ParseFromString(p.invite.body()));
  return p;
}

// How an invite is rebuilt after a change to its body: re-signed by `signer` (or the old
// signature kept when null) and MACed with `secret` (or the old MAC kept when empty).
std::vector<std::uint8_t> Rebuild(Parts p, const crypto::SignKeyPair* signer,
                                  const crypto::Bytes& secret) {
  EXPECT_TRUE(p.body.SerializeToString(p.invite.mutable_body()));
  if (signer != nullptr) {
    const crypto::Bytes sig =
        crypto::Sign(signer->secret_key, log::InviteSignedMessage(p.invite.body()));
    p.invite.set_signature(sig.data(), sig.size());
  }
  if (!secret.empty()) {
    const crypto::Hash mac = log::InviteMac(secret, p.invite.body(), p.invite.signature());
    p.invite.set_mac(mac.data(), mac.size());
  }
  std::string out;
  EXPECT_TRUE(p.invite.SerializeToString(&out));
  return {out.begin(), out.end()};
}

TEST(Enrolment, RealInviteJoinsAndBothScreensShowTheSameSafetyCode) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 1);
  Device v = MakeDevice(clock, "victim");
  const std::string code = v->DevicePairingCode();
  EXPECT_EQ(v->DevicePairingCode(), code) << "the code is stable until the device joins";
  auto made = team[0]->InviteDevice(code);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_EQ(made->safety_code.size(), 7u);
  EXPECT_EQ(made->safety_code[3], '-');
  auto joined = v->JoinVault(made->invite);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->safety_code, made->safety_code);
  EXPECT_EQ(joined->vault_name, "team");
  EXPECT_EQ(joined->inviter_name, "device-0");
  const auto& admin = team[0].store->device().identity.public_key;
  EXPECT_EQ(joined->inviter, std::string(admin.begin(), admin.end()));
  // The secret is destroyed once the device has joined; its code no longer enrolls it.
  EXPECT_TRUE(v.store->device().enrol_secret.empty());
  const crypto::Bytes after = SecretOf(v->DevicePairingCode());
  EXPECT_EQ(after, crypto::Bytes(store::kEnrolSecretSize, 0));
  // The joined device knows the vault's derivation and the members.
  auto identity = log::GetVaultIdentity(*v.replica);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->nonce.size(), 32u);
  auto members = log::ListMembers(*v.replica);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 2u);
}

// Hijack (a): a stranger knows the victim's public keys (the relay sees them in every
// handshake), makes his own vault named like the team's and invites those keys.
TEST(Enrolment, StrangerWithOnlyThePublicKeysIsRefused) {
  testing::FakeClock clock;
  Device stranger = MakeDevice(clock, "stranger");
  ASSERT_TRUE(stranger->CreateVault("Coalition").ok());
  Device v = MakeDevice(clock, "victim");
  auto forged = stranger->InviteDevice(WithoutSecret(v->DevicePairingCode()));
  ASSERT_TRUE(forged.ok()) << forged.status().ToString();
  auto r = v->JoinVault(forged->invite);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("this invite was not made from this device's pairing code"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(v->HasVault());
  EXPECT_FALSE(v.store->vault().has_value());
  // The same invite without any MAC.
  Parts p = Split(forged->invite);
  p.invite.clear_mac();
  std::string bare;
  ASSERT_TRUE(p.invite.SerializeToString(&bare));
  EXPECT_EQ(v->AcceptInvite(std::vector<std::uint8_t>(bare.begin(), bare.end())).code(),
            Code::kPermissionDenied);
  EXPECT_FALSE(v->HasVault());
  // A pairing code of the old version (no secret) enrolls nobody.
  auto info = log::DecodePairingCode(v->DevicePairingCode());
  ASSERT_TRUE(info.ok());
  crypto::Bytes v1{1};
  v1.insert(v1.end(), info->identity.begin(), info->identity.end());
  v1.insert(v1.end(), info->kx.begin(), info->kx.end());
  const std::string v1_code = EncodeCheckedCode(log::kPairingPrefix, "parley/pairing/v1", v1);
  auto old = stranger->InviteDevice(v1_code);
  EXPECT_EQ(old.status().code(), Code::kInvalidArgument) << old.status().ToString();
  EXPECT_NE(old.status().message().find("older version"), std::string::npos)
      << old.status().message();
  // The victim still joins its real team afterwards.
  auto team = MakeTeam(clock, 1);
  auto real = team[0]->InviteDevice(v->DevicePairingCode());
  ASSERT_TRUE(real.ok());
  auto joined = v->JoinVault(real->invite);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->safety_code, real->safety_code);
}

// Hijack (b): the relay hands the victim an invite that is not its own: one made for
// another device's code, or one from another vault sealed to the victim. Both are refused,
// and the real invite still works after them.
TEST(Enrolment, SwappedInvitesAreRefusedAndTheRealOneStillWorks) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 1);
  Device v = MakeDevice(clock, "victim");
  Device w = MakeDevice(clock, "other-phone");
  Device stranger = MakeDevice(clock, "stranger");
  ASSERT_TRUE(stranger->CreateVault("team").ok());
  auto real = team[0]->InviteDevice(v->DevicePairingCode());
  ASSERT_TRUE(real.ok());
  auto for_w = team[0]->InviteDevice(w->DevicePairingCode());
  ASSERT_TRUE(for_w.ok());
  auto other_vault = stranger->InviteDevice(WithoutSecret(v->DevicePairingCode()));
  ASSERT_TRUE(other_vault.ok());
  for (const auto* bad : {&for_w->invite, &other_vault->invite}) {
    auto r = v->JoinVault(*bad);
    EXPECT_EQ(r.status().code(), Code::kPermissionDenied) << r.status().ToString();
    EXPECT_FALSE(v->HasVault());
    EXPECT_FALSE(v.store->device().enrol_secret.empty())
        << "a refused invite must not use up the secret";
  }
  auto joined = v->JoinVault(real->invite);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  // And w still joins with its own.
  EXPECT_TRUE(w->JoinVault(for_w->invite).ok());
}

// Every field of the invite, changed one at a time. Without the secret an attacker cannot
// fix the MAC; with it (say he saw the code) he still cannot fix the inviter's signature;
// and the semantic checks hold even for an invite signed by a real key.
TEST(Enrolment, EveryFieldIsProtected) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 2);  // device-1 is a plain member
  Device v = MakeDevice(clock, "victim");
  const crypto::Bytes secret = SecretOf(v->DevicePairingCode());
  auto made = team[0]->InviteDevice(v->DevicePairingCode());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const crypto::SignKeyPair& admin = team[0].store->device().identity;
  const crypto::SignKeyPair& member = team[1].store->device().identity;
  const Parts original = Split(made->invite);

  using Mutation = std::function<void(pb::InviteBody&)>;
  const std::string other32(32, '\x5a');
  const std::vector<std::pair<std::string, Mutation>> fields = {
      {"vault", [&](pb::InviteBody& b) { b.set_vault(other32); }},
      {"vault_name", [](pb::InviteBody& b) { b.set_vault_name("Coalition"); }},
      {"founder", [&](pb::InviteBody& b) { b.set_founder(other32); }},
      {"inviter",
       [&](pb::InviteBody& b) {
         b.set_inviter(std::string(member.public_key.begin(), member.public_key.end()));
       }},
      {"recipient", [&](pb::InviteBody& b) { b.set_recipient(other32); }},
      {"recipient_seal", [&](pb::InviteBody& b) { b.set_recipient_seal(other32); }},
      {"sealed_keys", [](pb::InviteBody& b) { (*b.mutable_sealed_keys())[5] ^= 1; }},
      {"membership", [](pb::InviteBody& b) { b.mutable_membership()->RemoveLast(); }},
      {"created_unix_ms",
       [](pb::InviteBody& b) { b.set_created_unix_ms(b.created_unix_ms() + 1); }},
      {"vault_nonce", [&](pb::InviteBody& b) { b.set_vault_nonce(other32); }},
  };
  for (const auto& [name, mutate] : fields) {
    SCOPED_TRACE(name);
    Parts p = original;
    mutate(p.body);
    // The MAC of the original body: refused as not made from this code.
    auto r = v->JoinVault(Rebuild(p, nullptr, {}));
    EXPECT_EQ(r.status().code(), Code::kPermissionDenied) << r.status().ToString();
    // The MAC recomputed with the secret, the signature left alone.
    r = v->JoinVault(Rebuild(p, nullptr, secret));
    EXPECT_EQ(r.status().code(), Code::kCorrupt) << r.status().ToString();
    EXPECT_FALSE(v->HasVault());
  }
  // Re-signed by a real key and MACed: the semantic checks, one field at a time.
  const std::vector<std::tuple<std::string, Mutation, const crypto::SignKeyPair*, Code>> semantic =
      {
          {"vault id not derived from the founder",
           [&](pb::InviteBody& b) { b.set_vault(other32); }, &admin, Code::kCorrupt},
          {"founder swapped", [&](pb::InviteBody& b) { b.set_founder(other32); }, &admin,
           Code::kCorrupt},
          {"nonce swapped", [&](pb::InviteBody& b) { b.set_vault_nonce(other32); }, &admin,
           Code::kCorrupt},
          {"for another device", [&](pb::InviteBody& b) { b.set_recipient(other32); }, &admin,
           Code::kPermissionDenied},
          {"for another sealing key", [&](pb::InviteBody& b) { b.set_recipient_seal(other32); },
           &admin, Code::kPermissionDenied},
          {"keys that do not open", [](pb::InviteBody& b) { (*b.mutable_sealed_keys())[5] ^= 1; },
           &admin, Code::kCorrupt},
          {"no genesis", [](pb::InviteBody& b) { b.mutable_membership()->DeleteSubrange(0, 1); },
           &admin, Code::kPermissionDenied},
          {"no change adding the victim",
           [](pb::InviteBody& b) { b.mutable_membership()->RemoveLast(); }, &admin,
           Code::kPermissionDenied},
          {"a forged membership change",
           [](pb::InviteBody& b) { (*b.mutable_membership(0)->mutable_signature())[0] ^= 1; },
           &admin, Code::kCorrupt},
          {"signed by a member who is not an admin",
           [&](pb::InviteBody& b) {
             b.set_inviter(std::string(member.public_key.begin(), member.public_key.end()));
           },
           &member, Code::kPermissionDenied},
      };
  for (const auto& [name, mutate, signer, code] : semantic) {
    SCOPED_TRACE(name);
    Parts p = original;
    mutate(p.body);
    auto r = v->JoinVault(Rebuild(p, signer, secret));
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_FALSE(v->HasVault());
  }
  // The signature and the MAC themselves.
  {
    Parts p = original;
    (*p.invite.mutable_signature())[0] ^= 1;
    EXPECT_EQ(v->JoinVault(Rebuild(p, nullptr, {})).status().code(), Code::kPermissionDenied);
    EXPECT_EQ(v->JoinVault(Rebuild(p, nullptr, secret)).status().code(), Code::kCorrupt);
  }
  for (std::size_t i : {std::size_t{0}, std::size_t{31}}) {
    Parts p = original;
    (*p.invite.mutable_mac())[i] ^= 1;
    EXPECT_EQ(v->JoinVault(Rebuild(p, nullptr, {})).status().code(), Code::kPermissionDenied);
  }
  {
    Parts p = original;
    p.invite.set_mac(p.invite.mac().substr(0, 16));
    EXPECT_EQ(v->JoinVault(Rebuild(p, nullptr, {})).status().code(), Code::kPermissionDenied);
  }
  EXPECT_FALSE(v->HasVault());
  auto joined = v->JoinVault(made->invite);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->safety_code, made->safety_code);
}

TEST(Enrolment, InvitingTwiceOrJoiningTwiceSaysSo) {
  testing::FakeClock clock;
  auto team = MakeTeam(clock, 1);
  Device v = MakeDevice(clock, "victim");
  const std::string code = v->DevicePairingCode();
  auto first = team[0]->InviteDevice(code);
  ASSERT_TRUE(first.ok());
  auto again = team[0]->InviteDevice(code);
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_NE(again.status().message().find("already a member"), std::string::npos)
      << again.status().message();
  ASSERT_TRUE(v->JoinVault(first->invite).ok());
  // Another vault's admin who saw the code before the device joined.
  Device other = MakeDevice(clock, "other-admin");
  ASSERT_TRUE(other->CreateVault("other").ok());
  auto second = other->InviteDevice(code);
  ASSERT_TRUE(second.ok());
  auto r = v->JoinVault(second->invite);
  EXPECT_EQ(r.status().code(), Code::kAlreadyExists);
  EXPECT_NE(r.status().message().find("already belongs to vault \"team\""), std::string::npos)
      << r.status().message();
  // The code of a device that has joined enrolls it nowhere else.
  auto from_joined = other->InviteDevice(v->DevicePairingCode());
  EXPECT_EQ(from_joined.status().code(), Code::kInvalidArgument);
}

TEST(Enrolment, SafetyCodeDependsOnEveryInput) {
  const std::string a(32, 'a'), b(32, 'b'), c(32, 'c'), s(16, 's'), t(16, 't');
  const std::string base = log::SafetyCode(Bv(a), Bv(b), Bv(c), Bv(s));
  ASSERT_EQ(base.size(), 7u);
  EXPECT_EQ(base, log::SafetyCode(Bv(a), Bv(b), Bv(c), Bv(s)));
  EXPECT_NE(base, log::SafetyCode(Bv(b), Bv(b), Bv(c), Bv(s)));
  EXPECT_NE(base, log::SafetyCode(Bv(a), Bv(a), Bv(c), Bv(s)));
  EXPECT_NE(base, log::SafetyCode(Bv(a), Bv(b), Bv(a), Bv(s)));
  EXPECT_NE(base, log::SafetyCode(Bv(a), Bv(b), Bv(c), Bv(t)));
}

}  // namespace
}  // namespace parley::logtest
