// Noise HandshakeState driven by a table of message patterns.
#include <vector>

#include "noise/symmetric_state.h"
#include "parley/sync/noise.h"

namespace parley::noise {
namespace {

enum class Token { kE, kS, kEE, kES, kSE, kSS };

struct PatternSpec {
  const char* name;
  bool initiator_pre_s;  // "-> s" pre-message
  bool responder_pre_s;  // "<- s" pre-message
  std::vector<std::vector<Token>> messages;
};

const PatternSpec& Spec(Pattern p) {
  using T = Token;
  static const PatternSpec kNN{"NN", false, false, {{T::kE}, {T::kE, T::kEE}}};
  static const PatternSpec kKK{
      "KK", true, true, {{T::kE, T::kES, T::kSS}, {T::kE, T::kEE, T::kSE}}};
  static const PatternSpec kIK{
      "IK", false, true, {{T::kE, T::kES, T::kS, T::kSS}, {T::kE, T::kEE, T::kSE}}};
  static const PatternSpec kXX{
      "XX", false, false, {{T::kE}, {T::kE, T::kEE, T::kS, T::kES}, {T::kS, T::kSE}}};
  static const PatternSpec kXK{
      "XK", false, true, {{T::kE, T::kES}, {T::kE, T::kEE}, {T::kS, T::kSE}}};
  switch (p) {
    case Pattern::kNN:
      return kNN;
    case Pattern::kKK:
      return kKK;
    case Pattern::kIK:
      return kIK;
    case Pattern::kXX:
      return kXX;
    case Pattern::kXK:
      return kXK;
  }
  return kXK;
}

Status Err(Code c, std::string msg) { return Status(Domain::kSync, c, std::move(msg)); }

constexpr Pattern kAllPatterns[] = {Pattern::kNN, Pattern::kKK, Pattern::kIK, Pattern::kXX,
                                    Pattern::kXK};

}  // namespace

std::string ProtocolName(Pattern pattern) {
  return std::string("Noise_") + Spec(pattern).name + "_25519_ChaChaPoly_BLAKE2b";
}

std::optional<Pattern> ParseProtocolName(std::string_view name) {
  for (Pattern p : kAllPatterns) {
    if (ProtocolName(p) == name) return p;
  }
  return std::nullopt;
}

struct HandshakeState::Impl {
  explicit Impl(std::string_view protocol) : ss(protocol) {}
  const PatternSpec* spec = nullptr;
  bool initiator = true;
  SymmetricState ss;
  std::optional<crypto::DhKeyPair> s;
  std::optional<crypto::DhKeyPair> e;
  std::optional<Bytes> rs;
  std::optional<Bytes> re;
  std::size_t next = 0;  // index of the next message pattern
  bool split_done = false;

  bool MyTurn() const { return (next % 2 == 0) == initiator; }

  Status DhMix(const std::optional<crypto::DhKeyPair>& local, const std::optional<Bytes>& remote) {
    if (!local || !remote) return Err(Code::kInvalidArgument, "Noise handshake is missing a key");
    auto shared = crypto::Dh(local->secret_key, *remote);
    if (!shared.ok()) return Err(Code::kCorrupt, "Noise peer sent a low-order public key");
    ss.MixKey(shared->view());
    return Status::Ok();
  }

