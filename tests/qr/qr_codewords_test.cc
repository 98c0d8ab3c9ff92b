// Known answers for the QR Code codeword layer: ISO/IEC 18004 annex I, format and version
// information, and the block layouts of versions 1 to 10.
#include <gtest/gtest.h>

#include <bitset>
#include <set>

#include "qr.h"

namespace parley::cli::qr {
namespace {

// ISO/IEC 18004 annex I: "01234567" in a version 1-M symbol.
TEST(QrCodewords, AnnexIDataAndErrorCorrection) {
  auto data = DataCodewords("01234567", 1, Ecc::kMedium);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  const std::vector<std::uint8_t> expected_data = {0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11,
                                                   0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11};
  EXPECT_EQ(*data, expected_data);
  const std::vector<std::uint8_t> expected_ecc = {0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55};
  EXPECT_EQ(ReedSolomonRemainder(*data, 10), expected_ecc);

  auto layout = Layout(1, Ecc::kMedium);
  ASSERT_TRUE(layout.ok());
  std::vector<std::uint8_t> all = expected_data;
  all.insert(all.end(), expected_ecc.begin(), expected_ecc.end());
  EXPECT_EQ(InterleaveCodewords(*data, *layout), all);  // one block: data then its ECC
}

TEST(QrCodewords, ReedSolomonRemainderIsZeroForACodeword) {
  // A codeword (data followed by its remainder) is divisible by the generator.
  const std::vector<std::uint8_t> data = {0x40, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
  std::vector<std::uint8_t> codeword = data;
  const auto ecc = ReedSolomonRemainder(data, 18);
  codeword.insert(codeword.end(), ecc.begin(), ecc.end());
  EXPECT_EQ(ReedSolomonRemainder(codeword, 18), std::vector<std::uint8_t>(18, 0));
}

TEST(QrCodewords, FormatInformationKnownValues) {
  EXPECT_EQ(std::bitset<15>(FormatBits(Ecc::kMedium, 0)).to_string(), "101010000010010");
  EXPECT_EQ(std::bitset<15>(FormatBits(Ecc::kMedium, 1)).to_string(), "101000100100101");
  EXPECT_EQ(std::bitset<15>(FormatBits(Ecc::kLow, 0)).to_string(), "111011111000100");
  EXPECT_EQ(std::bitset<15>(FormatBits(Ecc::kLow, 1)).to_string(), "111001011110011");
}

TEST(QrCodewords, FormatInformationIsABchCode) {
  // Sixteen distinct words, each carrying its level and mask in the top five bits (after the
  // fixed XOR), pairwise at Hamming distance at least 7.
  std::vector<std::uint16_t> words;
  for (Ecc ecc : {Ecc::kLow, Ecc::kMedium}) {
    for (int mask = 0; mask < 8; ++mask) {
      const std::uint16_t word = FormatBits(ecc, mask);
      EXPECT_EQ(((word ^ 0x5412) >> 10) & 7, mask);
      EXPECT_EQ(((word ^ 0x5412) >> 13) & 3, ecc == Ecc::kLow ? 1 : 0);
      words.push_back(word);
    }
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    for (std::size_t j = i + 1; j < words.size(); ++j) {
      EXPECT_GE(std::bitset<15>(words[i] ^ words[j]).count(), 7U) << i << " " << j;
    }
  }
}

TEST(QrCodewords, VersionInformationKnownValues) {
  EXPECT_EQ(std::bitset<18>(VersionBits(7)).to_string(), "000111110010010100");
  EXPECT_EQ(VersionBits(8), 0x085BCU);
  EXPECT_EQ(VersionBits(9), 0x09A99U);
  EXPECT_EQ(VersionBits(10), 0x0A4D3U);
}

TEST(QrCodewords, DataCapacityPerVersion) {
  const int medium[] = {16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 254, 290, 334};
  const int low[] = {19, 34, 55, 80, 108, 136, 156, 194, 232, 274, 324, 370, 428};
  for (int v = 1; v <= 13; ++v) {
    auto m = Layout(v, Ecc::kMedium);
    auto l = Layout(v, Ecc::kLow);
    ASSERT_TRUE(m.ok() && l.ok());
    EXPECT_EQ(m->data_codewords, medium[v - 1]) << "version " << v;
    EXPECT_EQ(l->data_codewords, low[v - 1]) << "version " << v;
    // Total codewords follow from the module count: all modules minus function patterns.
    const int size = 17 + 4 * v;
    const int align = v == 1 ? 0 : v / 7 + 2;
    // Finders with separators, two format copies, the dark module, the timing patterns.
    int function = 3 * 64 + 2 * 15 + 1 + 2 * (size - 16);
    if (align > 0) function += (align * align - 3) * 25 - 2 * (align - 2) * 5;
    if (v >= 7) function += 36;
    EXPECT_EQ(m->total_codewords, (size * size - function) / 8) << "version " << v;
  }
  EXPECT_FALSE(Layout(0, Ecc::kMedium).ok());
  EXPECT_FALSE(Layout(14, Ecc::kLow).ok());
}

TEST(QrCodewords, TooLongTextIsAnError) {
  // Version 1-M holds 34 digits, 20 alphanumeric characters or 14 bytes.
  EXPECT_TRUE(DataCodewords(std::string(34, '7'), 1, Ecc::kMedium).ok());
  EXPECT_FALSE(DataCodewords(std::string(35, '7'), 1, Ecc::kMedium).ok());
  EXPECT_TRUE(DataCodewords(std::string(20, 'Q'), 1, Ecc::kMedium).ok());
  EXPECT_FALSE(DataCodewords(std::string(21, 'Q'), 1, Ecc::kMedium).ok());
  EXPECT_TRUE(DataCodewords(std::string(14, 'q'), 1, Ecc::kMedium).ok());
  EXPECT_FALSE(DataCodewords(std::string(15, 'q'), 1, Ecc::kMedium).ok());
  // Version 13-M, the largest, holds 483 alphanumeric characters.
  EXPECT_TRUE(Encode(std::string(483, 'A'), Ecc::kMedium).ok());
  auto too_long = Encode(std::string(484, 'A'), Ecc::kMedium);
  EXPECT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace parley::cli::qr
