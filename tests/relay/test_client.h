// A small blocking client of the relay for tests: TCP on loopback (or any connected stream
// socket, e.g. one end of a socketpair whose other end the relay adopted), the Noise
// handshake as initiator, Authenticate, then one request at a time (or raw bytes, to
// misbehave). Every read has a 30 s socket timeout (support/socket_stream.h) so that a
// broken relay fails a test instead of hanging it.
#pragma once

#include <memory>
#include <vector>

#include "parley/sync/auth.h"
#include "parley/sync/session.h"
#include "support/socket_stream.h"

namespace parley::testing {

struct Device {
  crypto::SignKeyPair identity = crypto::NewSignKeyPair();
  crypto::DhKeyPair kx = crypto::NewDhKeyPair();
};

class TestClient {
 public:
  // Connects, runs the handshake and (if `authenticate`) Authenticate, expecting Welcome.
  static Result<std::unique_ptr<TestClient>> Connect(std::uint16_t port,
                                                     wire::ByteView relay_public,
                                                     const Device& device,
                                                     bool authenticate = true);
  // The same over an already-connected stream.
  static Result<std::unique_ptr<TestClient>> Over(std::unique_ptr<SocketStream> stream,
                                                  wire::ByteView relay_public, const Device& device,
                                                  bool authenticate = true);

  Status Send(const pb::Frame& frame);
  Result<pb::Frame> Receive();
  // Sends `frame` with a fresh id and returns the answer with that id; Notify frames that
  // arrive meanwhile are kept in notifies().
  Result<pb::Frame> Call(pb::Frame frame);
  Status SendRaw(wire::ByteView bytes) { return stream_->WriteAll(bytes); }
  bool WaitClosed() { return stream_->WaitClosed(); }

  wire::NoiseSession& session() { return *session_; }
  SocketStream& stream() { return *stream_; }
  const pb::Welcome& welcome() const { return welcome_; }
  std::vector<pb::Notify>& notifies() { return notifies_; }

 private:
  std::unique_ptr<SocketStream> stream_;
  std::optional<wire::NoiseSession> session_;
  pb::Welcome welcome_;
  std::uint64_t next_id_ = 1;
  std::vector<pb::Notify> notifies_;
};

}  // namespace parley::testing
