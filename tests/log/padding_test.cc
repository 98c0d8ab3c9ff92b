// Padding of change bodies: the relay sees only the size of a change, so sizes fall into
// buckets (docs/change-format.md, "Padding").
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "log/body_padding.h"
#include "log/change_codec.h"
#include "log/hlc.h"
#include "log/tuning.h"

namespace parley::log {
namespace {

struct Sealer {
  crypto::SignKeyPair author = crypto::NewSignKeyPair();
  crypto::Bytes vault = crypto::RandomBytes(32);
  crypto::SecretBytes key = crypto::SecretBytes::Random(32);

  static pb::ChangeBody Note(std::size_t chars) {
    pb::ChangeBody b;
    b.set_hlc(HlcFromMs(1'750'000'000'000));
    b.set_device_name("phone");
    pb::Op* op = b.add_ops();
    op->set_record(std::string(16, 'r'));
    op->mutable_set()->set_field("text");
    op->mutable_set()->set_value(std::string(chars, 'n'));
    return b;
  }
  pb::Change Seal(const pb::ChangeBody& body) {
    SealParams p;
    p.vault = vault;
    p.author = &author;
    p.seq = 1;
    p.epoch_key = key.view();
    pb::Change c;
    ChangeId id{};
    Status s = SealChange(p, body, &c, &id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return c;
  }
  // A change whose plaintext is exactly `plain`, encrypted and signed correctly: what a
  // writer that pads wrongly (or not at all) would send.
  pb::Change SealRaw(std::string plain) {
    std::uint8_t nonce[crypto::kXNonceSize];
    crypto::RandomBytes(nonce);
    pb::ChangeHeader header;
    header.set_vault(vault.data(), vault.size());
    header.set_author(author.public_key.data(), author.public_key.size());
    header.set_seq(1);
    header.set_nonce(nonce, sizeof nonce);
    header.set_body_size(static_cast<std::uint32_t>(plain.size() + crypto::kAeadTagSize));
    pb::Change c;
    EXPECT_TRUE(header.SerializeToString(c.mutable_header()));
    std::uint8_t tag[crypto::kAeadTagSize];
    EXPECT_TRUE(
        crypto::XChaChaSealInPlace(
            key.view(), crypto::ByteView(nonce, sizeof nonce),
            std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(plain.data()), plain.size()),
            crypto::AsBytes(c.header()), std::span<std::uint8_t>(tag, sizeof tag))
            .ok());
    c.set_body(plain + std::string(reinterpret_cast<const char*>(tag), sizeof tag));
    const ChangeId id = ComputeChangeId(crypto::AsBytes(c.header()), crypto::AsBytes(c.body()));
    crypto::Bytes msg(16 + id.size());
    std::memcpy(msg.data(), "parley/change/v1", 16);
    std::memcpy(msg.data() + 16, id.data(), id.size());
    crypto::Bytes sig = crypto::Sign(author.secret_key, msg);
    c.set_signature(sig.data(), sig.size());
    return c;
  }
};

TEST(ChangePadding, NotesOfNearbyLengthsHaveEqualSizes) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Sealer s;
  for (std::size_t base : {10u, 100u, 200u, 400u, 1000u}) {
    std::set<std::size_t> sizes;
    for (std::size_t n = base; n < base + 8; ++n)
      sizes.insert(s.Seal(Sealer::Note(n)).body().size());
    // Eight consecutive lengths fall into at most two size buckets.
    EXPECT_LE(sizes.size(), 2u) << "notes of " << base << " to " << base + 7 << " characters";
  }
  // Small bodies all have one size.
  std::set<std::size_t> small;
  for (std::size_t n = 0; n < 100; ++n) small.insert(s.Seal(Sealer::Note(n)).body().size());
  EXPECT_EQ(small.size(), 1u);
}

TEST(ChangePadding, OverheadIsBounded) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Sealer s;
  for (std::size_t n = 1; n < 300'000; n = n * 5 / 4 + 1) {
    const pb::ChangeBody body = Sealer::Note(n);
    const std::size_t plain = body.ByteSizeLong();
    const pb::Change c = s.Seal(body);
    const std::size_t padded = c.body().size() - crypto::kAeadTagSize;
    ASSERT_GT(padded, plain);
    if (plain >= 256) {
      EXPECT_LE(padded - plain, plain * 12 / 100) << "a body of " << plain << " bytes";
    } else {
      EXPECT_EQ(padded, 256u) << "a body of " << plain << " bytes";
    }
    auto opened = OpenBody(c, s.key.view());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened->ops(0).set().value().size(), n);
  }
}

TEST(ChangePadding, PadmeSizes) {
  // Padmé keeps the top floor(log2 E) + 1 bits of a length below 2^(E+1).
  EXPECT_EQ(Padme(1), 1u);
  EXPECT_EQ(Padme(3), 3u);
  EXPECT_EQ(Padme(9), 10u);
  EXPECT_EQ(Padme(256), 256u);
  EXPECT_EQ(Padme(257), 272u);
  EXPECT_EQ(Padme(1000), 1024u);
  EXPECT_EQ(Padme(65537), 67584u);
  for (std::uint64_t n = 1; n < (1u << 20); n += n / 7 + 1) {
    EXPECT_GE(Padme(n), n);
    EXPECT_EQ(Padme(Padme(n)), Padme(n));
  }
  EXPECT_EQ(PaddedBodySize(0), kMinPaddedBody);
  EXPECT_EQ(PaddedBodySize(255), kMinPaddedBody);
  EXPECT_EQ(PaddedBodySize(256), 272u);
}

TEST(ChangePadding, BadPaddingIsRefused) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Sealer s;
  const std::string body = Sealer::Note(20).SerializeAsString();
  ASSERT_LT(body.size() + 1, 256u);
  auto refused = [&](const std::string& plain, const char* what) {
    auto opened = OpenBody(s.SealRaw(plain), s.key.view());
    EXPECT_FALSE(opened.ok()) << what << " was accepted";
    EXPECT_EQ(opened.status().code(), Code::kCorrupt) << what;
  };
  refused(body, "no padding");
  std::string zeros = body + std::string(256 - body.size(), '\0');
  refused(zeros, "padding without its 0x80 marker");
  std::string marked = body + '\x80' + std::string(256 - body.size() - 1, '\0');
  std::string dirty = marked;
  dirty.back() = 1;
  refused(dirty, "padding with a non-zero byte after the marker");
  refused(marked + std::string(16, '\0'), "padding longer than the size rule gives");
  refused(body + '\x80' + std::string(100, '\0'), "padding shorter than the size rule gives");
  // The well-padded body itself opens.
  auto opened = OpenBody(s.SealRaw(marked), s.key.view());
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
}

}  // namespace
}  // namespace parley::log
