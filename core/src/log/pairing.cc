#include "log/pairing.h"

#include "parley/core/checked_code.h"


namespace parley::log {
namespace {

constexpr std::string_view kChecksumLabel = "parley/pairing/v1";
constexpr std::uint8_t kVersion = 1;

Status Bad(std::string msg) { return Error(Domain::kLog, Code::kInvalidArgument, "pairing code: " + std::move(msg)); }

}  // namespace

std::string EncodePairingCode(const PairingInfo& info) {
  crypto::Bytes payload;
  payload.push_back(kVersion);
  payload.insert(payload.end(), info.identity.begin(), info.identity.end());
  payload.insert(payload.end(), info.kx.begin(), info.kx.end());
  std::string_view name(info.name);
  if (name.size() > kMaxDeviceNameSize) name = name.substr(0, kMaxDeviceNameSize);
  payload.insert(payload.end(), name.begin(), name.end());
  return EncodeCheckedCode(kPairingPrefix, kChecksumLabel, payload);
}

Result<PairingInfo> DecodePairingCode(std::string_view code) {
  PARLEY_ASSIGN_OR_RETURN(crypto::Bytes payload,
                          DecodeCheckedCode(code, kPairingPrefix, kChecksumLabel, "pairing code", Domain::kLog));
  const std::size_t fixed = 1 + crypto::kSignPublicKeySize + crypto::kDhSize;
  if (payload.size() < fixed || payload.size() > fixed + kMaxDeviceNameSize) {
    return Bad("wrong length (incomplete or mistyped?)");
  }
  if (payload[0] != kVersion) return Bad("unsupported version " + std::to_string(payload[0]));
  PairingInfo info;
  const std::uint8_t* p = payload.data() + 1;
  info.identity.assign(p, p + crypto::kSignPublicKeySize);
  p += crypto::kSignPublicKeySize;
  info.kx.assign(p, p + crypto::kDhSize);
  p += crypto::kDhSize;
  info.name.assign(reinterpret_cast<const char*>(p), payload.size() - fixed);
  return info;
}

}  // namespace parley::log
