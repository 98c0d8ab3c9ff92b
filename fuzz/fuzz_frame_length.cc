// Fuzz target: the length framing of the sync wire (parley/sync/frame_codec.h, session.h).
//
// Input: 2 bytes choosing the cap (1 + big-endian value % 65535), 1 byte seeding the sizes
// of the pieces the stream arrives in, then the byte stream itself. The stream goes
//   - through a LengthDecoder, fed in pieces of 1 to 300 bytes (sometimes everything at once),
//   - through the blocking ReadMessage() over an in-memory stream that records every read,
// and both are compared with a plain reading of the stream made here:
//   - the messages come out in order, each exactly as on the wire, 1..cap bytes;
//   - a zero length or a length over the cap is an error from the two prefix bytes alone:
//     ReadMessage asks for no byte of such a message (so it allocates nothing for it), and
//     never asks for more than the cap;
//   - after an error the decoder only repeats it and stops buffering;
//   - buffered() is exactly what was fed and not yet returned.
// Each message is also parsed as a Frame; one that parses re-serializes and parses again.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>

#include "parley/sync/session.h"
#include "wire_support.h"

namespace parley::fuzz {
namespace {

[[noreturn]] void Broken(const char* what) { Fail(std::string("fuzz_frame_length: ") + what); }

// The stream as the wire defines it: messages until the end, an incomplete message, or a bad
// length.
struct Reference {
  std::vector<crypto::ByteView> messages;
  bool bad_length = false;  // stopped at a zero length or one over the cap
};

Reference ReadReference(crypto::ByteView stream, std::size_t cap) {
  Reference r;
  std::size_t pos = 0;
  while (stream.size() - pos >= 2) {
    const std::size_t n = (static_cast<std::size_t>(stream[pos]) << 8) | stream[pos + 1];
    if (n == 0 || n > cap) {
      r.bad_length = true;
      break;
    }
    if (stream.size() - pos - 2 < n) break;
    r.messages.push_back(stream.subspan(pos + 2, n));
    pos += 2 + n;
  }
  return r;
}

bool Same(crypto::ByteView a, crypto::ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void CheckFrame(crypto::ByteView message) {
  auto frame = wire::ParseFrame(message);
  if (!frame.ok()) {
    if (frame.status().code() != Code::kCorrupt)
      Broken("ParseFrame failed with an undocumented code");
    return;
  }
  if (wire::FrameTypeName(*frame) == nullptr) Broken("FrameTypeName returned null");
  auto again = wire::SerializeFrame(*frame);
  if (!again.ok()) {
    if (again.status().code() != Code::kInvalidArgument)
      Broken("SerializeFrame failed with an undocumented code");
    return;
  }
  if (!wire::ParseFrame(*again).ok()) Broken("a re-serialized frame does not parse");
}

void CheckDecoder(crypto::ByteView stream, std::size_t cap, std::uint8_t piece_seed,
                  const Reference& ref) {
  wire::LengthDecoder decoder(cap);
  std::size_t fed = 0, taken = 0, got = 0;
  bool failed = false;
  std::uint32_t rng = 0x9e3779b9u ^ piece_seed;
  while (fed < stream.size() || !failed) {
    // Drain everything complete.
    for (;;) {
      auto next = decoder.Next();
      if (!next.ok()) {
        if (next.status().code() != Code::kCorrupt)
          Broken("decoder error with an undocumented code");
        if (got != ref.messages.size() || !ref.bad_length)
          Broken("decoder error where the stream is well formed");
        failed = true;
        break;
      }
      if (!next->has_value()) break;
      const crypto::Bytes& msg = **next;
      if (got >= ref.messages.size()) Broken("decoder returned a message the stream does not hold");
      if (msg.empty() || msg.size() > cap) Broken("decoder returned a message outside 1..cap");
      if (!Same(msg, ref.messages[got])) Broken("decoder returned different bytes");
      taken += wire::kLengthPrefixSize + msg.size();
      ++got;
    }
    if (!failed && decoder.buffered() != fed - taken)
      Broken("buffered() is not what was fed minus what was taken");
    if (fed == stream.size()) break;
    std::size_t piece = stream.size() - fed;
    if ((piece_seed & 0x80) == 0) {
      rng = rng * 1664525u + 1013904223u;
      piece = std::min<std::size_t>(piece, 1 + (rng >> 16) % 300);
    }
    const std::size_t before = decoder.buffered();
    decoder.Feed(stream.subspan(fed, piece));
    fed += piece;
    if (failed && decoder.buffered() != before) Broken("the decoder buffers after an error");
  }
  if (failed) {
    auto again = decoder.Next();
    if (again.ok()) Broken("the decoder recovered after an error");
  } else {
    if (got != ref.messages.size()) Broken("decoder missed messages");
    if (ref.bad_length && stream.size() >= taken + 2) Broken("decoder accepted a bad length");
  }
}

// An in-memory ByteStream that records how much each read asked for.
class RecordingStream final : public wire::ByteStream {
 public:
  explicit RecordingStream(crypto::ByteView data) : data_(data) {}
  Status ReadExact(std::span<std::uint8_t> out) override {
    requests.push_back(out.size());
    if (data_.size() - pos_ < out.size()) {
      pos_ = data_.size();
      return Status(Domain::kSync, Code::kUnavailable, "end of stream");
    }
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos_), out.size(), out.begin());
    pos_ += out.size();
    return Status::Ok();
  }
  Status WriteAll(crypto::ByteView) override {
    return Status(Domain::kSync, Code::kUnavailable, "read only");
  }
  std::vector<std::size_t> requests;

