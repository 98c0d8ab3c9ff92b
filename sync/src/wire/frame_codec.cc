#include "parley/sync/frame_codec.h"

#include <cstring>

namespace parley::wire {

void EncodeLength(std::size_t size, std::uint8_t out[kLengthPrefixSize]) {
  out[0] = static_cast<std::uint8_t>((size >> 8) & 0xff);
  out[1] = static_cast<std::uint8_t>(size & 0xff);
}

Result<std::size_t> DecodeLength(const std::uint8_t prefix[kLengthPrefixSize], std::size_t cap) {
  const std::size_t n = (static_cast<std::size_t>(prefix[0]) << 8) | prefix[1];
  if (n == 0) return Error(Domain::kSync, Code::kCorrupt, "framing: empty message");
  if (n > cap) {
    return Error(Domain::kSync, Code::kCorrupt,
                 "framing: message of " + std::to_string(n) + " bytes is over the cap of " +
                     std::to_string(cap));
  }
  return n;
}

Result<Bytes> Prefixed(ByteView message) {
  if (message.empty() || message.size() > kMaxWireMessage) {
    return Error(Domain::kSync, Code::kInvalidArgument, "framing: message size out of range");
  }
  Bytes out(kLengthPrefixSize + message.size());
  EncodeLength(message.size(), out.data());
  std::memcpy(out.data() + kLengthPrefixSize, message.data(), message.size());
  return out;
}

void LengthDecoder::Feed(ByteView data) {
  if (!error_.ok()) return;
  // Compact what was consumed before growing, so the buffer stays near one message.
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > kMaxWireMessage) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

Result<std::optional<Bytes>> LengthDecoder::Next() {
  if (!error_.ok()) return error_;
  if (buffered() < kLengthPrefixSize) return std::optional<Bytes>();
  auto n = DecodeLength(buf_.data() + pos_, cap_);
  if (!n.ok()) {
    error_ = n.status();
    return error_;
  }
  if (buffered() < kLengthPrefixSize + *n) return std::optional<Bytes>();
  const auto* start = buf_.data() + pos_ + kLengthPrefixSize;
  Bytes msg(start, start + *n);
  pos_ += kLengthPrefixSize + *n;
  return std::optional<Bytes>(std::move(msg));
}

Result<Bytes> SerializeFrame(const pb::Frame& frame) {
  const std::size_t size = frame.ByteSizeLong();
  if (size > kMaxFramePlaintext) {
    return Error(Domain::kSync, Code::kInvalidArgument,
                 "frame of " + std::to_string(size) + " bytes does not fit one transport message");
  }
  Bytes out(size);
  if (size > 0 && !frame.SerializeToArray(out.data(), static_cast<int>(size))) {
    return Error(Domain::kSync, Code::kInternal, "frame encoding failed");
  }
  return out;
}

Result<pb::Frame> ParseFrame(ByteView plaintext) {
  pb::Frame frame;
  if (!frame.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size()))) {
    return Error(Domain::kSync, Code::kCorrupt, "the frame does not parse");
  }
  return frame;
}

const char* FrameTypeName(const pb::Frame& frame) {
  switch (frame.body_case()) {
    case pb::Frame::kAuthenticate:
      return "authenticate";
    case pb::Frame::kWelcome:
      return "welcome";
    case pb::Frame::kPush:
      return "push";
    case pb::Frame::kPushAck:
      return "push_ack";
    case pb::Frame::kPull:
      return "pull";
    case pb::Frame::kPullBatch:
      return "pull_batch";
    case pb::Frame::kSubscribe:
      return "subscribe";
    case pb::Frame::kNotify:
      return "notify";
    case pb::Frame::kRegisterVault:
      return "register_vault";
    case pb::Frame::kSetMembership:
      return "set_membership";
    case pb::Frame::kPutEnvelope:
      return "put_envelope";
    case pb::Frame::kGetEnvelopes:
      return "get_envelopes";
    case pb::Frame::kEnvelopes:
      return "envelopes";
    case pb::Frame::kPurge:
      return "purge";
    case pb::Frame::kError:
      return "error";
    case pb::Frame::kPing:
      return "ping";
    case pb::Frame::kPong:
      return "pong";
    case pb::Frame::kDone:
      return "done";
    case pb::Frame::BODY_NOT_SET:
      break;
  }
  return "unknown";
}

}  // namespace parley::wire
