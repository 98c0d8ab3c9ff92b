#include "parley/sync/relay_pairing.h"

#include <algorithm>
#include <cctype>

namespace parley::wire {
namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kChecksumLabel = "parley/relay-pairing/v1";
constexpr std::size_t kChecksumSize = 5;
constexpr std::uint8_t kVersion = 1;

Status Bad(std::string msg) { return Error(Domain::kSync, Code::kInvalidArgument, "relay pairing code: " + msg); }

crypto::Bytes Checksum(crypto::ByteView payload) {
  crypto::Hasher h;
  h.Update(kChecksumLabel).Update(payload);
  crypto::Hash d = h.Final256();
  return crypto::Bytes(d.begin(), d.begin() + kChecksumSize);
}

std::string Encode32(crypto::ByteView data) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

Result<crypto::Bytes> Decode32(std::string_view text) {
  crypto::Bytes out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '\n' || c == '\r' || c == '\t') continue;
    int v;
    if (c >= 'a' && c <= 'z') {
      v = c - 'a';
    } else if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return Bad("unexpected character");
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace

std::string EncodeRelayPairingCode(const RelayPairing& p) {
  crypto::Bytes payload{kVersion};
  payload.insert(payload.end(), p.public_key.begin(), p.public_key.end());
  const std::size_t n = std::min(p.address.size(), kMaxRelayAddressSize);
  payload.insert(payload.end(), p.address.begin(), p.address.begin() + static_cast<std::ptrdiff_t>(n));
  crypto::Bytes sum = Checksum(payload);
  payload.insert(payload.end(), sum.begin(), sum.end());
  return std::string(kRelayPairingPrefix) + Encode32(payload);
}

Result<RelayPairing> DecodeRelayPairingCode(std::string_view code) {
  while (!code.empty() && (code.front() == ' ' || code.front() == '\n')) code.remove_prefix(1);
  if (code.size() < kRelayPairingPrefix.size()) return Bad("it must start with parley-relay:");
  for (std::size_t i = 0; i < kRelayPairingPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(code[i])) != kRelayPairingPrefix[i]) {
      return Bad("it must start with parley-relay:");
    }
  }
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes raw, Decode32(code.substr(kRelayPairingPrefix.size())));
  if (raw.size() < 1 + crypto::kDhSize + kChecksumSize) return Bad("too short (cut off?)");
  if (raw.size() > 1 + crypto::kDhSize + kMaxRelayAddressSize + kChecksumSize) return Bad("too long");
  crypto::ByteView payload(raw.data(), raw.size() - kChecksumSize);
  crypto::Bytes sum = Checksum(payload);
  if (!crypto::ConstantTimeEqual(sum, crypto::ByteView(raw.data() + payload.size(), kChecksumSize))) {
    return Bad("the checksum does not match (mistyped?)");
  }
  if (raw[0] != kVersion) return Bad("unknown version");
  RelayPairing p;
  p.public_key.assign(raw.begin() + 1, raw.begin() + 1 + crypto::kDhSize);
  p.address.assign(raw.begin() + 1 + crypto::kDhSize, raw.end() - kChecksumSize);
  return p;
}

}  // namespace parley::wire
