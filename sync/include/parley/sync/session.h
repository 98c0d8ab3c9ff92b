// A Noise session of the sync wire: the XK handshake (prologue "parley/1") and then one
// encrypted pb::Frame per transport message (docs/wire-protocol.md).
//
// NoiseSession does no I/O: it turns handshake and transport messages (without their
// length prefix) into bytes and back, so the same code serves the blocking client helpers
// below and the relay's asynchronous connections. The device is the initiator and must
// know the relay's static key in advance (pinned from its pairing code); the relay is the
// responder and learns the device's X25519 static key in the third handshake message.
//
// Failures: Code::kCorrupt when a message fails to authenticate or parse — the connection
// must then be closed, and the session is dead (every later call fails the same way);
// Code::kInvalidArgument when called out of turn.
// Ownership: the session owns copies of its keys and zeroes them when destroyed.
// Thread safety: one thread at a time per session.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "parley/core/crypto.h"
#include "parley/sync/frame_codec.h"

namespace parley::wire {

inline constexpr std::string_view kPrologue = "parley/1";

class NoiseSession {
 public:
  // The device's side: `local` is its X25519 static key pair (certified by its identity key),
  // `relay_public` the relay's pinned static key (32 bytes).
  static Result<NoiseSession> Initiator(const crypto::DhKeyPair& local, ByteView relay_public);
  // The relay's side, with its static key pair.
  static Result<NoiseSession> Responder(const crypto::DhKeyPair& local);

  NoiseSession(NoiseSession&&) noexcept;
  NoiseSession& operator=(NoiseSession&&) noexcept;
  ~NoiseSession();

  bool handshake_done() const;
  // True when this side must write the next handshake message.
  bool my_turn() const;
  // The next handshake message (empty payload).
  Result<Bytes> WriteHandshake();
  // Consumes the peer's handshake message. A non-empty payload is ignored (reserved).
  Status ReadHandshake(ByteView message);

  // Valid once handshake_done(): the 64-byte handshake hash (signed for authentication) and
  // the peer's X25519 static key.
  const Bytes& handshake_hash() const;
  const Bytes& remote_static() const;

  // Serializes and encrypts one frame into a transport message (no prefix).
  // Code::kInvalidArgument when the frame is too large for one message.
  Result<Bytes> Seal(const pb::Frame& frame);
  // Decrypts and parses one transport message. Code::kCorrupt when it does not decrypt
  // (close the connection); Code::kInvalidArgument ("not a frame") when it decrypts but
  // does not parse.
  Result<pb::Frame> Open(ByteView message);

  struct State;

 private:
  explicit NoiseSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// A blocking byte stream (a socket, a pipe, an in-memory pair in tests).
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads exactly out.size() bytes. Code::kUnavailable on end of stream or error.
  virtual Status ReadExact(std::span<std::uint8_t> out) = 0;
  virtual Status WriteAll(ByteView data) = 0;
};

// Blocking helpers over a ByteStream, for clients and tests.
// Runs the whole handshake on `stream`.
Status RunHandshake(NoiseSession& session, ByteStream& stream);
// Reads one length-prefixed message (refusing zero or over `cap` before allocating).
Result<Bytes> ReadMessage(ByteStream& stream, std::size_t cap = kMaxWireMessage);
Status WriteMessage(ByteStream& stream, ByteView message);
Status SendFrame(NoiseSession& session, ByteStream& stream, const pb::Frame& frame);
Result<pb::Frame> ReceiveFrame(NoiseSession& session, ByteStream& stream);

}  // namespace parley::wire
