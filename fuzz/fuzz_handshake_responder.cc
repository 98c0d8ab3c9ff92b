// Fuzz target: the relay's side of the Noise XK handshake (wire::NoiseSession::Responder
// with FixedRelayKey()) and the transport messages after it, then the Authenticate check.
//
// The process uses deterministic randomness (wire_support.h), reset before each input, so
// the responder's ephemeral key is the same every time and a seed can hold a whole valid
// session. The first byte picks the mode; the rest is records (wire_support.h):
//   even: raw messages as a device would send them: record 0 is handshake message 1,
//         record 1 message 3, every later record a transport message.
//   odd:  a well-behaved initiator (FixedAdminDevice()'s transport key, the seed
//         generator's fixed ephemeral) completes the handshake, and every record is a frame
//         plaintext it encrypts; so the fuzzer reaches frame parsing and the Authenticate
//         check behind the AEAD.
// A transport message that opens as an Authenticate is checked with VerifyAuthenticate
// against the session's handshake hash and peer key, as the relay does.
//
// What must hold (session.h): every failure is a Status with a documented code (kCorrupt,
// kInvalidArgument; kPermissionDenied or kInvalidArgument from VerifyAuthenticate); after
// a failed handshake message or a transport message that does not decrypt the session is
// dead and every later call fails; a message that decrypts but is not a frame does not
// kill it; once the handshake is done the hash is 64 bytes and the peer key 32.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "parley/sync/auth.h"
#include "parley/sync/noise.h"
#include "parley/sync/session.h"
#include "wire_support.h"

namespace parley::fuzz {
namespace {

[[noreturn]] void Broken(const std::string& what) { Fail("fuzz_handshake_responder: " + what); }

void ExpectCode(const Status& s, std::initializer_list<Code> allowed, const char* what) {
  for (Code c : allowed) {
    if (s.code() == c) return;
  }
  Broken(std::string(what) + " failed with an undocumented code: " + s.ToString());
}

// Every call on a dead session fails.
void ExpectDead(wire::NoiseSession& s, crypto::ByteView some_message) {
  if (s.ReadHandshake(some_message).ok()) Broken("a dead session read a handshake message");
  if (s.WriteHandshake().ok()) Broken("a dead session wrote a handshake message");
  if (s.Open(some_message).ok()) Broken("a dead session opened a transport message");
  pb::Frame f;
  f.mutable_ping();
  if (s.Seal(f).ok()) Broken("a dead session sealed a frame");
}

wire::NoiseSession NewResponder() {
  ResetDeterministicRandom();
  return RequireValue(wire::NoiseSession::Responder(FixedRelayKey()), "responder");
}

// Transport phase: each message opened; an Authenticate checked; an answer sealed.
void Transport(wire::NoiseSession& s, const std::vector<crypto::ByteView>& messages) {
  bool dead = false;
  for (crypto::ByteView m : messages) {
    auto frame = s.Open(m);
    if (dead) {
      if (frame.ok()) Broken("a dead session opened a transport message");
      continue;
    }
    if (!frame.ok()) {
      ExpectCode(frame.status(), {Code::kCorrupt, Code::kInvalidArgument}, "Open");
      if (frame.status().code() == Code::kCorrupt) {
        dead = true;
        ExpectDead(s, m);
      }
      continue;
    }
    if (frame->body_case() == pb::Frame::kAuthenticate) {
      auto device =
          wire::VerifyAuthenticate(frame->authenticate(), s.handshake_hash(), s.remote_static());
      if (device.ok()) {
        if (device->size() != crypto::kSignPublicKeySize)
          Broken("VerifyAuthenticate returned a bad identity");
      } else {
        ExpectCode(device.status(), {Code::kPermissionDenied, Code::kInvalidArgument},
                   "VerifyAuthenticate");
      }
    }
    pb::Frame answer;
    answer.set_id(frame->id());
    answer.mutable_done();
    if (!s.Seal(answer).ok()) Broken("a live session cannot seal an answer");
  }
}

// Handshake message 1 and, when it passes, the responder's message 2. False when the
// session is dead.
bool FirstExchange(wire::NoiseSession& s, crypto::ByteView m1, crypto::Bytes* m2) {
  if (s.handshake_done() || s.my_turn()) Broken("a new responder does not wait for message 1");
  Status st = s.ReadHandshake(m1);
  if (!st.ok()) {
    ExpectCode(st, {Code::kCorrupt, Code::kInvalidArgument}, "ReadHandshake(1)");
    ExpectDead(s, m1);
    return false;
  }
  if (!s.my_turn()) Broken("after message 1 it is not the responder's turn");
  auto written = s.WriteHandshake();
  if (!written.ok()) Broken("the responder cannot write message 2: " + written.status().ToString());
  if (written->size() != 48) Broken("message 2 is not 48 bytes");
  if (m2 != nullptr) *m2 = std::move(*written);
  return true;
}

bool ThirdMessage(wire::NoiseSession& s, crypto::ByteView m3) {
  Status st = s.ReadHandshake(m3);
  if (!st.ok()) {
    ExpectCode(st, {Code::kCorrupt, Code::kInvalidArgument}, "ReadHandshake(3)");
    ExpectDead(s, m3);
    return false;
  }
  if (!s.handshake_done()) Broken("the handshake is not done after message 3");
  if (s.handshake_hash().size() != noise::kHashLen) Broken("the handshake hash is not 64 bytes");
  if (s.remote_static().size() != crypto::kDhSize) Broken("the peer key is not 32 bytes");
  return true;
}

void RawMessages(const std::vector<crypto::ByteView>& records) {
  wire::NoiseSession s = NewResponder();
  if (records.empty()) return;
  if (!FirstExchange(s, records[0], nullptr)) return;
  if (records.size() < 2) return;
  if (!ThirdMessage(s, records[1])) return;
  Transport(s, std::vector<crypto::ByteView>(records.begin() + 2, records.end()));
}

void SealedFrames(const std::vector<crypto::ByteView>& records) {
  auto initiator = RequireValue(noise::HandshakeState::Create(FixedInitiatorConfig()), "initiator");
  const crypto::Bytes m1 = RequireValue(initiator.WriteMessage({}), "message 1");

  wire::NoiseSession s = NewResponder();
  crypto::Bytes m2;
  if (!FirstExchange(s, m1, &m2)) Broken("the responder refused a valid message 1");
  (void)RequireValue(initiator.ReadMessage(m2), "read message 2");
  const crypto::Bytes m3 = RequireValue(initiator.WriteMessage({}), "message 3");
  if (!ThirdMessage(s, m3)) Broken("the responder refused a valid message 3");
  if (s.handshake_hash() != initiator.handshake_hash())
    Broken("the two sides disagree on the handshake hash");
  if (s.remote_static() != FixedAdminDevice().kx.public_key)
    Broken("the responder learned the wrong peer key");

  auto [to_relay, from_relay] = initiator.Split();
  std::vector<crypto::Bytes> sealed;
  for (crypto::ByteView r : records)
    sealed.push_back(RequireValue(to_relay.Encrypt({}, r), "seal"));
  Transport(s, std::vector<crypto::ByteView>(sealed.begin(), sealed.end()));
}

}  // namespace
}  // namespace parley::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  parley::fuzz::UseDeterministicRandom();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::fuzz;
  InitOnce();
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    RawMessages(SplitRecords(data + 1, size - 1));
  } else {
    SealedFrames(SplitRecords(data + 1, size - 1, parley::wire::kMaxFramePlaintext));
  }
  return 0;
}
