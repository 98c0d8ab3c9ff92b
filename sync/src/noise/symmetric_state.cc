#include "noise/symmetric_state.h"

#include <sodium.h>

#include <cstring>

namespace parley::noise {
namespace {
constexpr std::size_t kBlockLen = 128;
constexpr std::size_t kKeyLen = 32;
}  // namespace

Digest Hash(ByteView a, ByteView b) {
  crypto::Hasher hasher(kHashLen);
  hasher.Update(a).Update(b);
  Digest d{};
  hasher.Final(d);
  return d;
}

Digest Hmac(ByteView key, ByteView a, ByteView b) {
  // HMAC over BLAKE2b as the Noise spec requires (not BLAKE2b's own keyed mode).
  std::array<std::uint8_t, kBlockLen> ipad{};
  std::array<std::uint8_t, kBlockLen> opad{};
  Digest short_key{};
  ByteView k = key;
  if (k.size() > kBlockLen) {
    short_key = Hash(key);
    k = short_key;
  }
  for (std::size_t i = 0; i < kBlockLen; ++i) {
    std::uint8_t kb = i < k.size() ? k[i] : 0;
    ipad[i] = static_cast<std::uint8_t>(kb ^ 0x36);
    opad[i] = static_cast<std::uint8_t>(kb ^ 0x5c);
  }
  crypto::Hasher inner(kHashLen);
  inner.Update(ipad).Update(a).Update(b);
  Digest inner_digest{};
  inner.Final(inner_digest);
  crypto::Hasher outer(kHashLen);
  outer.Update(opad).Update(inner_digest);
  Digest out{};
  outer.Final(out);
  sodium_memzero(ipad.data(), ipad.size());
  sodium_memzero(opad.data(), opad.size());
  sodium_memzero(inner_digest.data(), inner_digest.size());
  return out;
}

void Hkdf2(ByteView chaining_key, ByteView ikm, Digest& out1, Digest& out2) {
  Digest temp = Hmac(chaining_key, ikm);
  const std::uint8_t one = 0x01;
  const std::uint8_t two = 0x02;
  out1 = Hmac(temp, ByteView(&one, 1));
  out2 = Hmac(temp, out1, ByteView(&two, 1));
  sodium_memzero(temp.data(), temp.size());
}

SymmetricState::SymmetricState(std::string_view protocol_name) {
  if (protocol_name.size() <= kHashLen) {
    std::memcpy(h_.data(), protocol_name.data(), protocol_name.size());
  } else {
    h_ = Hash(crypto::AsBytes(protocol_name));
  }
  ck_ = h_;
}

void SymmetricState::MixKey(ByteView ikm) {
  Digest temp_k{};
  Hkdf2(ck_, ikm, ck_, temp_k);
  cipher_ = CipherState(ByteView(temp_k.data(), kKeyLen));
  sodium_memzero(temp_k.data(), temp_k.size());
}

void SymmetricState::MixHash(ByteView data) { h_ = Hash(h_, data); }

Result<Bytes> SymmetricState::EncryptAndHash(ByteView plaintext) {
  PARLEY_ASSIGN_OR_RETURN(Bytes ct, cipher_.Encrypt(h_, plaintext));
  MixHash(ct);
  return ct;
}

Result<Bytes> SymmetricState::DecryptAndHash(ByteView ciphertext) {
  PARLEY_ASSIGN_OR_RETURN(Bytes pt, cipher_.Decrypt(h_, ciphertext));
  MixHash(ciphertext);
  return pt;
}

std::pair<CipherState, CipherState> SymmetricState::Split() {
  Digest k1{};
  Digest k2{};
  Hkdf2(ck_, {}, k1, k2);
  std::pair<CipherState, CipherState> out{CipherState(ByteView(k1.data(), kKeyLen)),
                                          CipherState(ByteView(k2.data(), kKeyLen))};
  sodium_memzero(k1.data(), k1.size());
  sodium_memzero(k2.data(), k2.size());
  sodium_memzero(ck_.data(), ck_.size());
  return out;
}

// ---- CipherState ----

namespace {
std::array<std::uint8_t, crypto::kChaChaNonceSize> NonceBytes(std::uint64_t n) {
  std::array<std::uint8_t, crypto::kChaChaNonceSize> nonce{};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  return nonce;
}
}  // namespace

Result<Bytes> CipherState::Encrypt(ByteView ad, ByteView plaintext) {
  if (!has_key()) return Bytes(plaintext.begin(), plaintext.end());
  if (n_ == UINT64_MAX)
    return Status(Domain::kSync, Code::kInvalidArgument, "Noise nonce exhausted");
  Bytes ct = crypto::ChaChaSeal(key_.view(), NonceBytes(n_), plaintext, ad);
  ++n_;
  return ct;
}

Result<Bytes> CipherState::Decrypt(ByteView ad, ByteView ciphertext) {
  if (!has_key()) return Bytes(ciphertext.begin(), ciphertext.end());
  if (n_ == UINT64_MAX)
    return Status(Domain::kSync, Code::kInvalidArgument, "Noise nonce exhausted");
  auto pt = crypto::ChaChaOpen(key_.view(), NonceBytes(n_), ciphertext, ad);
  if (!pt.ok()) return Status(Domain::kSync, Code::kCorrupt, "Noise message failed to decrypt");
  ++n_;
  return pt;
}

}  // namespace parley::noise
