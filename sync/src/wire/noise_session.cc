#include "parley/sync/session.h"

#include "parley/sync/noise.h"

namespace parley::wire {

struct NoiseSession::State {
  std::optional<noise::HandshakeState> hs;
  noise::CipherState send;
  noise::CipherState recv;
  Bytes hash;
  Bytes remote;
  bool initiator = false;
  bool done = false;
  Status dead;  // set once a message failed: the session is unusable from then on
};

namespace {

Status Dead() {
  return Error(Domain::kSync, Code::kCorrupt, "the session was closed after a bad message");
}

Result<NoiseSession::State*> Finish(NoiseSession::State* s) {
  s->hash = s->hs->handshake_hash();
  s->remote = *s->hs->remote_static();
  auto [i2r, r2i] = s->hs->Split();
  if (s->initiator) {
    s->send = std::move(i2r);
    s->recv = std::move(r2i);
  } else {
    s->send = std::move(r2i);
    s->recv = std::move(i2r);
  }
  s->hs.reset();
  s->done = true;
  return s;
}

}  // namespace

NoiseSession::NoiseSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
NoiseSession::NoiseSession(NoiseSession&&) noexcept = default;
NoiseSession& NoiseSession::operator=(NoiseSession&&) noexcept = default;
NoiseSession::~NoiseSession() = default;

Result<NoiseSession> NoiseSession::Initiator(const crypto::DhKeyPair& local,
                                             ByteView relay_public) {
  if (relay_public.size() != crypto::kDhSize) {
    return Error(Domain::kSync, Code::kInvalidArgument, "the relay key must be 32 bytes");
  }
  noise::HandshakeConfig c;
  c.pattern = noise::Pattern::kXK;
  c.initiator = true;
  c.prologue = Bytes(kPrologue.begin(), kPrologue.end());
  c.s = crypto::DhKeyPairFromSecret(local.secret_key.view());
  c.rs = Bytes(relay_public.begin(), relay_public.end());
  PARLEY_ASSIGN_OR_RETURN(auto hs, noise::HandshakeState::Create(std::move(c)));
  auto st = std::make_unique<State>();
  st->hs.emplace(std::move(hs));
  st->initiator = true;
  return NoiseSession(std::move(st));
}

Result<NoiseSession> NoiseSession::Responder(const crypto::DhKeyPair& local) {
  noise::HandshakeConfig c;
  c.pattern = noise::Pattern::kXK;
  c.initiator = false;
  c.prologue = Bytes(kPrologue.begin(), kPrologue.end());
  c.s = crypto::DhKeyPairFromSecret(local.secret_key.view());
  PARLEY_ASSIGN_OR_RETURN(auto hs, noise::HandshakeState::Create(std::move(c)));
  auto st = std::make_unique<State>();
  st->hs.emplace(std::move(hs));
  st->initiator = false;
  return NoiseSession(std::move(st));
}

bool NoiseSession::handshake_done() const { return state_->done; }
bool NoiseSession::my_turn() const { return !state_->done && state_->hs->my_turn(); }
const Bytes& NoiseSession::handshake_hash() const { return state_->hash; }
const Bytes& NoiseSession::remote_static() const { return state_->remote; }

Result<Bytes> NoiseSession::WriteHandshake() {
  State* s = state_.get();
  if (!s->dead.ok()) return s->dead;
  if (s->done || !s->hs->my_turn()) {
    return Error(Domain::kSync, Code::kInvalidArgument, "handshake: not this side's turn");
  }
  auto msg = s->hs->WriteMessage({});
  if (!msg.ok()) {
    s->dead = Dead();
    return msg.status();
  }
  if (s->hs->finished()) PARLEY_RETURN_IF_ERROR(Finish(s).status());
  return msg;
}

Status NoiseSession::ReadHandshake(ByteView message) {
  State* s = state_.get();
  if (!s->dead.ok()) return s->dead;
  if (s->done || s->hs->my_turn()) {
    s->dead = Dead();
    return Error(Domain::kSync, Code::kInvalidArgument, "handshake: unexpected message");
  }
  auto payload = s->hs->ReadMessage(message);
  if (!payload.ok()) {
    s->dead = Dead();
    return Error(Domain::kSync, Code::kCorrupt, "handshake failed: " + payload.status().message());
  }
  if (s->hs->finished()) PARLEY_RETURN_IF_ERROR(Finish(s).status());
  return Status::Ok();
}

Result<Bytes> NoiseSession::Seal(const pb::Frame& frame) {
  State* s = state_.get();
  if (!s->dead.ok()) return s->dead;
  if (!s->done)
    return Error(Domain::kSync, Code::kInvalidArgument, "frame before the handshake finished");
  PARLEY_ASSIGN_OR_RETURN(Bytes plain, SerializeFrame(frame));
  return s->send.Encrypt({}, plain);
}

Result<pb::Frame> NoiseSession::Open(ByteView message) {
  State* s = state_.get();
  if (!s->dead.ok()) return s->dead;
  if (!s->done)
    return Error(Domain::kSync, Code::kInvalidArgument, "frame before the handshake finished");
  auto plain = s->recv.Decrypt({}, message);
  if (!plain.ok()) {
    s->dead = Dead();
    return Error(Domain::kSync, Code::kCorrupt, "a frame failed to decrypt");
  }
  auto frame = ParseFrame(*plain);
  if (!frame.ok())
    return Error(Domain::kSync, Code::kInvalidArgument, "a frame decrypted but is not a frame");
  return frame;
}

}  // namespace parley::wire
