// QR Code symbols for showing pairing codes and recovery keys in a terminal.
//
// libqrencode (ISO/IEC 18004) makes the symbol: the smallest version that holds the text at
// the level asked for, its segments in whichever modes are the most compact (callers
// upper-case case-insensitive codes to get the alphanumeric mode). This file only renders it.
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

inline constexpr int kQuietZone = 4;  // light modules around the symbol

struct Symbol {
  int version = 0;                    // 1..40
  int size = 0;                       // modules per side: 17 + 4 * version
  std::vector<std::uint8_t> modules;  // size * size, row-major, 1 = dark

  bool Dark(int x, int y) const {
    return modules[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                   static_cast<std::size_t>(x)] != 0;
  }
};

// The smallest symbol holding `text` (any bytes) at level `ecc`. kInvalidArgument when the
// text is empty or does not fit in version 40.
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
