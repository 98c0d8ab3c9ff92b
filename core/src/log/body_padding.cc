#include "log/body_padding.h"

#include <sodium.h>

#include <algorithm>
#include <bit>

namespace parley::log {

std::uint64_t Padme(std::uint64_t n) {
  if (n < 4) return n;
  const int e = std::bit_width(n) - 1;                          // floor(log2 n) >= 2
  const int s = std::bit_width(static_cast<std::uint64_t>(e));  // floor(log2 e) + 1
  const std::uint64_t mask = (std::uint64_t{1} << (e - s)) - 1;
  // n < 2^64 - mask for every n this is asked about (bodies are at most 64 MiB).
  return (n + mask) & ~mask;
}

std::uint64_t PaddedBodySize(std::uint64_t body_size) {
  return std::max<std::uint64_t>(kMinPaddedBody, Padme(body_size + 1));
}

void PadBody(std::span<std::uint8_t> buf, std::size_t body_size) {
  // With the block size set to the whole padded length, sodium_pad writes 0x80 and zeros up
  // to exactly that length (the length is a multiple of itself and > body_size).
  std::size_t padded = 0;
  (void)sodium_pad(&padded, buf.data(), body_size, buf.size(), buf.size());
}

Result<std::size_t> UnpaddedBodySize(std::span<const std::uint8_t> plain) {
  std::size_t body_size = 0;
  if (plain.empty() || sodium_unpad(&body_size, plain.data(), plain.size(), plain.size()) != 0) {
    return Error(Domain::kLog, Code::kCorrupt, "change rejected: the body's padding is malformed");
  }
  if (PaddedBodySize(body_size) != plain.size()) {
    return Error(Domain::kLog, Code::kCorrupt,
                 "change rejected: the body's padding has the wrong length");
  }
  return body_size;
}

}  // namespace parley::log
