// Set-up shared by the wire fuzzers (fuzz_frame_length, fuzz_handshake_responder,
// fuzz_relay_frames) and the seed generator: the record format of their inputs, fixed
// keys for the relay and its devices, and deterministic randomness.
//
// Records: an input is cut into records the way the wire cuts a stream, a 2-byte
// big-endian length then that many bytes; a last record whose length runs past the end
// is what remains. So seeds are easy to write and mutations stay aligned.
//
// Deterministic randomness replaces libsodium's random source for the whole process (call
// UseDeterministicRandom() before InitOnce()). With it, a NoiseSession::Responder created
// right after ResetDeterministicRandom() always draws the same ephemeral key, so a seed can
// hold a complete valid handshake and transport messages that still decrypt when the
// fuzzer replays them. Only the fuzz binaries use it.
//
// Everything here aborts on set-up failure (see fuzz_support.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "parley/sync/frame_codec.h"
#include "parley/sync/noise.h"

namespace parley::fuzz {

using Blob = std::vector<std::uint8_t>;

// The records of `data` (see above). Records longer than `max_size` are cut to it.
std::vector<crypto::ByteView> SplitRecords(const std::uint8_t* data, std::size_t size,
                                           std::size_t max_size = wire::kMaxWireMessage);
// Appends `bytes` as one record (REQUIRES: bytes.size() <= 65535).
void AppendRecord(Blob& out, crypto::ByteView bytes);

// Installs the deterministic random source; before InitOnce(). Idempotent.
void UseDeterministicRandom();
// Restarts its stream from a fixed state.
void ResetDeterministicRandom();
// The name the deterministic source reports (randombytes_implementation_name()).
const char* DeterministicRandomName();

// Failure reports that survive libFuzzer's -close_fd_mask=2 (which closes the target's
// stderr, e.g. to silence the relay's log): KeepFailureStream(), called from
// LLVMFuzzerInitialize (before libFuzzer closes anything), keeps a copy of stderr;
// Fail() writes "<what>" there and aborts. Without the copy it writes to stderr.
void KeepFailureStream();
[[noreturn]] void Fail(const std::string& what);

// The relay's fixed X25519 static key pair.
const crypto::DhKeyPair& FixedRelayKey();

// A device: an Ed25519 identity and its X25519 transport key.
struct FixedDevice {
  crypto::SignKeyPair identity;
  crypto::DhKeyPair kx;
};
// FixedAuthor() with a fixed transport key: the vault's admin in the relay fixture.
const FixedDevice& FixedAdminDevice();
// A plain member of the fixture's vault.
const FixedDevice& FixedMemberDevice();

// The fixed ephemeral key the seed generator's initiator uses (test use of
// noise::HandshakeConfig::e).
const crypto::DhKeyPair& FixedInitiatorEphemeral();

// The XK initiator's configuration with those fixed keys: the admin device towards the
// fixed relay key, prologue "parley/1".
noise::HandshakeConfig FixedInitiatorConfig();

}  // namespace parley::fuzz