  Status Dh(Token t) {
    switch (t) {
      case Token::kEE:
        return DhMix(e, re);
      case Token::kSS:
        return DhMix(s, rs);
      case Token::kES:
        return initiator ? DhMix(e, rs) : DhMix(s, re);
      case Token::kSE:
        return initiator ? DhMix(s, re) : DhMix(e, rs);
      default:
        return Err(Code::kInternal, "not a DH token");
    }
  }
};

HandshakeState::HandshakeState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HandshakeState::HandshakeState(HandshakeState&&) noexcept = default;
HandshakeState& HandshakeState::operator=(HandshakeState&&) noexcept = default;
HandshakeState::~HandshakeState() = default;

Result<HandshakeState> HandshakeState::Create(HandshakeConfig config) {
  const PatternSpec& spec = Spec(config.pattern);
  auto impl = std::make_unique<Impl>(ProtocolName(config.pattern));
  impl->spec = &spec;
  impl->initiator = config.initiator;
  impl->s = std::move(config.s);
  impl->e = std::move(config.e);
  impl->rs = std::move(config.rs);
  if (impl->rs && impl->rs->size() != crypto::kDhSize)
    return Err(Code::kInvalidArgument, "remote static key must be 32 bytes");

  impl->ss.MixHash(config.prologue);
  // Pre-messages: the initiator's first, then the responder's.
  const bool local_pre = config.initiator ? spec.initiator_pre_s : spec.responder_pre_s;
  const bool remote_pre = config.initiator ? spec.responder_pre_s : spec.initiator_pre_s;
  if (local_pre && !impl->s) return Err(Code::kInvalidArgument, "pattern needs a local static key");
  if (remote_pre && !impl->rs)
    return Err(Code::kInvalidArgument, "pattern needs the remote static key");
  if (spec.initiator_pre_s)
    impl->ss.MixHash(config.initiator ? ByteView(impl->s->public_key) : ByteView(*impl->rs));
  if (spec.responder_pre_s)
    impl->ss.MixHash(config.initiator ? ByteView(*impl->rs) : ByteView(impl->s->public_key));
  return HandshakeState(std::move(impl));
}

bool HandshakeState::my_turn() const { return !finished() && impl_->MyTurn(); }
bool HandshakeState::finished() const { return impl_->next >= impl_->spec->messages.size(); }

Result<Bytes> HandshakeState::WriteMessage(ByteView payload) {
  Impl& st = *impl_;
  if (finished() || !st.MyTurn())
    return Err(Code::kInvalidArgument, "not this side's turn to write");
  Bytes out;
  for (Token t : st.spec->messages[st.next]) {
    switch (t) {
      case Token::kE: {
        if (!st.e) st.e = crypto::NewDhKeyPair();
        out.insert(out.end(), st.e->public_key.begin(), st.e->public_key.end());
        st.ss.MixHash(st.e->public_key);
        break;
      }
      case Token::kS: {
        if (!st.s) return Err(Code::kInvalidArgument, "pattern needs a local static key");
        PARLEY_ASSIGN_OR_RETURN(Bytes ct, st.ss.EncryptAndHash(st.s->public_key));
        out.insert(out.end(), ct.begin(), ct.end());
        break;
      }
      default:
        PARLEY_RETURN_IF_ERROR(st.Dh(t));
    }
  }
  PARLEY_ASSIGN_OR_RETURN(Bytes ct, st.ss.EncryptAndHash(payload));
  out.insert(out.end(), ct.begin(), ct.end());
  if (out.size() > kMaxMessageLen)
    return Err(Code::kInvalidArgument, "Noise message over 65535 bytes");
  ++st.next;
  return out;
}

Result<Bytes> HandshakeState::ReadMessage(ByteView message) {
  Impl& st = *impl_;
  if (finished() || st.MyTurn()) return Err(Code::kInvalidArgument, "not this side's turn to read");
  if (message.size() > kMaxMessageLen) return Err(Code::kCorrupt, "Noise message over 65535 bytes");
  ByteView rest = message;
  for (Token t : st.spec->messages[st.next]) {
    switch (t) {
      case Token::kE: {
        if (rest.size() < crypto::kDhSize)
          return Err(Code::kCorrupt, "Noise handshake message too short");
        st.re = Bytes(rest.begin(), rest.begin() + crypto::kDhSize);
        rest = rest.subspan(crypto::kDhSize);
        st.ss.MixHash(*st.re);
        break;
      }
      case Token::kS: {
        std::size_t len = crypto::kDhSize + (st.ss.has_key() ? crypto::kAeadTagSize : 0);
        if (rest.size() < len) return Err(Code::kCorrupt, "Noise handshake message too short");
        PARLEY_ASSIGN_OR_RETURN(Bytes rs, st.ss.DecryptAndHash(rest.first(len)));
        st.rs = std::move(rs);
        rest = rest.subspan(len);
        break;
      }
      default:
        PARLEY_RETURN_IF_ERROR(st.Dh(t));
    }
  }
  PARLEY_ASSIGN_OR_RETURN(Bytes payload, st.ss.DecryptAndHash(rest));
  ++st.next;
  return payload;
}

Bytes HandshakeState::handshake_hash() const {
  return Bytes(impl_->ss.h().begin(), impl_->ss.h().end());
}

const std::optional<Bytes>& HandshakeState::remote_static() const { return impl_->rs; }

std::pair<CipherState, CipherState> HandshakeState::Split() {
  impl_->split_done = true;
  return impl_->ss.Split();
}

}  // namespace parley::noise
