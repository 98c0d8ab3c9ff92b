// Wycheproof vectors for the AEAD wrappers: XChaCha20-Poly1305 (combined and detached
// in-place) and ChaCha20-Poly1305 (IETF).
//
// How each kind of case is judged:
// - valid: Seal gives exactly ct || tag; Open gives back msg (and the in-place pair does the
//   same for XChaCha20-Poly1305).
// - invalid with the algorithm's nonce size (modified tags): Open refuses with kCorrupt.
// - any case with another nonce size: the wrappers cannot express it and must refuse it —
//   Open and the in-place calls return kInvalidArgument, and Seal (whose nonce size is a
//   precondition) aborts rather than encrypt under a wrong nonce. Nothing is skipped.
#include <gtest/gtest.h>

#include <string>

#include "crypto/vector_tally.h"
#include "crypto/vectors.h"
#include "parley/core/crypto.h"

namespace parley::crypto {
namespace {

using parley::testing::Unhex;
using parley::testing::VectorTally;

struct Aead {
  const char* file;
  const char* name;
  std::size_t nonce_size;
  Bytes (*seal)(ByteView key, ByteView nonce, ByteView pt, ByteView ad);
  Result<Bytes> (*open)(ByteView key, ByteView nonce, ByteView ct, ByteView ad);
  bool in_place;  // XChaCha20-Poly1305 also has detached in-place calls
};

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

void CheckValid(const Aead& aead, const Bytes& key, const Bytes& iv, const Bytes& aad,
                const Bytes& msg, const Bytes& ct, const Bytes& tag) {
  const Bytes expected = Concat(ct, tag);
  EXPECT_EQ(ToHex(aead.seal(key, iv, msg, aad)), ToHex(expected)) << "seal";
  Result<Bytes> opened = aead.open(key, iv, expected, aad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(ToHex(*opened), ToHex(msg)) << "open";
  if (aead.in_place) {
    Bytes buf = msg;
    Bytes out_tag(kAeadTagSize);
    ASSERT_TRUE(XChaChaSealInPlace(key, iv, buf, aad, out_tag).ok());
    EXPECT_EQ(ToHex(buf), ToHex(ct)) << "seal in place";
    EXPECT_EQ(ToHex(out_tag), ToHex(tag)) << "seal in place tag";
    Status s = XChaChaOpenInPlace(key, iv, buf, aad, tag);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(ToHex(buf), ToHex(msg)) << "open in place";
  }
}

void CheckBadTag(const Aead& aead, const Bytes& key, const Bytes& iv, const Bytes& aad,
                 const Bytes& ct, const Bytes& tag) {
  Result<Bytes> opened = aead.open(key, iv, Concat(ct, tag), aad);
  ASSERT_FALSE(opened.ok()) << "a forged ciphertext opened";
  EXPECT_EQ(opened.status().code(), Code::kCorrupt);
  EXPECT_EQ(opened.status().domain(), Domain::kCrypto);
  if (aead.in_place) {
    Bytes buf = ct;
    Status s = XChaChaOpenInPlace(key, iv, buf, aad, tag);
    EXPECT_EQ(s.code(), Code::kCorrupt);
  }
}

void CheckWrongNonceSize(const Aead& aead, const Bytes& key, const Bytes& iv, const Bytes& aad,
                         const Bytes& msg, const Bytes& ct, const Bytes& tag) {
  Result<Bytes> opened = aead.open(key, iv, Concat(ct, tag), aad);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kInvalidArgument);
  if (aead.in_place) {
    Bytes buf = msg;
    Bytes out_tag(kAeadTagSize);
    EXPECT_EQ(XChaChaSealInPlace(key, iv, buf, aad, out_tag).code(), Code::kInvalidArgument);
    EXPECT_EQ(ToHex(buf), ToHex(msg)) << "refused seal must not touch the buffer";
    buf = ct;
    EXPECT_EQ(XChaChaOpenInPlace(key, iv, buf, aad, tag).code(), Code::kInvalidArgument);
  }
  EXPECT_DEATH((void)aead.seal(key, iv, msg, aad), "");
}

void RunFile(const Aead& aead) {
  const testing::json::Value doc = testing::LoadWycheproof(aead.file);
  VectorTally tally(aead.name);
  for (const testing::json::Value& group : doc["testGroups"].AsArray()) {
    const std::size_t iv_bytes = static_cast<std::size_t>(group["ivSize"].AsInt()) / 8;
    ASSERT_EQ(group["keySize"].AsInt(), 256);
    ASSERT_EQ(group["tagSize"].AsInt(), 128);
    for (const testing::json::Value& t : group["tests"].AsArray()) {
      SCOPED_TRACE(std::string(aead.name) + " tcId " + std::to_string(t["tcId"].AsInt()) + ": " +
                   t["comment"].AsString());
      const std::string& result = t["result"].AsString();
      const Bytes key = Unhex(t["key"].AsString());
      const Bytes iv = Unhex(t["iv"].AsString());
      const Bytes aad = Unhex(t["aad"].AsString());
      const Bytes msg = Unhex(t["msg"].AsString());
      const Bytes ct = Unhex(t["ct"].AsString());
      const Bytes tag = Unhex(t["tag"].AsString());
      ASSERT_EQ(iv.size(), iv_bytes);
      tally.Run([&] {
        if (iv.size() != aead.nonce_size) {
          EXPECT_EQ(result, "invalid") << "a wrong-size nonce must be an invalid case";
          tally.Note(aead.in_place ? "case with another nonce size refused (Open and in-place "
                                     "calls: kInvalidArgument; Seal: aborts)"
                                   : "case with another nonce size refused (Open: "
                                     "kInvalidArgument; Seal: aborts)");
          CheckWrongNonceSize(aead, key, iv, aad, msg, ct, tag);
        } else if (result == "valid") {
          CheckValid(aead, key, iv, aad, msg, ct, tag);
        } else if (result == "invalid") {
          tally.Note("invalid case refused with kCorrupt");
          CheckBadTag(aead, key, iv, aad, ct, tag);
        } else {
          ADD_FAILURE() << "unexpected result kind " << result;
        }
      });
    }
  }
  tally.Report();
  EXPECT_EQ(static_cast<std::int64_t>(tally.ran() + tally.skipped()), doc["numberOfTests"].AsInt());
  EXPECT_EQ(tally.passed(), tally.ran());
  EXPECT_EQ(tally.skipped(), 0u);
}

class WycheproofAead : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

TEST_F(WycheproofAead, XChaCha20Poly1305) {
  RunFile({"xchacha20_poly1305_test.json", "XChaCha20-Poly1305", kXNonceSize, &XChaChaSeal,
           &XChaChaOpen, true});
}

TEST_F(WycheproofAead, ChaCha20Poly1305) {
  RunFile({"chacha20_poly1305_test.json", "ChaCha20-Poly1305", kChaChaNonceSize, &ChaChaSeal,
           &ChaChaOpen, false});
}

}  // namespace
}  // namespace parley::crypto
