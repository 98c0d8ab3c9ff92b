// QR Code symbols read back by a small reader written from the standard: structure, format
// and version information, unmasking, codeword order, block interleaving and the segment.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

#include "qr.h"

namespace parley::cli::qr {
namespace {

const std::array<std::vector<int>, 14> kCentres = {{{},
                                                    {},
                                                    {6, 18},
                                                    {6, 22},
                                                    {6, 26},
                                                    {6, 30},
                                                    {6, 34},
                                                    {6, 22, 38},
                                                    {6, 24, 42},
                                                    {6, 26, 46},
                                                    {6, 28, 50},
                                                    {6, 30, 54},
                                                    {6, 32, 58},
                                                    {6, 34, 62}}};

bool IsFunction(int version, int x, int y) {
  const int size = 17 + 4 * version;
  if ((x < 9 && y < 9) || (x >= size - 8 && y < 9) || (x < 9 && y >= size - 8)) return true;
  if (x == 6 || y == 6) return true;
  const auto& c = kCentres[static_cast<std::size_t>(version)];
  for (int cy : c) {
    for (int cx : c) {
      if ((cx == 6 && cy == 6) || (cx == 6 && cy == c.back()) || (cx == c.back() && cy == 6)) continue;
      if (std::abs(x - cx) <= 2 && std::abs(y - cy) <= 2) return true;
    }
  }
  if (version >= 7) {
    if (x >= size - 11 && x < size - 8 && y < 6) return true;
    if (y >= size - 11 && y < size - 8 && x < 6) return true;
  }
  return false;
}

bool Mask(int mask, int i, int j) {  // i = row, j = column, as in the standard's table
  switch (mask) {
    case 0: return (i + j) % 2 == 0;
    case 1: return i % 2 == 0;
    case 2: return j % 3 == 0;
    case 3: return (i + j) % 3 == 0;
    case 4: return (i / 2 + j / 3) % 2 == 0;
    case 5: return (i * j) % 2 + (i * j) % 3 == 0;
    case 6: return ((i * j) % 2 + (i * j) % 3) % 2 == 0;
    default: return ((i * j) % 3 + (i + j) % 2) % 2 == 0;
  }
}

struct Format {
  Ecc ecc;
  int mask;
};

std::optional<Format> DecodeFormat(std::uint16_t word) {
  for (Ecc ecc : {Ecc::kLow, Ecc::kMedium}) {
    for (int mask = 0; mask < 8; ++mask) {
      if (FormatBits(ecc, mask) == word) return Format{ecc, mask};
    }
  }
  return std::nullopt;
}

std::uint16_t ReadFormatCopy(const Symbol& s, bool second) {
  unsigned word = 0;
  auto put = [&word](int bit, bool dark) { word |= (dark ? 1U : 0U) << bit; };
  if (!second) {
    for (int x = 0; x <= 5; ++x) put(14 - x, s.Dark(x, 8));
    put(8, s.Dark(7, 8));
    put(7, s.Dark(8, 8));
    put(6, s.Dark(8, 7));
    for (int y = 0; y <= 5; ++y) put(y, s.Dark(8, y));
  } else {
    for (int i = 0; i < 8; ++i) put(i, s.Dark(s.size - 1 - i, 8));
    for (int i = 8; i < 15; ++i) put(i, s.Dark(8, s.size - 15 + i));
  }
  return static_cast<std::uint16_t>(word);
}

// Unmasks and reads the codewords in placement order.
std::vector<std::uint8_t> ReadCodewords(const Symbol& s, int mask, int count) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(count), 0);
  int bit = 0;
  bool upward = true;
  for (int right = s.size - 1; right > 0; right -= 2) {
    if (right == 6) --right;
    for (int step = 0; step < s.size; ++step) {
      const int y = upward ? s.size - 1 - step : step;
      for (int x = right; x >= right - 1; --x) {
        if (IsFunction(s.version, x, y) || bit >= count * 8) continue;
        const bool dark = s.Dark(x, y) != Mask(mask, y, x);
        if (dark) out[static_cast<std::size_t>(bit / 8)] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
        ++bit;
      }
    }
    upward = !upward;
  }
  return out;
}

// Reads back the single segment: mode, count, characters.
std::string ParseSegment(const std::vector<std::uint8_t>& data, int version) {
  std::size_t pos = 0;
  auto take = [&](int n) {
    unsigned v = 0;
    for (int i = 0; i < n; ++i, ++pos) v = (v << 1) | ((data[pos / 8] >> (7 - pos % 8)) & 1U);
    return v;
  };
  const unsigned mode = take(4);
  const bool small = version <= 9;
  std::string text;
  if (mode == 1) {
    unsigned n = take(small ? 10 : 12);
    for (; n >= 3; n -= 3) text += std::to_string(1000 + take(10)).substr(1);
    if (n == 2) text += std::to_string(100 + take(7)).substr(1);
    if (n == 1) text += std::to_string(take(4));
  } else if (mode == 2) {
    const std::string chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    unsigned n = take(small ? 9 : 11);
    for (; n >= 2; n -= 2) {
      const unsigned v = take(11);
      text += chars[v / 45];
      text += chars[v % 45];
    }
    if (n == 1) text += chars[take(6)];
  } else if (mode == 4) {
    for (unsigned n = take(small ? 8 : 16); n > 0; --n) text += static_cast<char>(take(8));
  }
  return text;
}

