// QR Code codewords: segments, Reed-Solomon error correction, block interleaving, format and
// version information.
#include "qr.h"

#include <array>

namespace parley::cli::qr {
namespace {

// Per version 1..10 (index 0 unused): total codewords, and per level the number of blocks and
// error correction codewords per block (ISO/IEC 18004 table 9).
constexpr std::array<int, 14> kTotalCodewords = {0, 26, 44, 70, 100, 134, 172, 196, 242, 292, 346, 404, 466, 532};
constexpr std::array<int, 14> kBlocksL = {0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4};
constexpr std::array<int, 14> kEccL = {0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26};
constexpr std::array<int, 14> kBlocksM = {0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9};
constexpr std::array<int, 14> kEccM = {0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22};

constexpr std::string_view kAlphanumericChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

enum class Mode { kNumeric, kAlphanumeric, kByte };

class BitWriter {
 public:
  void Put(std::uint32_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) bits_.push_back(((value >> i) & 1U) != 0);
  }
  std::size_t size() const { return bits_.size(); }
  std::vector<std::uint8_t> Bytes() const {
    std::vector<std::uint8_t> out(bits_.size() / 8, 0);
    for (std::size_t i = 0; i < out.size() * 8; ++i) {
      if (bits_[i]) out[i / 8] = static_cast<std::uint8_t>(out[i / 8] | (0x80U >> (i % 8)));
    }
    return out;
  }

 private:
  std::vector<bool> bits_;
};

Mode ChooseMode(std::string_view text) {
  bool numeric = true;
  bool alphanumeric = true;
  for (char c : text) {
    if (c < '0' || c > '9') numeric = false;
    if (kAlphanumericChars.find(c) == std::string_view::npos) alphanumeric = false;
  }
  if (numeric) return Mode::kNumeric;
  return alphanumeric ? Mode::kAlphanumeric : Mode::kByte;
}

int CountBits(Mode mode, int version) {
  const bool small = version <= 9;
  switch (mode) {
    case Mode::kNumeric: return small ? 10 : 12;
    case Mode::kAlphanumeric: return small ? 9 : 11;
    case Mode::kByte: return small ? 8 : 16;
  }
  return 8;
}

// GF(256) with the field polynomial 0x11D.
std::uint8_t Multiply(std::uint8_t a, std::uint8_t b) {
  unsigned result = 0;
  for (int i = 7; i >= 0; --i) {
    result = (result << 1) ^ ((result >> 7) * 0x11DU);
    result ^= ((b >> i) & 1U) * a;
  }
  return static_cast<std::uint8_t>(result);
}

}  // namespace

Result<BlockLayout> Layout(int version, Ecc ecc) {
  if (version < kMinVersion || version > kMaxVersion) {
    return Error(Domain::kApp, Code::kInvalidArgument, "QR version out of range");
  }
  const auto v = static_cast<std::size_t>(version);
  BlockLayout layout;
  layout.blocks = ecc == Ecc::kLow ? kBlocksL[v] : kBlocksM[v];
  layout.ecc_per_block = ecc == Ecc::kLow ? kEccL[v] : kEccM[v];
  layout.total_codewords = kTotalCodewords[v];
  layout.data_codewords = layout.total_codewords - layout.blocks * layout.ecc_per_block;
  return layout;
}

std::vector<std::uint8_t> ReedSolomonRemainder(const std::vector<std::uint8_t>& data, int degree) {
  // Generator: product of (x - alpha^i), i = 0..degree-1; coefficients highest power first,
  // the leading 1 left implicit.
  if (degree <= 0) return {};
  std::vector<std::uint8_t> generator(static_cast<std::size_t>(degree), 0);
  generator[generator.size() - 1] = 1;
  std::uint8_t root = 1;
  for (int i = 0; i < degree; ++i) {
    for (std::size_t j = 0; j < generator.size(); ++j) {
      generator[j] = Multiply(generator[j], root);
      if (j + 1 < generator.size()) generator[j] ^= generator[j + 1];
    }
    root = Multiply(root, 0x02);
  }
  std::vector<std::uint8_t> remainder(static_cast<std::size_t>(degree), 0);
  for (std::uint8_t b : data) {
    const std::uint8_t factor = b ^ remainder.front();
    remainder.erase(remainder.begin());
    remainder.push_back(0);
    for (std::size_t j = 0; j < remainder.size(); ++j) remainder[j] ^= Multiply(generator[j], factor);
  }
  return remainder;
}

std::uint16_t FormatBits(Ecc ecc, int mask) {
  const unsigned level = ecc == Ecc::kLow ? 1U : 0U;  // L = 01, M = 00
  const unsigned data = (level << 3) | static_cast<unsigned>(mask & 7);
  unsigned rem = data;
  for (int i = 0; i < 10; ++i) rem = (rem << 1) ^ ((rem >> 9) * 0x537U);
  return static_cast<std::uint16_t>(((data << 10) | (rem & 0x3FFU)) ^ 0x5412U);
}

