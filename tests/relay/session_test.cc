// The Noise session (sans I/O), authentication messages, registration, membership lists and
// relay pairing codes.
#include <gtest/gtest.h>

#include "parley/sync/auth.h"
#include "parley/sync/relay_pairing.h"
#include "parley/sync/session.h"

namespace parley::wire {
namespace {

struct Pair {
  crypto::DhKeyPair relay = crypto::NewDhKeyPair();
  crypto::DhKeyPair device = crypto::NewDhKeyPair();
  std::optional<NoiseSession> i, r;
};

// Runs the three handshake messages between two sessions.
void Handshake(Pair& p) {
  p.i.emplace(NoiseSession::Initiator(p.device, p.relay.public_key).value());
  p.r.emplace(NoiseSession::Responder(p.relay).value());
  for (int step = 0; step < 3; ++step) {
    NoiseSession& w = p.i->my_turn() ? *p.i : *p.r;
    NoiseSession& rd = &w == &*p.i ? *p.r : *p.i;
    auto msg = w.WriteHandshake();
    ASSERT_TRUE(msg.ok());
    ASSERT_TRUE(rd.ReadHandshake(*msg).ok());
  }
}

TEST(Session, HandshakeAgreesAndFramesRoundTripBothWays) {
  Pair p;
  Handshake(p);
  ASSERT_TRUE(p.i->handshake_done());
  ASSERT_TRUE(p.r->handshake_done());
  EXPECT_EQ(p.i->handshake_hash(), p.r->handshake_hash());
  EXPECT_EQ(p.i->handshake_hash().size(), 64u);
  EXPECT_EQ(p.r->remote_static(), p.device.public_key);
  for (int k = 0; k < 5; ++k) {
    pb::Frame f;
    f.set_id(k);
    f.mutable_ping()->set_nonce(100 + k);
    auto sealed = p.i->Seal(f);
    ASSERT_TRUE(sealed.ok());
    auto opened = p.r->Open(*sealed);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->ping().nonce(), 100u + k);
    auto back = p.r->Seal(f);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(p.i->Open(*back).ok());
  }
}

TEST(Session, TamperedFrameKillsTheSession) {
  Pair p;
  Handshake(p);
  pb::Frame f;
  f.mutable_ping()->set_nonce(1);
  auto sealed = p.i->Seal(f);
  ASSERT_TRUE(sealed.ok());
  (*sealed)[0] ^= 1;
  auto opened = p.r->Open(*sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kCorrupt);
  // Even a good message is refused afterwards: the connection must be closed.
  auto next = p.i->Seal(f);
  EXPECT_FALSE(p.r->Open(*next).ok());
}

TEST(Session, WrongPinnedRelayKeyFailsTheHandshake) {
  crypto::DhKeyPair relay = crypto::NewDhKeyPair();
  crypto::DhKeyPair other = crypto::NewDhKeyPair();
  crypto::DhKeyPair device = crypto::NewDhKeyPair();
  auto i = NoiseSession::Initiator(device, other.public_key);
  auto r = NoiseSession::Responder(relay);
  auto m1 = i->WriteHandshake();
  ASSERT_TRUE(m1.ok());
  Status s = r->ReadHandshake(*m1);
  EXPECT_EQ(s.code(), Code::kCorrupt);
}

TEST(Session, OutOfTurnAndFramesBeforeHandshakeAreRefused) {
  crypto::DhKeyPair relay = crypto::NewDhKeyPair();
  auto r = NoiseSession::Responder(relay);
  EXPECT_FALSE(r->WriteHandshake().ok());
  pb::Frame f;
  EXPECT_FALSE(r->Seal(f).ok());
  EXPECT_FALSE(NoiseSession::Initiator(relay, crypto::Bytes(31, 1)).ok());
}

TEST(Auth, AuthenticateVerifiesAgainstHashAndNoiseKey) {
  Pair p;
  Handshake(p);
  crypto::SignKeyPair id = crypto::NewSignKeyPair();
  crypto::Bytes cert = MakeKxCertificate(id, p.device.public_key);
  pb::Authenticate a = MakeAuthenticate(id, cert, p.i->handshake_hash());
  auto ok = VerifyAuthenticate(a, p.r->handshake_hash(), p.r->remote_static());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, id.public_key);

