#include "log/pairing.h"

#include <algorithm>
#include <cstring>

namespace parley::log {
namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t kChecksumSize = 5;
constexpr std::uint8_t kVersion = 1;

Status Bad(std::string msg) { return Error(Domain::kLog, Code::kInvalidArgument, "pairing code: " + std::move(msg)); }

crypto::Hash Checksum(crypto::ByteView payload) {
  crypto::Hasher h;
  h.Update(std::string_view("parley/pairing/v1")).Update(payload);
  return h.Final256();
}

}  // namespace

std::string Base32Encode(crypto::ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (5 - bits)) & 31];
  return out;
}

Result<crypto::Bytes> Base32Decode(std::string_view text) {
  crypto::Bytes out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == ' ' || ch == '-' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    int v = -1;
    if (c >= 'a' && c <= 'z') v = c - 'a';
    if (c >= '2' && c <= '7') v = c - '2' + 26;
    if (v < 0) return Bad("unexpected character '" + std::string(1, ch) + "'");
    acc = (acc << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(acc >> (bits - 8)));
      bits -= 8;
    }
  }
  // Canonical encodings only: leftover bits must be padding (fewer than 5, all zero), so a
  // typo in the last character is not silently ignored.
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return Bad("wrong length or last character (mistyped?)");
  return out;
}

std::string EncodePairingCode(const PairingInfo& info) {
  crypto::Bytes payload;
  payload.push_back(kVersion);
  payload.insert(payload.end(), info.identity.begin(), info.identity.end());
  payload.insert(payload.end(), info.kx.begin(), info.kx.end());
  std::string_view name(info.name);
  if (name.size() > kMaxDeviceNameSize) name = name.substr(0, kMaxDeviceNameSize);
  payload.insert(payload.end(), name.begin(), name.end());
  crypto::Hash sum = Checksum(payload);
  payload.insert(payload.end(), sum.begin(), sum.begin() + kChecksumSize);
  return std::string(kPairingPrefix) + Base32Encode(payload);
}

Result<PairingInfo> DecodePairingCode(std::string_view code) {
  while (!code.empty() && (code.front() == ' ' || code.front() == '\n')) code.remove_prefix(1);
  if (code.size() < kPairingPrefix.size() ||
      !std::equal(kPairingPrefix.begin(), kPairingPrefix.end(), code.begin(),
                  [](char a, char b) { return a == ((b >= 'A' && b <= 'Z') ? b - 'A' + 'a' : b); })) {
    return Bad("it does not start with \"parley-device:\"");
  }
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes raw, Base32Decode(code.substr(kPairingPrefix.size())));
  const std::size_t fixed = 1 + crypto::kSignPublicKeySize + crypto::kDhSize;
  if (raw.size() < fixed + kChecksumSize || raw.size() > fixed + kMaxDeviceNameSize + kChecksumSize) {
    return Bad("wrong length (incomplete or mistyped?)");
  }
  crypto::ByteView payload(raw.data(), raw.size() - kChecksumSize);
  crypto::Hash sum = Checksum(payload);
  if (!crypto::ConstantTimeEqual(crypto::ByteView(sum.data(), kChecksumSize),
                                 crypto::ByteView(raw.data() + payload.size(), kChecksumSize))) {
    return Bad("the checksum does not match (mistyped?)");
  }
  if (raw[0] != kVersion) return Bad("unsupported version " + std::to_string(raw[0]));
  PairingInfo info;
  const std::uint8_t* p = raw.data() + 1;
  info.identity.assign(p, p + crypto::kSignPublicKeySize);
  p += crypto::kSignPublicKeySize;
  info.kx.assign(p, p + crypto::kDhSize);
  p += crypto::kDhSize;
  info.name.assign(reinterpret_cast<const char*>(p), payload.size() - fixed);
  return info;
}

}  // namespace parley::log
