// The crypto wrappers beyond the Wycheproof files: locked secrets, hex, hashing, known
// answers for Ed25519 and X25519 (RFC 8032, RFC 7748), sealed boxes, Argon2id and its floor,
// and key derivation.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "crypto/vectors.h"
#include "parley/core/crypto.h"

namespace parley::crypto {
namespace {

using parley::testing::Unhex;

class CryptoWrappers : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

// ---- SecretBytes ----

TEST_F(CryptoWrappers, SecretBytesStartsZeroedAndCopies) {
  SecretBytes empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.data(), nullptr);

  SecretBytes zero(48);
  ASSERT_EQ(zero.size(), 48u);
  for (std::uint8_t b : zero.view()) EXPECT_EQ(b, 0);

  const Bytes src = {1, 2, 3, 4, 5};
  SecretBytes copy = SecretBytes::Copy(src);
  EXPECT_EQ(ToHex(copy.view()), "0102030405");
  EXPECT_NE(static_cast<const void*>(copy.data()), static_cast<const void*>(src.data()));

  EXPECT_TRUE(SecretBytes::Copy({}).empty());
}

TEST_F(CryptoWrappers, SecretBytesRandomDiffers) {
  SecretBytes a = SecretBytes::Random(32);
  SecretBytes b = SecretBytes::Random(32);
  ASSERT_EQ(a.size(), 32u);
  EXPECT_FALSE(ConstantTimeEqual(a.view(), b.view()));
}

TEST_F(CryptoWrappers, SecretBytesMoveTransfersOwnership) {
  SecretBytes a = SecretBytes::Copy(Bytes{9, 8, 7});
  const std::uint8_t* where = a.data();
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data(), where);
  EXPECT_EQ(ToHex(b.view()), "090807");

  SecretBytes c = SecretBytes::Random(16);
  c = std::move(b);        // the old 16 bytes are wiped and released
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.data(), where);

  SecretBytes& alias = c;
  c = std::move(alias);  // self-move keeps the value
  EXPECT_EQ(ToHex(c.view()), "090807");
}

TEST_F(CryptoWrappers, SecretBytesWipeEmptiesAndIsIdempotent) {
  SecretBytes s = SecretBytes::Random(64);
  s.Wipe();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.data(), nullptr);
  EXPECT_TRUE(s.view().empty());
  s.Wipe();
  EXPECT_TRUE(s.empty());
}

// ---- Hex and comparison ----

TEST_F(CryptoWrappers, HexRoundTrips) {
  EXPECT_EQ(ToHex(Bytes{}), "");
  EXPECT_EQ(ToHex(Bytes{0x00, 0xab, 0xff, 0x10}), "00abff10");
  Result<Bytes> lower = FromHex("00abff10");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, (Bytes{0x00, 0xab, 0xff, 0x10}));
  Result<Bytes> upper = FromHex("00ABFF10");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, *lower);
  Result<Bytes> empty = FromHex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(CryptoWrappers, HexRefusesMalformedText) {
  for (const char* bad : {"abc", "0g", "zz", "00 11", "0x12", "12-", " 12", "1\n"}) {
    Result<Bytes> r = FromHex(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST_F(CryptoWrappers, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{}, Bytes{}));
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2, 3}));
}

TEST_F(CryptoWrappers, RandomBytesFillsAndDiffers) {
  Bytes a = RandomBytes(32);
  Bytes b = RandomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(RandomBytes(0).empty());
}

// ---- BLAKE2b ----

