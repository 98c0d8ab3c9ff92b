// Tampering: flipping any single bit-pattern in any byte of the ciphertext, the tag, the
// nonce or the associated data makes opening fail with kCorrupt, for every AEAD call.
// Truncation, extension and a wrong key fail the same way.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "parley/core/crypto.h"

namespace parley::crypto {
namespace {

class Tamper : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    key_ = RandomBytes(kAeadKeySize);
    plaintext_ = Bytes(300, 'n');  // a note-sized body
    ad_ = Bytes{'p', 'a', 'g', 'e', 0, 0, 0, 7};
  }

  Bytes key_;
  Bytes plaintext_;
  Bytes ad_;
};

// Each flip pattern is tried on every byte of each input.
constexpr std::uint8_t kFlips[] = {0x01, 0x80, 0xff};

using OpenFn =
    std::function<Code(const Bytes& nonce, const Bytes& ct, const Bytes& tag, const Bytes& ad)>;

// Flips every byte of every input in turn; every variant must be refused with kCorrupt.
// Returns how many variants were tried.
std::size_t FlipEverything(const OpenFn& open, const Bytes& nonce, const Bytes& ct,
                           const Bytes& tag, const Bytes& ad) {
  EXPECT_EQ(open(nonce, ct, tag, ad), Code::kOk) << "the untouched message must open";
  std::size_t tried = 0;
  auto flip_each = [&](const char* what, Bytes input, auto&& call) {
    for (std::size_t i = 0; i < input.size(); ++i) {
      for (std::uint8_t f : kFlips) {
        input[i] ^= f;
        EXPECT_EQ(call(input), Code::kCorrupt) << what << " byte " << i << " ^ " << int{f};
        input[i] ^= f;
        ++tried;
      }
    }
  };
  flip_each("ciphertext", ct, [&](const Bytes& x) { return open(nonce, x, tag, ad); });
  flip_each("tag", tag, [&](const Bytes& x) { return open(nonce, ct, x, ad); });
  flip_each("nonce", nonce, [&](const Bytes& x) { return open(x, ct, tag, ad); });
  flip_each("ad", ad, [&](const Bytes& x) { return open(nonce, ct, tag, x); });
  return tried;
}

Bytes Join(const Bytes& ct, const Bytes& tag) {
  Bytes out = ct;
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

TEST_F(Tamper, XChaChaCombined) {
  const Bytes nonce = RandomBytes(kXNonceSize);
  const Bytes sealed = XChaChaSeal(key_, nonce, plaintext_, ad_);
  const Bytes ct(sealed.begin(), sealed.end() - kAeadTagSize);
  const Bytes tag(sealed.end() - kAeadTagSize, sealed.end());
  const std::size_t tried = FlipEverything(
      [&](const Bytes& n, const Bytes& c, const Bytes& t, const Bytes& a) {
        return XChaChaOpen(key_, n, Join(c, t), a).status().code();
      },
      nonce, ct, tag, ad_);
  EXPECT_EQ(tried, 3 * (ct.size() + tag.size() + nonce.size() + ad_.size()));
}

TEST_F(Tamper, XChaChaDetachedInPlace) {
  const Bytes nonce = RandomBytes(kXNonceSize);
  Bytes ct = plaintext_;
  Bytes tag(kAeadTagSize);
  ASSERT_TRUE(XChaChaSealInPlace(key_, nonce, ct, ad_, tag).ok());
  EXPECT_NE(ct, plaintext_);
  FlipEverything(
      [&](const Bytes& n, const Bytes& c, const Bytes& t, const Bytes& a) {
        Bytes buf = c;
        return XChaChaOpenInPlace(key_, n, buf, a, t).code();
      },
      nonce, ct, tag, ad_);
}

TEST_F(Tamper, ChaChaIetf) {
  const Bytes nonce = RandomBytes(kChaChaNonceSize);
  const Bytes sealed = ChaChaSeal(key_, nonce, plaintext_, ad_);
  const Bytes ct(sealed.begin(), sealed.end() - kAeadTagSize);
  const Bytes tag(sealed.end() - kAeadTagSize, sealed.end());
  FlipEverything([&](const Bytes& n, const Bytes& c, const Bytes& t,
                     const Bytes& a) { return ChaChaOpen(key_, n, Join(c, t), a).status().code(); },
                 nonce, ct, tag, ad_);
}

TEST_F(Tamper, TruncationExtensionAndWrongKey) {
  const Bytes nonce = RandomBytes(kXNonceSize);
  const Bytes sealed = XChaChaSeal(key_, nonce, plaintext_, ad_);
  for (std::size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_EQ(XChaChaOpen(key_, nonce, ByteView(sealed).first(n), ad_).status().code(),
              Code::kCorrupt)
        << "truncated to " << n;
  }
  Bytes longer = sealed;
  longer.push_back(0);
  EXPECT_EQ(XChaChaOpen(key_, nonce, longer, ad_).status().code(), Code::kCorrupt);
  EXPECT_EQ(XChaChaOpen(RandomBytes(kAeadKeySize), nonce, sealed, ad_).status().code(),
            Code::kCorrupt);
  Bytes shorter_ad = ad_;
  shorter_ad.pop_back();
  EXPECT_EQ(XChaChaOpen(key_, nonce, sealed, shorter_ad).status().code(), Code::kCorrupt);
  EXPECT_EQ(XChaChaOpen(key_, nonce, sealed, {}).status().code(), Code::kCorrupt);
}

}  // namespace
}  // namespace parley::crypto
