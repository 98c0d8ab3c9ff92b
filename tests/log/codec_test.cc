// The change codec: sealing, checking, and refusing every kind of tampering.
#include <gtest/gtest.h>

#include <functional>

#include "log/change_codec.h"
#include "log/hlc.h"
#include "log/pairing.h"
#include "parley/core/checked_code.h"
#include "parley/core/enrolment.h"
#include "parley/testing/fake_env.h"

namespace parley::log {
namespace {

struct Fixture {
  crypto::SignKeyPair author = crypto::NewSignKeyPair();
  crypto::Bytes vault = crypto::RandomBytes(32);
  crypto::SecretBytes key = crypto::SecretBytes::Random(32);
  ChangeId prev{};

  pb::ChangeBody Body() const {
    pb::ChangeBody b;
    b.set_hlc(HlcFromMs(1'750'000'000'000));
    pb::Op* op = b.add_ops();
    op->set_record(std::string(16, 'r'));
    op->mutable_set()->set_field("text");
    op->mutable_set()->set_value("a secret note");
    return b;
  }
  pb::Change Seal(std::uint64_t seq, ChangeId* id) {
    SealParams p;
    p.vault = vault;
    p.author = &author;
    p.seq = seq;
    if (seq > 1) p.prev = crypto::ByteView(prev.data(), prev.size());
    p.epoch = 0;
    p.epoch_key = key.view();
    pb::Change c;
    EXPECT_TRUE(SealChange(p, Body(), &c, id).ok());
    return c;
  }
};

TEST(ChangeCodec, RoundTrip) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Fixture f;
  ChangeId id{};
  pb::Change c = f.Seal(1, &id);
  auto checked = CheckChange(c, f.vault);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(checked->id, id);
  EXPECT_EQ(checked->header.seq(), 1u);
  auto body = OpenBody(c, f.key.view());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->ops(0).set().value(), "a secret note");
  // The header carries nothing the user typed.
  EXPECT_EQ(c.header().find("secret"), std::string::npos);
  EXPECT_EQ(c.body().find("secret"), std::string::npos);
}

TEST(ChangeCodec, EveryHeaderFieldIsProtected) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Fixture f;
  ChangeId id{};
  f.prev.fill(7);
  const pb::Change good = f.Seal(2, &id);
  pb::ChangeHeader h;
  ASSERT_TRUE(h.ParseFromString(good.header()));
  const std::vector<std::function<void(pb::ChangeHeader&)>> edits = {
      [](pb::ChangeHeader& x) { x.mutable_vault()->at(0) ^= 1; },
      [](pb::ChangeHeader& x) { x.mutable_author()->at(0) ^= 1; },
      [](pb::ChangeHeader& x) { x.set_seq(x.seq() + 1); },
      [](pb::ChangeHeader& x) { x.mutable_prev()->at(5) ^= 1; },
      [](pb::ChangeHeader& x) { x.set_epoch(x.epoch() + 1); },
      [](pb::ChangeHeader& x) { x.mutable_nonce()->at(3) ^= 1; },
      [](pb::ChangeHeader& x) { x.set_body_size(x.body_size() + 1); },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    pb::ChangeHeader t = h;
    edits[i](t);
    pb::Change bad = good;
    ASSERT_TRUE(t.SerializeToString(bad.mutable_header()));
    auto checked = CheckChange(bad, f.vault);
    ASSERT_FALSE(checked.ok()) << "header field edit " << i << " was accepted";
    EXPECT_TRUE(checked.status().code() == Code::kCorrupt ||
                checked.status().code() == Code::kInvalidArgument)
        << checked.status().ToString();
  }
  // Every byte of the serialized header, body and signature.
  for (std::size_t i = 0; i < good.header().size(); ++i) {
    pb::Change bad = good;
    (*bad.mutable_header())[i] ^= 0x01;
    EXPECT_FALSE(CheckChange(bad, f.vault).ok()) << "header byte " << i;
  }
  for (std::size_t i = 0; i < good.body().size(); ++i) {
    pb::Change bad = good;
    (*bad.mutable_body())[i] ^= 0x80;
    auto checked = CheckChange(bad, f.vault);
    ASSERT_FALSE(checked.ok()) << "body byte " << i;
    EXPECT_EQ(checked.status().code(), Code::kCorrupt);
  }
  for (std::size_t i = 0; i < good.signature().size(); ++i) {
    pb::Change bad = good;
    (*bad.mutable_signature())[i] ^= 0x01;
    EXPECT_EQ(CheckChange(bad, f.vault).status().code(), Code::kCorrupt) << "signature byte " << i;
  }
  EXPECT_TRUE(CheckChange(good, f.vault).ok());
}

TEST(ChangeCodec, WrongVaultAndWrongKey) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Fixture f;
  ChangeId id{};
  pb::Change c = f.Seal(1, &id);
  crypto::Bytes other = crypto::RandomBytes(32);
  auto checked = CheckChange(c, other);
  EXPECT_EQ(checked.status().code(), Code::kInvalidArgument);
  EXPECT_NE(checked.status().message().find("another vault"), std::string::npos);
  crypto::SecretBytes wrong = crypto::SecretBytes::Random(32);
  EXPECT_EQ(OpenBody(c, wrong.view()).status().code(), Code::kCorrupt);
}

