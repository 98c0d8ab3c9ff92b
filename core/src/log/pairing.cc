#include "log/pairing.h"

#include "parley/core/checked_code.h"
#include "parley/core/enrolment.h"
#include "parley/core/store.h"

namespace parley::log {
namespace {

constexpr std::string_view kChecksumLabel = "parley/pairing/v1";
constexpr std::size_t kV1Fixed = 1 + crypto::kSignPublicKeySize + crypto::kDhSize;
constexpr std::size_t kV2Fixed =
    kV1Fixed + crypto::kDhSize + crypto::kSignatureSize + store::kEnrolSecretSize;

Status Bad(std::string msg) {
  return Error(Domain::kLog, Code::kInvalidArgument, "pairing code: " + std::move(msg));
}

void Append(crypto::Bytes& out, crypto::ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

}  // namespace

std::string EncodePairingCode(const PairingInfo& info) {
  crypto::Bytes payload;
  payload.push_back(kPairingVersion);
  Append(payload, info.identity);
  Append(payload, info.kx);
  Append(payload, info.seal);
  Append(payload, info.seal_cert);
  Append(payload, info.secret);
  std::string_view name(info.name);
  if (name.size() > kMaxDeviceNameSize) name = name.substr(0, kMaxDeviceNameSize);
  payload.insert(payload.end(), name.begin(), name.end());
  std::string code = EncodeCheckedCode(kPairingPrefix, kChecksumLabel, payload);
  std::fill(payload.begin(), payload.end(), std::uint8_t{0});
  return code;
}

Result<PairingInfo> DecodePairingCode(std::string_view code) {
  PARLEY_ASSIGN_OR_RETURN(
      crypto::Bytes payload,
      DecodeCheckedCode(code, kPairingPrefix, kChecksumLabel, "pairing code", Domain::kLog));
  if (payload.empty()) return Bad("wrong length (incomplete or mistyped?)");
  const std::uint8_t version = payload[0];
  if (version != 1 && version != 2) return Bad("unsupported version " + std::to_string(version));
  const std::size_t fixed = version == 1 ? kV1Fixed : kV2Fixed;
  if (payload.size() < fixed || payload.size() > fixed + kMaxDeviceNameSize) {
    std::fill(payload.begin(), payload.end(), std::uint8_t{0});
    return Bad("wrong length (incomplete or mistyped?)");
  }
  PairingInfo info;
  info.version = version;
  const std::uint8_t* p = payload.data() + 1;
  auto take = [&p](crypto::Bytes& out, std::size_t n) {
    out.assign(p, p + n);
    p += n;
  };
  take(info.identity, crypto::kSignPublicKeySize);
  take(info.kx, crypto::kDhSize);
  if (version == 2) {
    take(info.seal, crypto::kDhSize);
    take(info.seal_cert, crypto::kSignatureSize);
    take(info.secret, store::kEnrolSecretSize);
  }
  info.name.assign(reinterpret_cast<const char*>(p), payload.size() - fixed);
  std::fill(payload.begin(), payload.end(), std::uint8_t{0});
  if (version == 2 && !VerifySealCertificate(info.identity, info.seal, info.seal_cert).ok()) {
    std::fill(info.secret.begin(), info.secret.end(), std::uint8_t{0});
    return Bad("its sealing key is not certified by its identity key (tampered?)");
  }
  return info;
}

std::string RecoveryMemberPairingCode(const recovery::RecoveryKey& key, std::string_view name) {
  PairingInfo info;
  crypto::SignKeyPair identity = key.Identity();
  info.identity = identity.public_key;
  info.kx = key.Kx().public_key;
  info.seal = key.Seal().public_key;
  info.seal_cert = MakeSealCertificate(identity, info.seal);
  const crypto::SecretBytes secret = key.EnrolSecret();
  info.secret.assign(secret.data(), secret.data() + secret.size());
  info.name = std::string(name);
  std::string code = EncodePairingCode(info);
  std::fill(info.secret.begin(), info.secret.end(), std::uint8_t{0});
  return code;
}

}  // namespace parley::log