TEST_F(CryptoWrappers, Blake2bKnownAnswers) {
  EXPECT_EQ(ToHex(Blake2b256({})),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(ToHex(Blake2b256(AsBytes("abc"))),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST_F(CryptoWrappers, HasherMatchesOneShotAndKeysMatter) {
  Hasher h;
  h.Update("a").Update("bc");
  EXPECT_EQ(h.Final256(), Blake2b256(AsBytes("abc")));

  const Bytes key(32, 0x42);
  Hasher keyed(kHashSize, key);
  keyed.Update("abc");
  const Hash k = keyed.Final256();
  EXPECT_EQ(k, Blake2b256(AsBytes("abc"), key));
  EXPECT_NE(k, Blake2b256(AsBytes("abc")));

  Hasher u;
  u.UpdateU64(0x0102030405060708ULL);
  EXPECT_EQ(u.Final256(), Blake2b256(Bytes{8, 7, 6, 5, 4, 3, 2, 1}));
}

// ---- Ed25519 ----

TEST_F(CryptoWrappers, Ed25519Rfc8032Test1) {
  const Bytes seed = Unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const SignKeyPair kp = SignKeyPairFromSeed(seed);
  EXPECT_EQ(ToHex(kp.public_key),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const Bytes sig = Sign(kp.secret_key, {});
  EXPECT_EQ(ToHex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
            "39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(Verify(kp.public_key, {}, sig).ok());
}

TEST_F(CryptoWrappers, Ed25519RefusesOtherMessagesKeysAndSizes) {
  const SignKeyPair kp = NewSignKeyPair();
  const SignKeyPair other = NewSignKeyPair();
  const Bytes msg = {'n', 'o', 't', 'e'};
  const Bytes sig = Sign(kp.secret_key, msg);
  EXPECT_TRUE(Verify(kp.public_key, msg, sig).ok());
  EXPECT_EQ(Verify(kp.public_key, AsBytes("notf"), sig).code(), Code::kCorrupt);
  EXPECT_EQ(Verify(other.public_key, msg, sig).code(), Code::kCorrupt);
  EXPECT_EQ(Verify(ByteView(kp.public_key).first(31), msg, sig).code(), Code::kCorrupt);
  EXPECT_EQ(Verify(kp.public_key, msg, ByteView(sig).first(63)).code(), Code::kCorrupt);
  for (std::size_t i = 0; i < sig.size(); ++i) {
    Bytes bad = sig;
    bad[i] ^= 0x01;
    EXPECT_EQ(Verify(kp.public_key, msg, bad).code(), Code::kCorrupt) << "byte " << i;
  }
}

// ---- X25519 ----

TEST_F(CryptoWrappers, X25519Rfc7748Section6_1) {
  const DhKeyPair alice = DhKeyPairFromSecret(
      Unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  const DhKeyPair bob = DhKeyPairFromSecret(
      Unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  EXPECT_EQ(ToHex(alice.public_key),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(ToHex(bob.public_key),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  Result<SecretBytes> ab = Dh(alice.secret_key, bob.public_key);
  Result<SecretBytes> ba = Dh(bob.secret_key, alice.public_key);
  ASSERT_TRUE(ab.ok());
  ASSERT_TRUE(ba.ok());
  EXPECT_EQ(ToHex(ab->view()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(ToHex(ba->view()), ToHex(ab->view()));
}

TEST_F(CryptoWrappers, X25519RefusesBadSizesAndLowOrderPoints) {
  const DhKeyPair kp = NewDhKeyPair();
  EXPECT_EQ(Dh(kp.secret_key, Bytes(31, 9)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Dh(SecretBytes(31), kp.public_key).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Dh(kp.secret_key, Bytes(32, 0)).status().code(), Code::kCorrupt);
  Bytes one(32, 0);
  one[0] = 1;
  EXPECT_EQ(Dh(kp.secret_key, one).status().code(), Code::kCorrupt);
}

// ---- Sealed boxes ----

TEST_F(CryptoWrappers, SealedBoxRoundTrips) {
  const DhKeyPair recipient = NewDhKeyPair();
  for (const std::string& text :
       {std::string(), std::string("vault epoch key"), std::string(5000, 'x')}) {
    const Bytes sealed = SealTo(recipient.public_key, AsBytes(text));
    Result<Bytes> opened = OpenSealed(recipient, sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(std::string(opened->begin(), opened->end()), text);
  }
  // Anonymous encryption is randomized.
  EXPECT_NE(SealTo(recipient.public_key, AsBytes("a")), SealTo(recipient.public_key, AsBytes("a")));
}

TEST_F(CryptoWrappers, SealedBoxRefusesOthersTamperingAndShortInput) {
  const DhKeyPair recipient = NewDhKeyPair();
  const DhKeyPair stranger = NewDhKeyPair();
  const Bytes sealed = SealTo(recipient.public_key, AsBytes("membership"));
  EXPECT_EQ(OpenSealed(stranger, sealed).status().code(), Code::kCorrupt);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x80;
    EXPECT_EQ(OpenSealed(recipient, bad).status().code(), Code::kCorrupt) << "byte " << i;
  }
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, sealed.size() - 1}) {
    EXPECT_EQ(OpenSealed(recipient, ByteView(sealed).first(n)).status().code(), Code::kCorrupt)
        << "length " << n;
  }
}

TEST_F(CryptoWrappers, SealedBoxRefusesARecipientWithoutKeys) {
  const DhKeyPair recipient = NewDhKeyPair();
  const Bytes sealed = SealTo(recipient.public_key, AsBytes("x"));
  const DhKeyPair empty{};
  EXPECT_EQ(OpenSealed(empty, sealed).status().code(), Code::kInvalidArgument);
}

// ---- Argon2id ----

TEST_F(CryptoWrappers, Argon2idRefusesParametersBelowTheFloor) {
  const Argon2Params floor = MinimumArgon2Params();
  const Bytes salt(kArgon2SaltSize, 7);
  Argon2Params weak_ops = floor;
  weak_ops.ops_limit = floor.ops_limit - 1;
  Argon2Params weak_mem = floor;
  weak_mem.mem_limit = floor.mem_limit - 1024;
  for (const Argon2Params& p : {weak_ops, weak_mem, Argon2Params{}, Argon2Params{1, 8192}}) {
    Result<SecretBytes> r = Argon2id("passphrase", salt, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("floor"), std::string::npos);
  }
  const Argon2Params def = DefaultArgon2Params();
  EXPECT_GE(def.ops_limit, floor.ops_limit);
  EXPECT_GE(def.mem_limit, floor.mem_limit);
}

TEST_F(CryptoWrappers, Argon2idRefusesABadSalt) {
  const Argon2Params floor = MinimumArgon2Params();
  EXPECT_EQ(Argon2id("p", Bytes(15, 1), floor).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Argon2id("p", Bytes(17, 1), floor).status().code(), Code::kInvalidArgument);
}

TEST_F(CryptoWrappers, Argon2idAtTheFloorIsDeterministicAndSensitive) {
  const Argon2Params floor = MinimumArgon2Params();
  const Bytes salt(kArgon2SaltSize, 3);
  Result<SecretBytes> a = Argon2id("correct horse", salt, floor);
  Result<SecretBytes> b = Argon2id("correct horse", salt, floor);
  Result<SecretBytes> other_pass = Argon2id("correct horsf", salt, floor);
  Result<SecretBytes> other_salt = Argon2id("correct horse", Bytes(kArgon2SaltSize, 4), floor);
  Result<SecretBytes> longer = Argon2id("correct horse", salt, floor, 64);
  ASSERT_TRUE(a.ok() && b.ok() && other_pass.ok() && other_salt.ok() && longer.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(longer->size(), 64u);
  EXPECT_TRUE(ConstantTimeEqual(a->view(), b->view()));
  EXPECT_FALSE(ConstantTimeEqual(a->view(), other_pass->view()));
  EXPECT_FALSE(ConstantTimeEqual(a->view(), other_salt->view()));
}

// ---- Key derivation ----

TEST_F(CryptoWrappers, DeriveKeySeparatesIdsAndContexts) {
  const SecretBytes master = SecretBytes::Random(32);
  const SecretBytes k1 = DeriveKey(master, 1, "parleydb");
  const SecretBytes k1again = DeriveKey(master, 1, "parleydb");
  const SecretBytes k2 = DeriveKey(master, 2, "parleydb");
  const SecretBytes other = DeriveKey(master, 1, "parleyvk");
  EXPECT_EQ(k1.size(), 32u);
  EXPECT_TRUE(ConstantTimeEqual(k1.view(), k1again.view()));
  EXPECT_FALSE(ConstantTimeEqual(k1.view(), k2.view()));
  EXPECT_FALSE(ConstantTimeEqual(k1.view(), other.view()));
  EXPECT_EQ(DeriveKey(master, 1, "parleydb", 64).size(), 64u);
}

}  // namespace
}  // namespace parley::crypto
