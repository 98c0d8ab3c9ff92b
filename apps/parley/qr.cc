// QR Code symbols from libqrencode.
#include "qr.h"

#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace parley::cli::qr {

Result<Symbol> Encode(std::string_view text, Ecc ecc) {
  if (text.empty())
    return Error(Domain::kApp, Code::kInvalidArgument, "no text to put in a QR code");
  const QRecLevel level = ecc == Ecc::kLow ? QR_ECLEVEL_L : QR_ECLEVEL_M;
  errno = 0;
  // QRcode_encodeString splits the text into the most compact modes but stops at a NUL;
  // QRcode_encodeData takes any bytes (in byte mode).
  const std::string copy(text);
  QRcode* made =
      copy.find('\0') == std::string::npos
          ? QRcode_encodeString(copy.c_str(), 0, level, QR_MODE_8, /*casesensitive=*/1)
          : QRcode_encodeData(static_cast<int>(copy.size()),
                              reinterpret_cast<const unsigned char*>(copy.data()), 0, level);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(made, &QRcode_free);
  if (code == nullptr) {
    if (errno == ERANGE || errno == EINVAL) {
      return Error(
          Domain::kApp, Code::kInvalidArgument,
          "the text (" + std::to_string(text.size()) + " bytes) is too long for a QR code");
    }
    return Error(Domain::kApp, Code::kInternal, "libqrencode could not make the QR code");
  }
  Symbol symbol;
  symbol.version = code->version;
  symbol.size = code->width;
  const std::size_t n =
      static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  symbol.modules.resize(n);
  for (std::size_t i = 0; i < n; ++i) symbol.modules[i] = code->data[i] & 1;  // bit 0: dark
  return symbol;
}

}  // namespace parley::cli::qr
