// QR Code terminal rendering with Unicode half blocks.
#include <sys/ioctl.h>
#include <unistd.h>

#include "qr.h"

namespace parley::cli::qr {

int RenderedWidth(const Symbol& symbol) { return symbol.size + 2 * kQuietZone; }

std::string RenderHalfBlocks(const Symbol& symbol) {
  const int side = RenderedWidth(symbol);
  auto dark = [&symbol](int x, int y) {
    x -= kQuietZone;
    y -= kQuietZone;
    return x >= 0 && y >= 0 && x < symbol.size && y < symbol.size && symbol.Dark(x, y);
  };
  std::string out;
  for (int y = 0; y < side; y += 2) {
    out += "\x1b[30;107m";  // black modules on a bright white background
    for (int x = 0; x < side; ++x) {
      const bool top = dark(x, y);
      const bool bottom = y + 1 < side && dark(x, y + 1);
      if (top && bottom) {
        out += "\u2588";  // full block
      } else if (top) {
        out += "\u2580";  // upper half block
      } else if (bottom) {
        out += "\u2584";  // lower half block
      } else {
        out += ' ';
      }
    }
    out += "\x1b[0m\n";
  }
  return out;
}

int TerminalColumns(int fd) {
  if (::isatty(fd) == 0) return 0;
  struct winsize size {};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

}  // namespace parley::cli::qr
