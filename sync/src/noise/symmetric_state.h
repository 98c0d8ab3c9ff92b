// Noise's SymmetricState with BLAKE2b (HASHLEN 64, BLOCKLEN 128) and HMAC-based HKDF.
// Internal to the Noise implementation.
#pragma once

#include <array>

#include "parley/sync/noise.h"

namespace parley::noise {

using Digest = std::array<std::uint8_t, kHashLen>;

Digest Hash(ByteView a, ByteView b = {});
Digest Hmac(ByteView key, ByteView a, ByteView b = {});
// HKDF of the Noise spec with two outputs.
void Hkdf2(ByteView chaining_key, ByteView ikm, Digest& out1, Digest& out2);

class SymmetricState {
 public:
  explicit SymmetricState(std::string_view protocol_name);
  void MixKey(ByteView ikm);
  void MixHash(ByteView data);
  Result<Bytes> EncryptAndHash(ByteView plaintext);
  Result<Bytes> DecryptAndHash(ByteView ciphertext);
  std::pair<CipherState, CipherState> Split();
  const Digest& h() const { return h_; }
  bool has_key() const { return cipher_.has_key(); }

 private:
  Digest ck_{};
  Digest h_{};
  CipherState cipher_;
};

}  // namespace parley::noise