 private:
  crypto::ByteView data_;
  std::size_t pos_ = 0;
};

void CheckReadMessage(crypto::ByteView stream, std::size_t cap, const Reference& ref) {
  RecordingStream in(stream);
  std::size_t got = 0;
  for (;;) {
    const std::size_t reads_before = in.requests.size();
    auto msg = wire::ReadMessage(in, cap);
    const std::size_t reads = in.requests.size() - reads_before;
    if (reads == 0 || in.requests[reads_before] != wire::kLengthPrefixSize)
      Broken("ReadMessage did not read the prefix first");
    if (reads > 2) Broken("ReadMessage read more than prefix and body");
    if (reads == 2) {
      const std::size_t asked = in.requests[reads_before + 1];
      if (asked == 0 || asked > cap) Broken("ReadMessage asked for a body outside 1..cap");
    }
    if (!msg.ok()) {
      const Code c = msg.status().code();
      if (c == Code::kCorrupt) {
        if (got != ref.messages.size() || !ref.bad_length)
          Broken("ReadMessage refused a good length");
        if (reads != 1) Broken("ReadMessage read a body after a bad length");
      } else if (c == Code::kUnavailable) {
        // Only the end of the stream ends the reading of a well-formed stream.
        if (got != ref.messages.size() || ref.bad_length)
          Broken("ReadMessage stopped before the stream ended");
      } else {
        Broken("ReadMessage failed with an undocumented code");
      }
      return;
    }
    if (got >= ref.messages.size())
      Broken("ReadMessage returned a message the stream does not hold");
    if (!Same(*msg, ref.messages[got])) Broken("ReadMessage returned different bytes");
    auto prefixed = wire::Prefixed(*msg);
    auto decoded = prefixed.ok() ? wire::DecodeLength(prefixed->data(), cap)
                                 : Result<std::size_t>(prefixed.status());
    if (!prefixed.ok() || prefixed->size() != msg->size() + 2 || !decoded.ok() ||
        *decoded != msg->size()) {
      Broken("Prefixed does not round-trip through DecodeLength");
    }
    CheckFrame(*msg);
    ++got;
  }
}

}  // namespace
}  // namespace parley::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::fuzz;
  InitOnce();
  if (size < 3) return 0;
  const std::size_t cap =
      1 + ((static_cast<std::size_t>(data[0]) << 8 | data[1]) % parley::wire::kMaxWireMessage);
  const std::uint8_t piece_seed = data[2];
  const parley::crypto::ByteView stream(data + 3, size - 3);
  const Reference ref = ReadReference(stream, cap);
  CheckDecoder(stream, cap, piece_seed, ref);
  CheckReadMessage(stream, cap, ref);
  return 0;
}
