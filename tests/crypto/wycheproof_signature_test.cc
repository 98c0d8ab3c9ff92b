// Wycheproof vectors for Ed25519 verification and X25519.
//
// Ed25519: every case is "valid" or "invalid"; Verify must accept exactly the valid ones and
// refuse the others with kCorrupt (truncated or padded signatures included: the wrapper
// refuses any signature that is not 64 bytes).
//
// X25519: "valid" cases must give exactly the expected shared secret. "acceptable" cases
// (points on the twist, non-canonical or low-order public keys) are judged by one rule:
// when the expected shared secret is all zeros (a low-order public key), Dh must refuse with
// kCorrupt, because Parley never accepts a contributory-free key exchange; otherwise Dh
// must give exactly the expected bytes (RFC 7748 arithmetic, the top bit of the public key
// ignored). Nothing is skipped.
#include <gtest/gtest.h>

#include <string>

#include "crypto/vector_tally.h"
#include "crypto/vectors.h"
#include "parley/core/crypto.h"

namespace parley::crypto {
namespace {

using parley::testing::IsAllZero;
using parley::testing::Unhex;
using parley::testing::VectorTally;

class WycheproofSignature : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

TEST_F(WycheproofSignature, Ed25519Verify) {
  const testing::json::Value doc = testing::LoadWycheproof("ed25519_test.json");
  VectorTally tally("Ed25519");
  for (const testing::json::Value& group : doc["testGroups"].AsArray()) {
    const Bytes pk = Unhex(group["publicKey"]["pk"].AsString());
    ASSERT_EQ(pk.size(), kSignPublicKeySize);
    for (const testing::json::Value& t : group["tests"].AsArray()) {
      SCOPED_TRACE("Ed25519 tcId " + std::to_string(t["tcId"].AsInt()) + ": " +
                   t["comment"].AsString());
      const std::string& result = t["result"].AsString();
      const Bytes msg = Unhex(t["msg"].AsString());
      const Bytes sig = Unhex(t["sig"].AsString());
      tally.Run([&] {
        Status s = Verify(pk, msg, sig);
        if (result == "valid") {
          EXPECT_TRUE(s.ok()) << s.ToString();
        } else if (result == "invalid") {
          tally.Note("invalid signature refused with kCorrupt");
          EXPECT_EQ(s.code(), Code::kCorrupt) << "a bad signature verified";
        } else {
          ADD_FAILURE() << "unexpected result kind " << result;
        }
      });
    }
  }
  tally.Report();
  EXPECT_EQ(static_cast<std::int64_t>(tally.ran()), doc["numberOfTests"].AsInt());
  EXPECT_EQ(tally.passed(), tally.ran());
}

TEST_F(WycheproofSignature, X25519) {
  const testing::json::Value doc = testing::LoadWycheproof("x25519_test.json");
  VectorTally tally("X25519");
  for (const testing::json::Value& group : doc["testGroups"].AsArray()) {
    ASSERT_EQ(group["curve"].AsString(), "curve25519");
    for (const testing::json::Value& t : group["tests"].AsArray()) {
      SCOPED_TRACE("X25519 tcId " + std::to_string(t["tcId"].AsInt()) + ": " +
                   t["comment"].AsString());
      const std::string& result = t["result"].AsString();
      const Bytes pub = Unhex(t["public"].AsString());
      const Bytes priv = Unhex(t["private"].AsString());
      const Bytes shared = Unhex(t["shared"].AsString());
      ASSERT_EQ(pub.size(), kDhSize);
      ASSERT_EQ(priv.size(), kDhSize);
      tally.Run([&] {
        const DhKeyPair kp = DhKeyPairFromSecret(priv);
        Result<SecretBytes> out = Dh(kp.secret_key, pub);
        if (result == "valid" || (result == "acceptable" && !IsAllZero(shared))) {
          if (result == "acceptable") tally.Note("acceptable case computed exactly");
          ASSERT_TRUE(out.ok()) << out.status().ToString();
          EXPECT_EQ(ToHex(out->view()), ToHex(shared));
        } else if (result == "acceptable") {
          tally.Note("acceptable case with an all-zero shared secret refused with kCorrupt");
          ASSERT_FALSE(out.ok()) << "a low-order public key was accepted";
          EXPECT_EQ(out.status().code(), Code::kCorrupt);
        } else {
          ADD_FAILURE() << "unexpected result kind " << result;
        }
      });
    }
  }
  tally.Report();
  EXPECT_EQ(static_cast<std::int64_t>(tally.ran()), doc["numberOfTests"].AsInt());
  EXPECT_EQ(tally.passed(), tally.ran());
}

}  // namespace
}  // namespace parley::crypto
