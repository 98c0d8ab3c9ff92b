// The Noise Protocol Framework (revision 34) for Parley's wire: DH 25519, cipher
// ChaChaPoly, hash BLAKE2b. Parley's own connections use pattern XK with prologue
// "parley/1" (docs/wire-protocol.md); the other patterns exist so the implementation can be
// checked against every published vector it can express.
//
// Ownership: a HandshakeState owns copies of every key given to it and zeroes them when
// destroyed. Split() moves the transport keys out; the HandshakeState is finished after it.
// Failures: Code::kCorrupt when a message fails to decrypt or is malformed (the connection
// must then be closed); Code::kInvalidArgument when called out of turn or misconfigured.
// Thread safety: one thread at a time per object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "parley/core/crypto.h"

namespace parley::noise {

using crypto::Bytes;
using crypto::ByteView;

inline constexpr std::size_t kHashLen = 64;           // BLAKE2b
inline constexpr std::size_t kMaxMessageLen = 65535;  // Noise's limit, and the wire's frame cap

enum class Pattern { kNN, kKK, kIK, kXX, kXK };

// "Noise_XK_25519_ChaChaPoly_BLAKE2b" etc. Returns nullopt for a name this code cannot run.
std::string ProtocolName(Pattern pattern);
std::optional<Pattern> ParseProtocolName(std::string_view name);

// k and n of the spec. Encrypt/Decrypt use ChaCha20-Poly1305 with the nonce 32 zero bits ||
// little-endian 64-bit n; n is incremented after every successful call.
class CipherState {
 public:
  CipherState() = default;
  explicit CipherState(ByteView key) : key_(crypto::SecretBytes::Copy(key)) {}
  bool has_key() const { return !key_.empty(); }
  std::uint64_t nonce() const { return n_; }
  // Without a key, returns the plaintext (handshake use only).
  Result<Bytes> Encrypt(ByteView ad, ByteView plaintext);
  // Code::kCorrupt on authentication failure; n is then not advanced.
  Result<Bytes> Decrypt(ByteView ad, ByteView ciphertext);

 private:
  crypto::SecretBytes key_;
  std::uint64_t n_ = 0;
};

struct HandshakeConfig {
  Pattern pattern = Pattern::kXK;
  bool initiator = true;
  Bytes prologue;
  std::optional<crypto::DhKeyPair> s;  // local static, when the pattern needs one
  std::optional<Bytes> rs;             // remote static known in advance (K and XK responder)
  std::optional<crypto::DhKeyPair> e;  // fixed ephemeral: test vectors only
};

class HandshakeState {
 public:
  static Result<HandshakeState> Create(HandshakeConfig config);

  HandshakeState(HandshakeState&&) noexcept;
  HandshakeState& operator=(HandshakeState&&) noexcept;
  ~HandshakeState();

  // True when it is this side's turn to write.
  bool my_turn() const;
  bool finished() const;
  // Produces the next handshake message carrying `payload`.
  Result<Bytes> WriteMessage(ByteView payload);
  // Consumes the peer's next handshake message; returns its payload.
  Result<Bytes> ReadMessage(ByteView message);

  // The handshake hash h (valid once finished): channel binding for authentication.
  Bytes handshake_hash() const;
  // The peer's static public key, once learned (or given).
  const std::optional<Bytes>& remote_static() const;
  // After finished(): (initiator-to-responder, responder-to-initiator) cipher states.
  std::pair<CipherState, CipherState> Split();

  struct Impl;

 private:
  explicit HandshakeState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::noise