  // A signature over another session's hash (a replay) fails.
  crypto::Bytes other_hash(64, 9);
  auto replay = VerifyAuthenticate(a, other_hash, p.r->remote_static());
  EXPECT_EQ(replay.status().code(), Code::kPermissionDenied);
  // A certificate for another X25519 key fails.
  pb::Authenticate wrong_cert = MakeAuthenticate(
      id, MakeKxCertificate(id, crypto::NewDhKeyPair().public_key), p.i->handshake_hash());
  EXPECT_EQ(
      VerifyAuthenticate(wrong_cert, p.r->handshake_hash(), p.r->remote_static()).status().code(),
      Code::kPermissionDenied);
  // Malformed sizes.
  pb::Authenticate bad = a;
  bad.set_identity("short");
  EXPECT_EQ(VerifyAuthenticate(bad, p.r->handshake_hash(), p.r->remote_static()).status().code(),
            Code::kInvalidArgument);
}

TEST(Auth, RegistrationAndMembershipSignatures) {
  crypto::SignKeyPair admin = crypto::NewSignKeyPair();
  pb::RegisterVault reg = MakeRegisterVault(admin);
  EXPECT_TRUE(VerifyRegisterVault(reg).ok());
  pb::RegisterVault forged = reg;
  forged.set_nonce(std::string(32, 'n'));
  EXPECT_FALSE(VerifyRegisterVault(forged).ok());

  pb::MembershipList list;
  list.set_vault(reg.vault());
  list.set_version(1);
  auto* m = list.add_members();
  m->set_identity(admin.public_key.data(), admin.public_key.size());
  m->set_role("admin");
  pb::SetMembership set = MakeSetMembership(list, admin);
  EXPECT_TRUE(VerifyMembershipSignature(set).ok());
  auto parsed = ParseMembership(set.list());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->version, 1u);
  ASSERT_NE(parsed->Find(admin.public_key), nullptr);
  EXPECT_TRUE(parsed->Find(admin.public_key)->admin);
  set.mutable_list()->back() ^= 1;
  EXPECT_FALSE(VerifyMembershipSignature(set).ok());

  m->set_role("member");  // no admin left
  std::string bytes;
  list.SerializeToString(&bytes);
  EXPECT_FALSE(ParseMembership(bytes).ok());
}

TEST(RelayPairing, RoundTripsAndCatchesTypos) {
  RelayPairing p{crypto::NewDhKeyPair().public_key, "relay.example.org:4040"};
  std::string code = EncodeRelayPairingCode(p);
  EXPECT_EQ(code.rfind("parley-relay:", 0), 0u);
  auto back = DecodeRelayPairingCode(code);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->public_key, p.public_key);
  EXPECT_EQ(back->address, p.address);

  // Upper case, dashes and line breaks are tolerated.
  std::string messy = "PARLEY-RELAY:";
  for (std::size_t i = kRelayPairingPrefix.size(); i < code.size(); ++i) {
    messy += static_cast<char>(std::toupper(static_cast<unsigned char>(code[i])));
    if (i % 8 == 0) messy += (i % 16 == 0) ? "\n" : "-";
  }
  ASSERT_TRUE(DecodeRelayPairingCode(messy).ok());

  std::string typo = code;
  typo[20] = typo[20] == 'a' ? 'b' : 'a';
  auto bad = DecodeRelayPairingCode(typo);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum"), std::string::npos);
  EXPECT_FALSE(DecodeRelayPairingCode("parley-device:abc").ok());
  EXPECT_FALSE(DecodeRelayPairingCode(code.substr(0, 30)).ok());

  RelayPairing empty{p.public_key, ""};
  auto e = DecodeRelayPairingCode(EncodeRelayPairingCode(empty));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->address.empty());
}

}  // namespace
}  // namespace parley::wire