// Full read-back of `text` encoded at `ecc`.
void ExpectRoundTrip(const std::string& text, Ecc ecc, int expected_version) {
  auto symbol = Encode(text, ecc);
  ASSERT_TRUE(symbol.ok()) << symbol.status().ToString();
  const Symbol& s = *symbol;
  EXPECT_EQ(s.version, expected_version);
  ASSERT_EQ(s.size, 17 + 4 * s.version);

  const auto first = DecodeFormat(ReadFormatCopy(s, false));
  const auto second = DecodeFormat(ReadFormatCopy(s, true));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->mask, s.mask);
  EXPECT_EQ(second->mask, s.mask);
  EXPECT_EQ(first->ecc, ecc);
  EXPECT_EQ(second->ecc, ecc);

  auto layout = Layout(s.version, ecc);
  ASSERT_TRUE(layout.ok());
  const auto codewords = ReadCodewords(s, first->mask, layout->total_codewords);
  EXPECT_EQ(codewords, s.codewords);

  // De-interleave: short blocks first, each long block has one more data codeword.
  const int short_len = layout->total_codewords / layout->blocks;
  const int short_blocks = layout->blocks - layout->total_codewords % layout->blocks;
  std::vector<std::vector<std::uint8_t>> blocks(static_cast<std::size_t>(layout->blocks));
  std::size_t k = 0;
  for (int i = 0; i < short_len - layout->ecc_per_block + 1; ++i) {
    for (int b = 0; b < layout->blocks; ++b) {
      if (i == short_len - layout->ecc_per_block && b < short_blocks) continue;
      blocks[static_cast<std::size_t>(b)].push_back(codewords[k++]);
    }
  }
  std::vector<std::uint8_t> data;
  for (const auto& block : blocks) data.insert(data.end(), block.begin(), block.end());
  ASSERT_EQ(data.size(), static_cast<std::size_t>(layout->data_codewords));
  for (int i = 0; i < layout->ecc_per_block; ++i) {
    for (auto& block : blocks) block.push_back(codewords[k++]);
  }
  ASSERT_EQ(k, codewords.size());
  for (const auto& block : blocks) {
    const std::size_t n = block.size() - static_cast<std::size_t>(layout->ecc_per_block);
    const std::vector<std::uint8_t> block_data(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
    const std::vector<std::uint8_t> block_ecc(block.begin() + static_cast<std::ptrdiff_t>(n), block.end());
    EXPECT_EQ(ReedSolomonRemainder(block_data, layout->ecc_per_block), block_ecc);
  }
  auto expected_data = DataCodewords(text, s.version, ecc);
  ASSERT_TRUE(expected_data.ok());
  EXPECT_EQ(data, *expected_data);
  EXPECT_EQ(ParseSegment(data, s.version), text);
}

TEST(QrSymbol, AnnexIExampleReadsBack) { ExpectRoundTrip("01234567", Ecc::kMedium, 1); }

TEST(QrSymbol, PairingCodeSizedTextReadsBack) {
  // "parley-device:" and base32, upper-cased: alphanumeric mode.
  std::string code = "PARLEY-DEVICE:";
  for (int i = 0; i < 136; ++i) code += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(i * 7 + 3) % 32];
  ExpectRoundTrip(code, Ecc::kMedium, 6);
  ExpectRoundTrip(code, Ecc::kLow, 5);
  // A v2 pairing code (keys, certificate, secret, checksum) with a 64-byte name: 408 characters.
  std::string v2 = "PARLEY-DEVICE:";
  for (int i = 0; i < 394; ++i) v2 += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(i * 11 + 5) % 32];
  ExpectRoundTrip(v2, Ecc::kMedium, 12);
}

TEST(QrSymbol, EveryVersionReadsBack) {
  // Byte-mode texts sized to need each version 1..13 at level M (capacities 14, 26, 42, 62,
  // 84, 106, 122, 152, 180, 213, 251, 287, 331 bytes), including versions with unequal
  // blocks (9 to 13).
  const int lengths[] = {14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331};
  for (int v = 1; v <= 13; ++v) {
    std::string text;
    for (int i = 0; i < lengths[v - 1]; ++i) text += static_cast<char>('a' + i % 26);
    SCOPED_TRACE("version " + std::to_string(v));
    ExpectRoundTrip(text, Ecc::kMedium, v);
    if (v < 13) ExpectRoundTrip(text + "z", Ecc::kMedium, v + 1);
  }
}

