// Length framing and frame encoding: limits are enforced from the prefix alone.
#include <gtest/gtest.h>

#include "parley/sync/frame_codec.h"

namespace parley::wire {
namespace {

TEST(Framing, LengthRoundTripsBigEndian) {
  std::uint8_t p[2];
  EncodeLength(0x1234, p);
  EXPECT_EQ(p[0], 0x12);
  EXPECT_EQ(p[1], 0x34);
  auto n = DecodeLength(p, kMaxWireMessage);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0x1234u);
  EncodeLength(65535, p);
  EXPECT_EQ(*DecodeLength(p, kMaxWireMessage), 65535u);
}

TEST(Framing, ZeroLengthIsRefused) {
  std::uint8_t p[2] = {0, 0};
  auto n = DecodeLength(p, kMaxWireMessage);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Code::kCorrupt);
}

TEST(Framing, LengthOverTheCapIsRefused) {
  std::uint8_t p[2];
  EncodeLength(4097, p);
  auto n = DecodeLength(p, 4096);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Code::kCorrupt);
  EXPECT_NE(n.status().message().find("over the cap"), std::string::npos);
  EXPECT_TRUE(DecodeLength(p, 4097).ok());
}

TEST(Framing, PrefixedRefusesEmptyAndOversized) {
  EXPECT_FALSE(Prefixed({}).ok());
  Bytes big(kMaxWireMessage + 1, 1);
  EXPECT_FALSE(Prefixed(big).ok());
  Bytes max(kMaxWireMessage, 7);
  auto out = Prefixed(max);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), kMaxWireMessage + 2);
  EXPECT_EQ((*out)[0], 0xff);
  EXPECT_EQ((*out)[1], 0xff);
}

TEST(Framing, DecoderReassemblesMessagesFedByteByByte) {
  Bytes stream;
  for (std::size_t len : {1u, 300u, 65535u, 2u}) {
    Bytes m(len, static_cast<std::uint8_t>(len & 0xff));
    auto p = Prefixed(m);
    ASSERT_TRUE(p.ok());
    stream.insert(stream.end(), p->begin(), p->end());
  }
  LengthDecoder d;
  std::vector<std::size_t> sizes;
  for (std::uint8_t b : stream) {
    d.Feed(ByteView(&b, 1));
    auto next = d.Next();
    ASSERT_TRUE(next.ok());
    if (next->has_value()) sizes.push_back((*next)->size());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 300, 65535, 2}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Framing, DecoderErrorIsStickyAndNeedsNoAllocation) {
  LengthDecoder d(100);
  std::uint8_t bad[2] = {0xff, 0xff};  // 65535 > cap: refused with two bytes buffered
  d.Feed(bad);
  EXPECT_FALSE(d.Next().ok());
  std::uint8_t good[3] = {0, 1, 42};
  d.Feed(good);
  EXPECT_FALSE(d.Next().ok());
  LengthDecoder z;
  std::uint8_t zero[2] = {0, 0};
  z.Feed(zero);
  EXPECT_FALSE(z.Next().ok());
}

TEST(Framing, FrameTooLargeForOneMessageIsRefused) {
  pb::Frame f;
  f.mutable_put_envelope()->set_sealed(std::string(kMaxFramePlaintext, 'x'));
  auto out = SerializeFrame(f);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kInvalidArgument);
  pb::Frame small;
  small.mutable_ping()->set_nonce(7);
  EXPECT_TRUE(SerializeFrame(small).ok());
}

TEST(Framing, GarbageDoesNotParseAndUnknownTypesParseAsNotSet) {
  std::uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(ParseFrame(garbage).ok());
  // id = 5, then field 99 (length-delimited, empty): a frame type from the future.
  std::uint8_t future[] = {0x08, 0x05, 0x9a, 0x06, 0x00};
  auto f = ParseFrame(future);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id(), 5u);
  EXPECT_EQ(f->body_case(), pb::Frame::BODY_NOT_SET);
  EXPECT_STREQ(FrameTypeName(*f), "unknown");
}

}  // namespace
}  // namespace parley::wire
