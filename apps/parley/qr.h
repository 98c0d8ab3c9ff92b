// QR Code symbols (ISO/IEC 18004) for showing pairing codes in a terminal.
//
// Encodes one segment (numeric, alphanumeric or byte mode, whichever is the most compact for
// the whole text) into a symbol of version 1 to 13 at error correction level L or M, with
// Reed-Solomon codewords over GF(256), block interleaving, finder, timing and alignment
// patterns, format and version information, and the mask with the lowest penalty score.
// Pairing codes are case-insensitive, so callers upper-case them to get the compact
// alphanumeric mode.
//
// Everything here is a pure function of its inputs (except TerminalColumns) and may be called
// from any thread. Errors are Status values with Domain::kApp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parley/platform/status.h"

namespace parley::cli::qr {

enum class Ecc { kLow, kMedium };  // recovers about 7% / 15% of the codewords

inline constexpr int kMinVersion = 1;
inline constexpr int kMaxVersion = 13;
inline constexpr int kQuietZone = 4;  // light modules around the symbol

// How a version's codewords are split into Reed-Solomon blocks.
struct BlockLayout {
  int blocks = 0;
  int ecc_per_block = 0;
  int total_codewords = 0;  // data + error correction, all blocks
  int data_codewords = 0;
};

// kInvalidArgument for a version outside [kMinVersion, kMaxVersion].
Result<BlockLayout> Layout(int version, Ecc ecc);

// The `degree` error correction codewords for `data` (generator polynomial with roots
// alpha^0 .. alpha^(degree-1), field polynomial x^8+x^4+x^3+x^2+1).
std::vector<std::uint8_t> ReedSolomonRemainder(const std::vector<std::uint8_t>& data, int degree);

// The 15 format bits (BCH(15,5), masked with 101010000010010), most significant bit first as
// bit 14. mask must be 0..7.
std::uint16_t FormatBits(Ecc ecc, int mask);

// The 18 version information bits (BCH(18,6)) for versions 7 and up.
std::uint32_t VersionBits(int version);

// The data codewords (mode, character count, payload, terminator, padding) for `text` in
// `version`. kInvalidArgument when the text does not fit.
Result<std::vector<std::uint8_t>> DataCodewords(std::string_view text, int version, Ecc ecc);

// Splits data codewords into blocks, appends each block's error correction and interleaves.
std::vector<std::uint8_t> InterleaveCodewords(const std::vector<std::uint8_t>& data, const BlockLayout& layout);

struct Symbol {
  int version = 0;
  Ecc ecc = Ecc::kMedium;
  int mask = 0;
  int size = 0;                          // modules per side: 17 + 4 * version
  std::vector<std::uint8_t> modules;     // size * size, row-major, 1 = dark
  std::vector<std::uint8_t> codewords;   // the interleaved codewords placed in the symbol

  bool Dark(int x, int y) const { return modules[static_cast<std::size_t>(y * size + x)] != 0; }
};

// Places `codewords` (from InterleaveCodewords) in a symbol. mask -1 picks the mask with the
// lowest penalty; 0..7 forces one.
Symbol BuildSymbol(int version, Ecc ecc, const std::vector<std::uint8_t>& codewords, int mask = -1);

// The penalty score of a finished symbol (the four rules of ISO/IEC 18004 section 8.8.2).
int Penalty(const Symbol& symbol);

// The smallest symbol holding `text` at level `ecc`. kInvalidArgument when it needs more than
// version kMaxVersion.
Result<Symbol> Encode(std::string_view text, Ecc ecc);

// Terminal rendering: two modules per character cell with Unicode half blocks, a quiet zone
// of kQuietZone modules, black on white set explicitly with ANSI colours so the symbol is dark
// on light whatever the terminal's theme. Every line ends by resetting the colours.
std::string RenderHalfBlocks(const Symbol& symbol);

// Character cells per line of RenderHalfBlocks.
int RenderedWidth(const Symbol& symbol);

// The width in columns of the terminal on `fd`, or 0 when `fd` is not a terminal or its width
// is unknown.
int TerminalColumns(int fd);

}  // namespace parley::cli::qr
