// The "parley-state:" code of what a device holds (bundle.h).
#include "parley/core/bundle.h"
#include "parley/core/checked_code.h"

namespace parley::bundle {
namespace {

constexpr std::string_view kStatePrefix = "parley-state:";
constexpr std::string_view kStateLabel = "parley/state/v1";
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kEntrySize = kKeySize + 8;

}  // namespace

Result<std::string> EncodeStateCode(const log::VersionVector& known) {
  crypto::Bytes payload;
  for (const auto& [author, seq] : known.entries) {
    PARLEY_ASSIGN_OR_RETURN(crypto::Bytes key, crypto::FromHex(author));
    if (key.size() != kKeySize)
      return Error(Domain::kLog, Code::kInternal, "unexpected author key size");
    payload.insert(payload.end(), key.begin(), key.end());
    for (int i = 0; i < 8; ++i) payload.push_back(static_cast<std::uint8_t>(seq >> (8 * i)));
  }
  if (payload.empty()) payload.push_back(0);  // an empty vault still gets a checkable code
  return EncodeCheckedCode(kStatePrefix, kStateLabel, payload);
}

Result<log::VersionVector> DecodeStateCode(std::string_view code) {
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes payload, DecodeCheckedCode(code, kStatePrefix, kStateLabel,
                                                                   "state code", Domain::kLog));
  log::VersionVector known;
  if (payload.size() == 1 && payload[0] == 0) return known;
  if (payload.size() % kEntrySize != 0) {
    return Error(Domain::kLog, Code::kInvalidArgument, "state code: wrong length (cut off?)");
  }
  for (std::size_t at = 0; at < payload.size(); at += kEntrySize) {
    std::uint64_t seq = 0;
    for (std::size_t i = 0; i < 8; ++i)
      seq |= static_cast<std::uint64_t>(payload[at + kKeySize + i]) << (8 * i);
    known.entries.emplace_back(crypto::ToHex(crypto::ByteView(payload.data() + at, kKeySize)), seq);
  }
  return known;
}

}  // namespace parley::bundle
