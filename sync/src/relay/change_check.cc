#include "relay/change_check.h"

namespace parley::relay {
namespace {

constexpr std::string_view kIdLabel = "parley/change-id/v1";
constexpr std::string_view kSignLabel = "parley/change/v1";
constexpr std::size_t kMaxHeaderSize = 512;

CheckResult Refuse(pb::Refusal r, std::string reason) {
  CheckResult out;
  out.refusal = r;
  out.reason = std::move(reason);
  return out;
}

crypto::ByteView View(const std::string& s) { return crypto::AsBytes(s); }

}  // namespace

CheckResult CheckPushedChange(const pb::Change& change, crypto::ByteView vault, std::size_t max_size) {
  if (change.ByteSizeLong() > max_size) return Refuse(pb::REFUSAL_TOO_LARGE, "the change is too large");
  if (change.header().size() > kMaxHeaderSize) return Refuse(pb::REFUSAL_MALFORMED, "the header is too large");
  pb::ChangeHeader h;
  if (!h.ParseFromString(change.header())) return Refuse(pb::REFUSAL_MALFORMED, "the header does not parse");
  if (h.vault().size() != 32) return Refuse(pb::REFUSAL_MALFORMED, "the vault id has the wrong size");
  if (!crypto::ConstantTimeEqual(View(h.vault()), vault)) {
    return Refuse(pb::REFUSAL_WRONG_VAULT, "the change belongs to another vault");
  }
  if (h.author().size() != crypto::kSignPublicKeySize) return Refuse(pb::REFUSAL_MALFORMED, "bad author key size");
  if (h.seq() == 0) return Refuse(pb::REFUSAL_MALFORMED, "the sequence number is zero");
  if (h.seq() == 1 ? !h.prev().empty() : h.prev().size() != 32) {
    return Refuse(pb::REFUSAL_MALFORMED, "the link to the previous change is malformed");
  }
  if (h.nonce().size() != crypto::kXNonceSize) return Refuse(pb::REFUSAL_MALFORMED, "the nonce has the wrong size");
  if (h.body_size() != change.body().size() || change.body().size() < crypto::kAeadTagSize) {
    return Refuse(pb::REFUSAL_MALFORMED, "the body size does not match the header");
  }
  if (change.signature().size() != crypto::kSignatureSize) {
    return Refuse(pb::REFUSAL_BAD_SIGNATURE, "the signature has the wrong size");
  }
  crypto::Hasher hasher;
  hasher.Update(kIdLabel).UpdateU64(change.header().size()).Update(change.header()).Update(change.body());
  const crypto::Hash id = hasher.Final256();
  crypto::Bytes msg(kSignLabel.begin(), kSignLabel.end());
  msg.insert(msg.end(), id.begin(), id.end());
  if (!crypto::Verify(View(h.author()), msg, View(change.signature())).ok()) {
    return Refuse(pb::REFUSAL_BAD_SIGNATURE, "the signature does not verify");
  }
  CheckResult out;
  out.change.vault.assign(vault.begin(), vault.end());
  out.change.id.assign(id.begin(), id.end());
  out.change.author.assign(h.author().begin(), h.author().end());
  out.change.author_seq = h.seq();
  out.change.prev.assign(h.prev().begin(), h.prev().end());
  change.SerializeToString(&out.change.data);
  return out;
}

}  // namespace parley::relay
