// QR Code symbol layout: function patterns, codeword placement, masking and mask penalties.
#include <array>
#include <cstdlib>

#include "qr.h"

namespace parley::cli::qr {
namespace {

// Alignment pattern centre coordinates per version 1..13 (ISO/IEC 18004 annex E).
const std::array<std::vector<int>, 14> kAlignment = {{{},
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

bool MaskBit(int mask, int x, int y) {
  switch (mask) {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (x / 3 + y / 2) % 2 == 0;
    case 5: return x * y % 2 + x * y % 3 == 0;
    case 6: return (x * y % 2 + x * y % 3) % 2 == 0;
    default: return ((x + y) % 2 + x * y % 3) % 2 == 0;
  }
}

class Builder {
 public:
  Builder(int version, Ecc ecc) : size_(17 + 4 * version), version_(version), ecc_(ecc) {
    const auto cells = static_cast<std::size_t>(size_ * size_);
    dark_.assign(cells, 0);
    function_.assign(cells, 0);
  }

  void DrawFunctionPatterns() {
    for (int i = 0; i < size_; ++i) {
      Set(6, i, i % 2 == 0, true);
      Set(i, 6, i % 2 == 0, true);
    }
    Finder(3, 3);
    Finder(size_ - 4, 3);
    Finder(3, size_ - 4);
    const auto& centres = kAlignment[static_cast<std::size_t>(version_)];
    for (int cy : centres) {
      for (int cx : centres) {
        const bool at_finder = (cx == 6 && cy == 6) || (cx == 6 && cy == centres.back()) ||
                               (cx == centres.back() && cy == 6);
        if (at_finder) continue;
        for (int dy = -2; dy <= 2; ++dy) {
          for (int dx = -2; dx <= 2; ++dx) Set(cx + dx, cy + dy, std::max(std::abs(dx), std::abs(dy)) != 1, true);
        }
      }
    }
    DrawFormat(0);  // reserves the format areas; redrawn once the mask is chosen
    if (version_ >= 7) {
      const std::uint32_t bits = VersionBits(version_);
      for (int i = 0; i < 18; ++i) {
        const bool bit = ((bits >> i) & 1U) != 0;
        const int a = size_ - 11 + i % 3;
        const int b = i / 3;
        Set(a, b, bit, true);
        Set(b, a, bit, true);
      }
    }
  }

  void DrawFormat(int mask) {
    const std::uint16_t bits = FormatBits(ecc_, mask);
    auto bit = [bits](int i) { return ((bits >> i) & 1U) != 0; };
    for (int i = 0; i <= 5; ++i) Set(8, i, bit(i), true);
    Set(8, 7, bit(6), true);
    Set(8, 8, bit(7), true);
    Set(7, 8, bit(8), true);
    for (int i = 9; i < 15; ++i) Set(14 - i, 8, bit(i), true);
    for (int i = 0; i < 8; ++i) Set(size_ - 1 - i, 8, bit(i), true);
    for (int i = 8; i < 15; ++i) Set(8, size_ - 15 + i, bit(i), true);
    Set(8, size_ - 8, true, true);  // the dark module
  }

  // Places the codewords in the two-column zigzag from the bottom-right corner, skipping
  // function modules; leftover (remainder) modules stay light.
  void PlaceCodewords(const std::vector<std::uint8_t>& codewords) {
    std::size_t i = 0;
    const std::size_t total_bits = codewords.size() * 8;
    for (int right = size_ - 1; right >= 1; right -= 2) {
      if (right == 6) right = 5;
      for (int vert = 0; vert < size_; ++vert) {
        for (int j = 0; j < 2; ++j) {
          const int x = right - j;
          const bool upward = ((right + 1) & 2) == 0;
          const int y = upward ? size_ - 1 - vert : vert;
          if (IsFunction(x, y) || i >= total_bits) continue;
          Set(x, y, ((codewords[i / 8] >> (7 - i % 8)) & 1U) != 0, false);
          ++i;
        }
      }
    }
  }

  void ApplyMask(int mask) {
    for (int y = 0; y < size_; ++y) {
      for (int x = 0; x < size_; ++x) {
        const auto at = Index(x, y);
        if (function_[at] == 0 && MaskBit(mask, x, y)) dark_[at] ^= 1;
      }
    }
  }

  Symbol Finish(int mask, const std::vector<std::uint8_t>& codewords) const {
    Symbol symbol;
    symbol.version = version_;
    symbol.ecc = ecc_;
    symbol.mask = mask;
    symbol.size = size_;
    symbol.modules = dark_;
    symbol.codewords = codewords;
    return symbol;
  }

 private:
  std::size_t Index(int x, int y) const { return static_cast<std::size_t>(y * size_ + x); }
  bool IsFunction(int x, int y) const { return function_[Index(x, y)] != 0; }
  void Set(int x, int y, bool dark, bool function) {
    if (x < 0 || y < 0 || x >= size_ || y >= size_) return;
    dark_[Index(x, y)] = dark ? 1 : 0;
    if (function) function_[Index(x, y)] = 1;
  }
  void Finder(int cx, int cy) {
    for (int dy = -4; dy <= 4; ++dy) {
      for (int dx = -4; dx <= 4; ++dx) {
        const int d = std::max(std::abs(dx), std::abs(dy));
        Set(cx + dx, cy + dy, d != 2 && d != 4, true);
      }
    }
  }

  int size_;
  int version_;
  Ecc ecc_;
  std::vector<std::uint8_t> dark_;
  std::vector<std::uint8_t> function_;
};

// Rules 1 and 3 along one line of modules.
int LinePenalty(const std::vector<bool>& line) {
  int score = 0;
  std::size_t run = 1;
  for (std::size_t i = 1; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == line[i - 1]) {
      ++run;
      continue;
    }
    if (run >= 5) score += 3 + static_cast<int>(run - 5);
    run = 1;
  }
  // 1:1:3:1:1 finder-like pattern with four light modules on one side (outside counts as light).
  static constexpr std::array<bool, 7> kCore = {true, false, true, true, true, false, true};
  auto at = [&line](long i) {
    return i >= 0 && i < static_cast<long>(line.size()) && line[static_cast<std::size_t>(i)];
  };
  for (long start = 0; start + 7 <= static_cast<long>(line.size()); ++start) {
    bool match = true;
    for (long k = 0; k < 7 && match; ++k) match = at(start + k) == kCore[static_cast<std::size_t>(k)];
    if (!match) continue;
    bool light_before = true;
    bool light_after = true;
    for (long k = 1; k <= 4; ++k) {
      light_before = light_before && !at(start - k);
      light_after = light_after && !at(start + 6 + k);
    }
    if (light_before || light_after) score += 40;
  }
  return score;
}

}  // namespace

int Penalty(const Symbol& symbol) {
  const int n = symbol.size;
  int score = 0;
  for (int i = 0; i < n; ++i) {
    std::vector<bool> row(static_cast<std::size_t>(n));
    std::vector<bool> column(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) {
      row[static_cast<std::size_t>(j)] = symbol.Dark(j, i);
      column[static_cast<std::size_t>(j)] = symbol.Dark(i, j);
    }
    score += LinePenalty(row) + LinePenalty(column);
  }
  long dark = 0;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      dark += symbol.Dark(x, y) ? 1 : 0;
      if (x + 1 < n && y + 1 < n) {
        const bool c = symbol.Dark(x, y);
        if (c == symbol.Dark(x + 1, y) && c == symbol.Dark(x, y + 1) && c == symbol.Dark(x + 1, y + 1)) score += 3;
      }
    }
  }
  const long total = static_cast<long>(n) * n;
  const long percent_off = std::labs(dark * 100 / total - 50);  // rule 4: 10 per 5% from half
  score += static_cast<int>(10 * (percent_off / 5));
  return score;
}

Symbol BuildSymbol(int version, Ecc ecc, const std::vector<std::uint8_t>& codewords, int mask) {
  Builder base(version, ecc);
  base.DrawFunctionPatterns();
  base.PlaceCodewords(codewords);
  auto with_mask = [&](int m) {
    Builder b = base;
    b.ApplyMask(m);
    b.DrawFormat(m);
    return b.Finish(m, codewords);
  };
  if (mask >= 0 && mask <= 7) return with_mask(mask);
  Symbol best = with_mask(0);
  int best_score = Penalty(best);
  for (int m = 1; m < 8; ++m) {
    Symbol candidate = with_mask(m);
    const int score = Penalty(candidate);
    if (score < best_score) {
      best = std::move(candidate);
      best_score = score;
    }
  }
  return best;
}

}  // namespace parley::cli::qr
