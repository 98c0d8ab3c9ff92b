#include "test_client.h"

namespace parley::testing {

Result<std::unique_ptr<TestClient>> TestClient::Connect(std::uint16_t port,
                                                        wire::ByteView relay_public,
                                                        const Device& device, bool authenticate) {
  PARLEY_ASSIGN_OR_RETURN(auto stream, SocketStream::ConnectLoopback(port));
  return Over(std::move(stream), relay_public, device, authenticate);
}

Result<std::unique_ptr<TestClient>> TestClient::Over(std::unique_ptr<SocketStream> stream,
                                                     wire::ByteView relay_public,
                                                     const Device& device, bool authenticate) {
  auto c = std::make_unique<TestClient>();
  c->stream_ = std::move(stream);
  PARLEY_ASSIGN_OR_RETURN(auto session, wire::NoiseSession::Initiator(device.kx, relay_public));
  c->session_.emplace(std::move(session));
  PARLEY_RETURN_IF_ERROR(wire::RunHandshake(*c->session_, *c->stream_));
  if (!authenticate) return c;
  pb::Frame auth;
  auth.set_id(c->next_id_++);
  *auth.mutable_authenticate() = wire::MakeAuthenticate(
      device.identity, wire::MakeKxCertificate(device.identity, device.kx.public_key),
      c->session_->handshake_hash());
  PARLEY_RETURN_IF_ERROR(c->Send(auth));
  PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, c->Receive());
  if (answer.body_case() != pb::Frame::kWelcome) {
    return Error(Domain::kSync, Code::kPermissionDenied, "no welcome: " + answer.error().message());
  }
  c->welcome_ = answer.welcome();
  return c;
}

Status TestClient::Send(const pb::Frame& frame) {
  return wire::SendFrame(*session_, *stream_, frame);
}

Result<pb::Frame> TestClient::Receive() { return wire::ReceiveFrame(*session_, *stream_); }

Result<pb::Frame> TestClient::Call(pb::Frame frame) {
  const std::uint64_t id = next_id_++;
  frame.set_id(id);
  PARLEY_RETURN_IF_ERROR(Send(frame));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(pb::Frame answer, Receive());
    if (answer.body_case() == pb::Frame::kNotify) {
      notifies_.push_back(answer.notify());
      continue;
    }
    if (answer.id() == id) return answer;
  }
}

}  // namespace parley::testing
