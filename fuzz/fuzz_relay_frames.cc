// Fuzz target: the relay's handling of frames after authentication.
//
// Every input gets a fresh relay (relay_fixture.h: a real RelayServer on 127.0.0.1 over a
// copy of the template SQLite storage, with FixedVault() registered and two members) and a
// loopback client that completes the handshake and Authenticate. Input: a flags byte, then
// records (wire_support.h), each the plaintext of one transport message, sent as given
// (parsed as a Frame or not). Flags & 1: the client is the plain member, otherwise the
// vault's admin. After the records the client sends a Ping and reads until its answer.
//
// What must hold (docs/wire-protocol.md, "Frames after authentication"):
//   - the relay answers every message, one answer each, in order, and then the Ping with
//     its Pong: the connection stays open and usable whatever the frames were;
//   - an answer echoes its frame's id; bytes that are not a Frame get ERROR_MALFORMED (id 0);
//   - the answer's type is the one the request type allows (or an Error); types a device
//     does not send, and frames with no body, get ERROR_UNSUPPORTED;
//   - a PushAck holds one ack per pushed change, and every change it accepts has the
//     documented id, a valid signature by a member of the vault, and a relay_seq.
// Nothing of the relay's state carries over to the next input.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "relay_fixture.h"

namespace parley::fuzz {
namespace {

constexpr std::uint64_t kPingId = 0x70696e67;  // "ping"
constexpr std::uint64_t kPingNonce = 0x5eed;

[[noreturn]] void Fail(std::size_t index, const std::string& what) {
  parley::fuzz::Fail("fuzz_relay_frames: message " + std::to_string(index) + ": " + what);
}

bool IsMember(const std::string& identity) {
  for (const FixedDevice* d : {&FixedAdminDevice(), &FixedMemberDevice()}) {
    if (crypto::ConstantTimeEqual(crypto::AsBytes(identity), d->identity.public_key)) return true;
  }
  return false;
}

void CheckPushAck(std::size_t index, const pb::Push& push, const pb::PushAck& ack) {
  if (ack.acks_size() != push.changes_size()) Fail(index, "a PushAck without one ack per change");
  for (int i = 0; i < ack.acks_size(); ++i) {
    const pb::ChangeAck& a = ack.acks(i);
    if (a.refusal() != pb::REFUSAL_NONE) {
      if (a.relay_seq() != 0) Fail(index, "a refused change has a relay_seq");
      if (a.reason().empty()) Fail(index, "a refusal without a reason");
      continue;
    }
    const pb::Change& change = push.changes(i);
    auto id = RelayChangeId(change, crypto::AsBytes(push.vault()));
    if (!id.ok())
      Fail(index, "the relay accepted a change that does not verify: " + id.status().message());
    if (a.change_id() != std::string(id->begin(), id->end()))
      Fail(index, "an ack names another change id");
    if (a.relay_seq() == 0) Fail(index, "an accepted change without a relay_seq");
    pb::ChangeHeader h;
    if (!h.ParseFromString(change.header()) || !IsMember(h.author())) {
      Fail(index, "the relay accepted a change by a non-member");
    }
  }
}

// The answer `answer` to the message `plain` (the index-th of the input).
void CheckAnswer(std::size_t index, crypto::ByteView plain, const pb::Frame& answer) {
  auto request = wire::ParseFrame(plain);
  if (!request.ok()) {
    if (answer.id() != 0 || answer.body_case() != pb::Frame::kError ||
        answer.error().code() != pb::ERROR_MALFORMED) {
      Fail(index, "bytes that are not a frame did not get ERROR_MALFORMED with id 0");
    }
    return;
  }
  if (answer.id() != request->id()) Fail(index, "the answer does not echo the frame's id");
  const auto body = answer.body_case();
  const bool error = body == pb::Frame::kError;
  if (error && answer.error().code() == pb::ERROR_NONE) Fail(index, "an Error with ERROR_NONE");
  auto expect = [&](pb::Frame::BodyCase allowed) {
    if (body != allowed && !error) {
      Fail(index, std::string("a ") + wire::FrameTypeName(*request) + " was answered with " +
                      wire::FrameTypeName(answer));
    }
  };
  switch (request->body_case()) {
    case pb::Frame::kPush:
      expect(pb::Frame::kPushAck);
      if (body == pb::Frame::kPushAck) CheckPushAck(index, request->push(), answer.push_ack());
      break;
    case pb::Frame::kPull:
      expect(pb::Frame::kPullBatch);
      break;
    case pb::Frame::kSubscribe:
    case pb::Frame::kRegisterVault:
    case pb::Frame::kSetMembership:
    case pb::Frame::kPutEnvelope:
    case pb::Frame::kPurge:
      expect(pb::Frame::kDone);
      break;
    case pb::Frame::kGetEnvelopes:
      expect(pb::Frame::kEnvelopes);
      break;
    case pb::Frame::kPing:
      if (body != pb::Frame::kPong || answer.pong().nonce() != request->ping().nonce()) {
        Fail(index, "a Ping was not answered with its Pong");
      }
      break;
    default:
      if (!error || answer.error().code() != pb::ERROR_UNSUPPORTED) {
        Fail(index, std::string("a ") + wire::FrameTypeName(*request) +
                        " frame did not get ERROR_UNSUPPORTED");
      }
      break;
  }
}

}  // namespace
}  // namespace parley::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The fixture's changes must be the ones the seeds were made with (relay_fixture.h).
  parley::fuzz::UseDeterministicRandom();
  // Failures must be reported even when libFuzzer closes stderr (scripts/fuzz.sh does).
  parley::fuzz::KeepFailureStream();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::fuzz;
  InitOnce();
  if (size == 0) return 0;
  const FixedDevice& device = (data[0] & 1) ? FixedMemberDevice() : FixedAdminDevice();
  const auto records = SplitRecords(data + 1, size - 1, parley::wire::kMaxFramePlaintext);

  LiveRelay relay;
  LoopbackClient client(relay.port(), device);
  auto frames = client.Exchange(records, kPingId, kPingNonce, std::chrono::seconds(20));
  if (!frames.ok())
    Fail("fuzz_relay_frames: the relay stopped answering: " + frames.status().ToString());
  std::size_t index = 0;
  for (const parley::pb::Frame& f : *frames) {
    if (f.body_case() == parley::pb::Frame::kNotify) continue;
    if (index < records.size()) {
      CheckAnswer(index, records[index], f);
    } else if (f.id() != kPingId || f.body_case() != parley::pb::Frame::kPong ||
               f.pong().nonce() != kPingNonce) {
      Fail("fuzz_relay_frames: the final Ping was not answered with its Pong");
    }
    ++index;
  }
  return 0;
}
