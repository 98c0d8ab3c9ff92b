// Framing of the sync wire (docs/wire-protocol.md, "Framing").
//
// Every message on a connection — the three Noise handshake messages and every Noise
// transport message after them — is preceded by its length as 2 bytes, big-endian. A length
// of zero, or one above the reader's cap, is refused from the two length bytes alone, before
// any buffer for the message is allocated. After the handshake each transport message
// decrypts to exactly one serialized pb::Frame.
//
// Thread safety: the free functions are pure; a LengthDecoder belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "parley/core/crypto.h"
#include "parley/wire.pb.h"

namespace parley::wire {

using crypto::Bytes;
using crypto::ByteView;

inline constexpr std::size_t kLengthPrefixSize = 2;
// The largest message the framing can express, and Noise's own limit (ciphertext incl. tag).
inline constexpr std::size_t kMaxWireMessage = 65535;
inline constexpr std::size_t kNoiseTagSize = 16;
// The largest serialized Frame that fits one transport message.
inline constexpr std::size_t kMaxFramePlaintext = kMaxWireMessage - kNoiseTagSize;

// Writes the 2-byte big-endian prefix of a message of `size` bytes.
// REQUIRES: 1 <= size <= kMaxWireMessage.
void EncodeLength(std::size_t size, std::uint8_t out[kLengthPrefixSize]);

// The length announced by a prefix. Code::kCorrupt ("empty message") for zero and
// Code::kCorrupt ("message over the cap") for a length above `cap` (cap <= kMaxWireMessage).
Result<std::size_t> DecodeLength(const std::uint8_t prefix[kLengthPrefixSize], std::size_t cap);

// `message` preceded by its prefix. Code::kInvalidArgument when empty or over kMaxWireMessage.
Result<Bytes> Prefixed(ByteView message);

// Incremental splitter for a byte stream that arrives in arbitrary pieces (used by the
// fuzzer and by tests; the socket readers read the prefix and then exactly that many bytes).
// After an error every further call returns the same error: the stream cannot be resynced.
class LengthDecoder {
 public:
  explicit LengthDecoder(std::size_t cap = kMaxWireMessage) : cap_(cap) {}
  // Appends bytes from the stream.
  void Feed(ByteView data);
  // The next complete message, nullopt when more bytes are needed, or an error.
  Result<std::optional<Bytes>> Next();
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::size_t cap_;
  Bytes buf_;
  std::size_t pos_ = 0;
  Status error_;
};

// Serializes a frame. Code::kInvalidArgument when it exceeds kMaxFramePlaintext (the
// sender must split its batch).
Result<Bytes> SerializeFrame(const pb::Frame& frame);
// Parses a decrypted transport message. Code::kCorrupt when it is not a Frame. A frame whose
// body is of a type this build does not know parses fine with body_case() == BODY_NOT_SET.
Result<pb::Frame> ParseFrame(ByteView plaintext);

// A short name of the frame's body type for logs ("push", "pull", ..., "unknown").
const char* FrameTypeName(const pb::Frame& frame);

}  // namespace parley::wire
