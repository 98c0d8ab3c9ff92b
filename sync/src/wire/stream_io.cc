// Blocking drivers of a NoiseSession over a ByteStream.
#include "parley/sync/session.h"

namespace parley::wire {

Result<Bytes> ReadMessage(ByteStream& stream, std::size_t cap) {
  std::uint8_t prefix[kLengthPrefixSize];
  PARLEY_RETURN_IF_ERROR(stream.ReadExact(prefix));
  PARLEY_ASSIGN_OR_RETURN(std::size_t n, DecodeLength(prefix, cap));
  Bytes msg(n);
  PARLEY_RETURN_IF_ERROR(stream.ReadExact(msg));
  return msg;
}

Status WriteMessage(ByteStream& stream, ByteView message) {
  PARLEY_ASSIGN_OR_RETURN(Bytes out, Prefixed(message));
  return stream.WriteAll(out);
}

Status RunHandshake(NoiseSession& session, ByteStream& stream) {
  while (!session.handshake_done()) {
    if (session.my_turn()) {
      PARLEY_ASSIGN_OR_RETURN(Bytes msg, session.WriteHandshake());
      PARLEY_RETURN_IF_ERROR(WriteMessage(stream, msg));
    } else {
      PARLEY_ASSIGN_OR_RETURN(Bytes msg, ReadMessage(stream));
      PARLEY_RETURN_IF_ERROR(session.ReadHandshake(msg));
    }
  }
  return Status::Ok();
}

Status SendFrame(NoiseSession& session, ByteStream& stream, const pb::Frame& frame) {
  PARLEY_ASSIGN_OR_RETURN(Bytes msg, session.Seal(frame));
  return WriteMessage(stream, msg);
}

Result<pb::Frame> ReceiveFrame(NoiseSession& session, ByteStream& stream) {
  PARLEY_ASSIGN_OR_RETURN(Bytes msg, ReadMessage(stream));
  return session.Open(msg);
}

}  // namespace parley::wire