std::uint32_t VersionBits(int version) {
  const auto data = static_cast<std::uint32_t>(version);
  std::uint32_t rem = data;
  for (int i = 0; i < 12; ++i) rem = (rem << 1) ^ ((rem >> 11) * 0x1F25U);
  return (data << 12) | (rem & 0xFFFU);
}

Result<std::vector<std::uint8_t>> DataCodewords(std::string_view text, int version, Ecc ecc) {
  PARLEY_ASSIGN_OR_RETURN(BlockLayout layout, Layout(version, ecc));
  const std::size_t capacity = static_cast<std::size_t>(layout.data_codewords) * 8;
  const Mode mode = ChooseMode(text);
  const int count_bits = CountBits(mode, version);
  if (text.size() >= (std::size_t{1} << count_bits)) {
    return Error(Domain::kApp, Code::kInvalidArgument, "text too long for this QR version");
  }
  BitWriter bits;
  bits.Put(mode == Mode::kNumeric ? 1U : mode == Mode::kAlphanumeric ? 2U : 4U, 4);
  bits.Put(static_cast<std::uint32_t>(text.size()), count_bits);
  if (mode == Mode::kNumeric) {
    for (std::size_t i = 0; i < text.size(); i += 3) {
      const std::size_t n = std::min<std::size_t>(3, text.size() - i);
      std::uint32_t value = 0;
      for (std::size_t j = 0; j < n; ++j) value = value * 10 + static_cast<std::uint32_t>(text[i + j] - '0');
      bits.Put(value, static_cast<int>(n * 3 + 1));
    }
  } else if (mode == Mode::kAlphanumeric) {
    for (std::size_t i = 0; i < text.size(); i += 2) {
      const auto first = static_cast<std::uint32_t>(kAlphanumericChars.find(text[i]));
      if (i + 1 < text.size()) {
        bits.Put(first * 45 + static_cast<std::uint32_t>(kAlphanumericChars.find(text[i + 1])), 11);
      } else {
        bits.Put(first, 6);
      }
    }
  } else {
    for (char c : text) bits.Put(static_cast<unsigned char>(c), 8);
  }
  if (bits.size() > capacity) {
    return Error(Domain::kApp, Code::kInvalidArgument, "text too long for this QR version");
  }
  bits.Put(0, static_cast<int>(std::min<std::size_t>(4, capacity - bits.size())));  // terminator
  bits.Put(0, static_cast<int>((8 - bits.size() % 8) % 8));
  std::vector<std::uint8_t> out = bits.Bytes();
  for (std::uint8_t pad = 0xEC; out.size() < static_cast<std::size_t>(layout.data_codewords); pad ^= 0xEC ^ 0x11) {
    out.push_back(pad);
  }
  return out;
}

std::vector<std::uint8_t> InterleaveCodewords(const std::vector<std::uint8_t>& data, const BlockLayout& layout) {
  const int short_length = layout.total_codewords / layout.blocks;
  const int short_blocks = layout.blocks - layout.total_codewords % layout.blocks;
  const int short_data = short_length - layout.ecc_per_block;
  std::vector<std::vector<std::uint8_t>> data_blocks;
  std::vector<std::vector<std::uint8_t>> ecc_blocks;
  std::size_t at = 0;
  for (int b = 0; b < layout.blocks; ++b) {
    const auto n = static_cast<std::size_t>(short_data + (b < short_blocks ? 0 : 1));
    data_blocks.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(at),
                             data.begin() + static_cast<std::ptrdiff_t>(at + n));
    ecc_blocks.push_back(ReedSolomonRemainder(data_blocks.back(), layout.ecc_per_block));
    at += n;
  }
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i <= static_cast<std::size_t>(short_data); ++i) {
    for (const auto& block : data_blocks) {
      if (i < block.size()) out.push_back(block[i]);
    }
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(layout.ecc_per_block); ++i) {
    for (const auto& block : ecc_blocks) out.push_back(block[i]);
  }
  return out;
}

Result<Symbol> Encode(std::string_view text, Ecc ecc) {
  for (int version = kMinVersion; version <= kMaxVersion; ++version) {
    auto data = DataCodewords(text, version, ecc);
    if (!data.ok()) continue;
    PARLEY_ASSIGN_OR_RETURN(BlockLayout layout, Layout(version, ecc));
    return BuildSymbol(version, ecc, InterleaveCodewords(*data, layout));
  }
  return Error(Domain::kApp, Code::kInvalidArgument, "text too long for a QR code of version 13");
}

}  // namespace parley::cli::qr
