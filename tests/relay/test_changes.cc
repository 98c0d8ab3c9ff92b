#include "test_changes.h"

namespace parley::testing {

crypto::Bytes ChangeIdOf(const pb::Change& change) {
  crypto::Hasher h;
  h.Update("parley/change-id/v1")
      .UpdateU64(change.header().size())
      .Update(change.header())
      .Update(change.body());
  crypto::Hash id = h.Final256();
  return crypto::Bytes(id.begin(), id.end());
}

crypto::Bytes ChangeLinkOf(const crypto::Bytes& id, const std::string& signature) {
  crypto::Hasher h;
  h.Update("parley/change-link/v1").Update(id).Update(signature);
  crypto::Hash link = h.Final256();
  return crypto::Bytes(link.begin(), link.end());
}

pb::Change MakeChange(const crypto::SignKeyPair& author, const crypto::Bytes& vault,
                      std::uint64_t seq, const crypto::Bytes& prev, std::size_t body_size) {
  crypto::Bytes body = crypto::RandomBytes(body_size + crypto::kAeadTagSize);
  crypto::Bytes nonce = crypto::RandomBytes(crypto::kXNonceSize);
  pb::ChangeHeader h;
  h.set_vault(vault.data(), vault.size());
  h.set_author(author.public_key.data(), author.public_key.size());
  h.set_seq(seq);
  if (!prev.empty()) h.set_prev(prev.data(), prev.size());
  h.set_epoch(1);
  h.set_nonce(nonce.data(), nonce.size());
  h.set_body_size(static_cast<std::uint32_t>(body.size()));
  pb::Change c;
  h.SerializeToString(c.mutable_header());
  c.set_body(body.data(), body.size());
  crypto::Bytes id = ChangeIdOf(c);
  std::string label = "parley/change/v1";
  crypto::Bytes msg(label.begin(), label.end());
  msg.insert(msg.end(), id.begin(), id.end());
  crypto::Bytes sig = crypto::Sign(author.secret_key, msg);
  c.set_signature(sig.data(), sig.size());
  return c;
}

pb::Change Chain::Next(std::size_t body_size, crypto::Bytes* id_out) {
  pb::Change c =
      MakeChange(*author, vault, seq + 1, seq == 0 ? crypto::Bytes{} : last_link, body_size);
  ++seq;
  last_id = ChangeIdOf(c);
  last_link = ChangeLinkOf(last_id, c.signature());
  if (id_out) *id_out = last_id;
  return c;
}

}  // namespace parley::testing

namespace {
// libsodium must be initialized before any test touches keys (SecretBytes uses sodium_malloc).
[[maybe_unused]] const bool kCryptoReady = parley::crypto::InitCrypto().ok();
}  // namespace