TEST(QrSymbol, FunctionPatterns) {
  auto symbol = Encode(std::string(200, 'A'), Ecc::kMedium);
  ASSERT_TRUE(symbol.ok());
  const Symbol& s = *symbol;
  ASSERT_GE(s.version, 7);
  for (auto [ox, oy] : {std::pair{0, 0}, std::pair{s.size - 7, 0}, std::pair{0, s.size - 7}}) {
    for (int dy = 0; dy < 7; ++dy) {
      for (int dx = 0; dx < 7; ++dx) {
        const int ring = std::max(std::abs(dx - 3), std::abs(dy - 3));
        EXPECT_EQ(s.Dark(ox + dx, oy + dy), ring != 2) << ox << "," << oy << " +" << dx << "," << dy;
      }
    }
  }
  for (int i = 0; i < 8; ++i) {  // separators are light
    EXPECT_FALSE(s.Dark(7, i));
    EXPECT_FALSE(s.Dark(i, 7));
    EXPECT_FALSE(s.Dark(s.size - 8, i));
    EXPECT_FALSE(s.Dark(i, s.size - 8));
  }
  for (int i = 8; i < s.size - 8; ++i) {  // timing patterns alternate, dark first
    EXPECT_EQ(s.Dark(i, 6), i % 2 == 0);
    EXPECT_EQ(s.Dark(6, i), i % 2 == 0);
  }
  EXPECT_TRUE(s.Dark(8, s.size - 8));  // the dark module
  const std::uint32_t version_bits = VersionBits(s.version);
  for (int i = 0; i < 18; ++i) {
    const bool bit = ((version_bits >> i) & 1U) != 0;
    EXPECT_EQ(s.Dark(s.size - 11 + i % 3, i / 3), bit);
    EXPECT_EQ(s.Dark(i / 3, s.size - 11 + i % 3), bit);
  }
  // An alignment pattern away from the finders: dark centre, light ring, dark edge.
  const int c = kCentres[static_cast<std::size_t>(s.version)][1];
  EXPECT_TRUE(s.Dark(c, c));
  EXPECT_FALSE(s.Dark(c + 1, c));
  EXPECT_TRUE(s.Dark(c + 2, c + 2));
}

TEST(QrSymbol, ChosenMaskHasTheLowestPenalty) {
  auto symbol = Encode("PARLEY-DEVICE:MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPI", Ecc::kMedium);
  ASSERT_TRUE(symbol.ok());
  const int chosen = Penalty(*symbol);
  for (int mask = 0; mask < 8; ++mask) {
    const Symbol forced = BuildSymbol(symbol->version, symbol->ecc, symbol->codewords, mask);
    EXPECT_EQ(forced.mask, mask);
    EXPECT_LE(chosen, Penalty(forced)) << "mask " << mask;
  }
}

TEST(QrSymbol, RenderedWithHalfBlocksAndQuietZone) {
  auto symbol = Encode("HELLO WORLD", Ecc::kMedium);
  ASSERT_TRUE(symbol.ok());
  const Symbol& s = *symbol;
  const std::string text = RenderHalfBlocks(s);
  const int side = RenderedWidth(s);
  EXPECT_EQ(side, s.size + 8);
  const std::string start = "\x1b[30;107m";
  const std::string end = "\x1b[0m";
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t nl = text.find('\n', at);
    ASSERT_NE(nl, std::string::npos);
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  ASSERT_EQ(lines.size(), static_cast<std::size_t>((side + 1) / 2));
  for (std::size_t row = 0; row < lines.size(); ++row) {
    const std::string& line = lines[row];
    ASSERT_EQ(line.rfind(start, 0), 0U);
    ASSERT_EQ(line.substr(line.size() - end.size()), end);
    const std::string cells = line.substr(start.size(), line.size() - start.size() - end.size());
    std::vector<std::pair<bool, bool>> decoded;  // (top, bottom) per cell
    for (std::size_t i = 0; i < cells.size();) {
      if (cells[i] == ' ') {
        decoded.emplace_back(false, false);
        ++i;
        continue;
      }
      const std::string glyph = cells.substr(i, 3);
      ASSERT_TRUE(glyph == "\u2588" || glyph == "\u2580" || glyph == "\u2584") << row << ":" << i;
      decoded.emplace_back(glyph != "\u2584", glyph != "\u2580");
      i += 3;
    }
    ASSERT_EQ(decoded.size(), static_cast<std::size_t>(side));
    for (int x = 0; x < side; ++x) {
      for (int half = 0; half < 2; ++half) {
        const int mx = x - kQuietZone;
        const int my = static_cast<int>(row) * 2 + half - kQuietZone;
        const bool expected = mx >= 0 && my >= 0 && mx < s.size && my < s.size && s.Dark(mx, my);
        const auto& cell = decoded[static_cast<std::size_t>(x)];
        EXPECT_EQ(half == 0 ? cell.first : cell.second, expected) << "module " << mx << "," << my;
      }
    }
  }
}

TEST(QrSymbol, TerminalColumnsIsZeroWhenNotATerminal) {
  EXPECT_EQ(TerminalColumns(-1), 0);
}

}  // namespace
}  // namespace parley::cli::qr