TEST(ChangeCodec, MalformedInputIsRefusedNotCrashed) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Fixture f;
  pb::Change c;
  EXPECT_EQ(CheckChange(c, f.vault).status().code(), Code::kCorrupt);
  c.set_header(std::string(5000, 'x'));
  EXPECT_EQ(CheckChange(c, f.vault).status().code(), Code::kCorrupt);
  ChangeId id{};
  pb::Change good = f.Seal(1, &id);
  for (std::size_t n = 0; n < good.body().size(); n += 3) {
    pb::Change cut = good;
    cut.mutable_body()->resize(n);
    EXPECT_EQ(CheckChange(cut, f.vault).status().code(), Code::kCorrupt);
  }
}

TEST(Hlc, MonotonicAcrossWallClockJumps) {
  constexpr std::int64_t t = 1'750'000'000'000;
  testing::FakeClock clock(t);
  HybridClock h(clock);
  std::uint64_t a = *h.Now();
  EXPECT_EQ(a, HlcFromMs(t));
  std::uint64_t b = *h.Now();
  EXPECT_EQ(b, a + 1);           // same millisecond: the counter moves
  clock.SetUnixMs(t - 500'000);  // the wall clock goes backwards
  std::uint64_t c = *h.Now();
  EXPECT_GT(c, b);
  clock.SetUnixMs(t + 1'000'000);
  EXPECT_EQ(*h.Now(), HlcFromMs(t + 1'000'000));
  // A received clock moves ours forward...
  h.Observe(HlcFromMs(t + 1'000'500) + 9);
  EXPECT_EQ(*h.Now(), HlcFromMs(t + 1'000'500) + 10);
  // ...but not beyond the allowed drift.
  h.Observe(~0ULL);
  EXPECT_LE(*h.Now(), HlcFromMs(t + 1'000'000 + kMaxHlcDriftMs) + 1);
}

TEST(Pairing, RoundTripAndTypoDetection) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const crypto::SignKeyPair identity = crypto::NewSignKeyPair();
  PairingInfo info;
  info.identity = identity.public_key;
  info.kx = crypto::RandomBytes(32);
  info.seal = crypto::RandomBytes(32);
  info.seal_cert = MakeSealCertificate(identity, info.seal);
  info.secret = crypto::RandomBytes(16);
  info.name = "Maria's phone";
  std::string code = EncodePairingCode(info);
  ASSERT_EQ(code.rfind("parley-device:", 0), 0u);
  auto back = DecodePairingCode(code);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->identity, info.identity);
  EXPECT_EQ(back->kx, info.kx);
  EXPECT_EQ(back->seal, info.seal);
  EXPECT_EQ(back->secret, info.secret);
  EXPECT_EQ(back->version, 2);
  EXPECT_EQ(back->name, info.name);
  // Case, spaces and line breaks do not matter.
  std::string messy = code;
  for (std::size_t i = 14; i < messy.size(); i += 2)
    messy[i] = static_cast<char>(std::toupper(messy[i]));
  messy.insert(30, "\n ");
  EXPECT_TRUE(DecodePairingCode(messy).ok());
  // Any single-character typo is detected.
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  for (std::size_t i = 14; i < code.size(); ++i) {
    std::string typo = code;
    typo[i] = alphabet[(alphabet.find(code[i]) + 1) % alphabet.size()];
    auto r = DecodePairingCode(typo);
    EXPECT_FALSE(r.ok()) << "typo at " << i << " accepted";
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  EXPECT_FALSE(DecodePairingCode("parley-relay:abc").ok());
  EXPECT_FALSE(DecodePairingCode(code.substr(0, code.size() - 3)).ok());
}

// A v2 code whose sealing key is not the one its identity key certified is refused, even
// with a valid checksum.
TEST(Pairing, SealKeyMustBeCertified) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const crypto::SignKeyPair identity = crypto::NewSignKeyPair();
  PairingInfo info;
  info.identity = identity.public_key;
  info.kx = crypto::RandomBytes(32);
  info.seal = crypto::RandomBytes(32);
  info.seal_cert = MakeSealCertificate(identity, crypto::RandomBytes(32));
  info.secret = crypto::RandomBytes(16);
  auto r = DecodePairingCode(EncodePairingCode(info));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not certified"), std::string::npos) << r.status().message();
}

// Version 1 codes (identity, kx, name) still decode, with no sealing key and no secret.
TEST(Pairing, VersionOneStillDecodes) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  crypto::Bytes payload{1};
  const crypto::Bytes id = crypto::RandomBytes(32), kx = crypto::RandomBytes(32);
  payload.insert(payload.end(), id.begin(), id.end());
  payload.insert(payload.end(), kx.begin(), kx.end());
  payload.push_back('x');
  auto r = DecodePairingCode(EncodeCheckedCode(kPairingPrefix, "parley/pairing/v1", payload));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->identity, id);
  EXPECT_TRUE(r->seal.empty());
  EXPECT_TRUE(r->secret.empty());
  EXPECT_EQ(r->name, "x");
}

}  // namespace
}  // namespace parley::log
