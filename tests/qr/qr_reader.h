// Reads back a QR code as `parley` draws it in a terminal: the half-block text is turned into
// modules again, the modules into a picture, and ZXing-C++ (libzxing-dev) decodes the picture.
// For tests: a failure returns a message naming what did not read.
#pragma once

#include <ZXing/ReadBarcode.h>

#include <cstdint>
#include <string>
#include <vector>

namespace parley::qr_test {

inline constexpr const char* kRowStart = "\x1b[30;107m";
inline constexpr const char* kRowEnd = "\x1b[0m";

// The modules of a half-block rendering, quiet zone included (row-major, true = dark).
struct Modules {
  int width = 0;
  int height = 0;
  std::vector<bool> dark;
};

// Parses the rendering line by line; "" on success, else what is malformed.
inline std::string ParseRendering(const std::string& text, Modules* out) {
  const std::string start = kRowStart;
  const std::string end = kRowEnd;
  *out = Modules{};
  std::vector<std::vector<bool>> rows;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) return "the last line has no newline";
    const std::string line = text.substr(at, nl - at);
    at = nl + 1;
    if (line.rfind(start, 0) != 0) return "a line does not start by setting the colours";
    if (line.size() < start.size() + end.size() || line.substr(line.size() - end.size()) != end) {
      return "a line does not end by resetting the colours";
    }
    const std::string cells = line.substr(start.size(), line.size() - start.size() - end.size());
    std::vector<bool> top, bottom;
    for (std::size_t i = 0; i < cells.size();) {
      if (cells[i] == ' ') {
        top.push_back(false);
        bottom.push_back(false);
        ++i;
        continue;
      }
      const std::string glyph = cells.substr(i, 3);
      if (glyph != "\u2588" && glyph != "\u2580" && glyph != "\u2584")
        return "a cell is not a half block";
      top.push_back(glyph != "\u2584");
      bottom.push_back(glyph != "\u2580");
      i += 3;
    }
    if (!rows.empty() && top.size() != rows.front().size()) return "lines of different widths";
    rows.push_back(std::move(top));
    rows.push_back(std::move(bottom));
  }
  if (rows.empty()) return "no lines";
  out->width = static_cast<int>(rows.front().size());
  out->height = static_cast<int>(rows.size());
  for (const auto& row : rows) out->dark.insert(out->dark.end(), row.begin(), row.end());
  return "";
}

// Decodes the rendering with ZXing; the bytes it holds, or "" with `error` set.
inline std::string DecodeRendering(const std::string& text, std::string* error) {
  Modules m;
  if (std::string bad = ParseRendering(text, &m); !bad.empty()) {
    *error = bad;
    return "";
  }
  // A picture of 4 x 4 pixels per module, dark 0 on light 255.
  constexpr int kScale = 4;
  const int w = m.width * kScale;
  const int h = m.height * kScale;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), 255);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      if (m.dark[static_cast<std::size_t>((y / kScale) * m.width + x / kScale)]) {
        pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
               static_cast<std::size_t>(x)] = 0;
      }
    }
  }
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  const ZXing::Result result =
      ZXing::ReadBarcode(ZXing::ImageView(pixels.data(), w, h, ZXing::ImageFormat::Lum), hints);
  if (!result.isValid()) {
    *error = "ZXing found no readable QR code";
    return "";
  }
  const auto& bytes = result.bytes();
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace parley::qr_test
