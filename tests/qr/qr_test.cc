// QR codes as `parley` shows them: libqrencode makes the symbol, qr_render.cc draws it with
// half blocks, and ZXing-C++ must read back from the drawing exactly the text put in.
#include <gtest/gtest.h>

#include <string>

#include "qr.h"
#include "qr_reader.h"

namespace parley::cli::qr {
namespace {

// Encodes, renders and decodes `text`; expects the same bytes back.
void ExpectReadsBack(const std::string& text, Ecc ecc) {
  SCOPED_TRACE(text.size() > 80 ? text.substr(0, 80) + "..." : text);
  auto symbol = Encode(text, ecc);
  ASSERT_TRUE(symbol.ok()) << symbol.status().ToString();
  EXPECT_EQ(symbol->size, 17 + 4 * symbol->version);
  std::string error;
  const std::string read = qr_test::DecodeRendering(RenderHalfBlocks(*symbol), &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(read, text);
}

TEST(Qr, PairingCodeReadsBack) {
  // Pairing codes are shown upper-cased: the alphanumeric mode makes a smaller symbol.
  const std::string code =
      "PARLEY-DEVICE:MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPIMFRGGZDFMZTWQ2LKNNWG23TPOBYXE";
  ExpectReadsBack(code, Ecc::kMedium);
  auto upper = Encode(code, Ecc::kMedium);
  std::string lower = code;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  auto mixed = Encode(lower, Ecc::kMedium);
  ASSERT_TRUE(upper.ok() && mixed.ok());
  EXPECT_LT(upper->version, mixed->version);
}

TEST(Qr, TextOfEveryKindReadsBack) {
  ExpectReadsBack("01234567", Ecc::kMedium);  // numeric
  ExpectReadsBack("HELLO WORLD", Ecc::kLow);  // alphanumeric
  ExpectReadsBack("parley-relay:abc123@127.0.0.1:7400", Ecc::kMedium);
  ExpectReadsBack("Fresh Harvest Foods \xE2\x80\x94 caf\xC3\xA9", Ecc::kMedium);  // UTF-8 bytes
  ExpectReadsBack(std::string(300, 'x'), Ecc::kLow);
}

TEST(Qr, GrowsWithTheTextAndRefusesWhatCannotFit) {
  int last = 0;
  for (std::size_t n : {10, 100, 400, 1000}) {
    auto symbol = Encode(std::string(n, 'A'), Ecc::kMedium);
    ASSERT_TRUE(symbol.ok()) << n;
    EXPECT_GT(symbol->version, last) << n;
    last = symbol->version;
  }
  auto too_long = Encode(std::string(8000, 'a'), Ecc::kMedium);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), Code::kInvalidArgument);
  auto empty = Encode("", Ecc::kMedium);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
}

TEST(Qr, RenderedWithHalfBlocksAndQuietZone) {
  auto symbol = Encode("HELLO WORLD", Ecc::kMedium);
  ASSERT_TRUE(symbol.ok());
  const Symbol& s = *symbol;
  const int side = RenderedWidth(s);
  EXPECT_EQ(side, s.size + 2 * kQuietZone);
  qr_test::Modules m;
  ASSERT_EQ(qr_test::ParseRendering(RenderHalfBlocks(s), &m), "");
  EXPECT_EQ(m.width, side);
  EXPECT_EQ(m.height, side + side % 2);  // two modules per line
  for (int y = 0; y < m.height; ++y) {
    for (int x = 0; x < m.width; ++x) {
      const int mx = x - kQuietZone;
      const int my = y - kQuietZone;
      const bool expected = mx >= 0 && my >= 0 && mx < s.size && my < s.size && s.Dark(mx, my);
      EXPECT_EQ(m.dark[static_cast<std::size_t>(y * m.width + x)], expected)
          << "module " << mx << "," << my;
    }
  }
  // The finder pattern's corner is dark, the quiet zone light.
  EXPECT_TRUE(s.Dark(0, 0));
  EXPECT_FALSE(m.dark[0]);
}

TEST(Qr, TerminalColumnsIsZeroWhenNotATerminal) { EXPECT_EQ(TerminalColumns(-1), 0); }

}  // namespace
}  // namespace parley::cli::qr
