#include "parley/core/checked_code.h"

namespace parley {
namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t kChecksumSize = 5;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

Status Bad(Domain domain, std::string_view what, std::string msg) {
  return Status(domain, Code::kInvalidArgument, std::string(what) + ": " + std::move(msg));
}

crypto::Hash Checksum(std::string_view label, crypto::ByteView payload) {
  crypto::Hasher h;
  h.Update(label).Update(payload);
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

Result<crypto::Bytes> Base32Decode(std::string_view text, Domain domain) {
  crypto::Bytes out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == ' ' || ch == '-' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    char c = Lower(ch);
    int v = -1;
    if (c >= 'a' && c <= 'z') v = c - 'a';
    if (c >= '2' && c <= '7') v = c - '2' + 26;
    if (v < 0) return Bad(domain, "code", "unexpected character '" + std::string(1, ch) + "'");
    acc = (acc << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(acc >> (bits - 8)));
      bits -= 8;
    }
  }
  // Canonical encodings only: leftover bits must be padding (fewer than 5, all zero), so a
  // typo in the last character is not silently ignored.
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
    return Bad(domain, "code", "wrong length or last character (mistyped?)");
  }
  return out;
}

std::string EncodeCheckedCode(std::string_view prefix, std::string_view label,
                              crypto::ByteView payload) {
  crypto::Bytes raw(payload.begin(), payload.end());
  crypto::Hash sum = Checksum(label, payload);
  raw.insert(raw.end(), sum.begin(), sum.begin() + kChecksumSize);
  return std::string(prefix) + Base32Encode(raw);
}

Result<crypto::Bytes> DecodeCheckedCode(std::string_view code, std::string_view prefix,
                                        std::string_view label, std::string_view what,
                                        Domain domain) {
  while (!code.empty() && (code.front() == ' ' || code.front() == '\n' || code.front() == '\t')) {
    code.remove_prefix(1);
  }
  bool prefix_ok = code.size() >= prefix.size();
  for (std::size_t i = 0; prefix_ok && i < prefix.size(); ++i)
    prefix_ok = Lower(code[i]) == prefix[i];
  if (!prefix_ok)
    return Bad(domain, what, "it does not start with \"" + std::string(prefix) + "\"");
  auto raw = Base32Decode(code.substr(prefix.size()), domain);
  if (!raw.ok()) return Bad(domain, what, raw.status().message().substr(6));  // drop "code: "
  if (raw->size() < kChecksumSize + 1) return Bad(domain, what, "too short (cut off?)");
  crypto::ByteView payload(raw->data(), raw->size() - kChecksumSize);
  crypto::Hash sum = Checksum(label, payload);
  if (!crypto::ConstantTimeEqual(crypto::ByteView(sum.data(), kChecksumSize),
                                 crypto::ByteView(raw->data() + payload.size(), kChecksumSize))) {
    return Bad(domain, what, "the checksum does not match (mistyped?)");
  }
  raw->resize(payload.size());
  return raw;
}

}  // namespace parley
