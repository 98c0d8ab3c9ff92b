// The relay fixture of fuzz_relay_frames (and of its seeds): a real RelayServer on
// 127.0.0.1 over SQLite storage in a temporary directory, and a loopback client that
// completes the Noise XK handshake and Authenticate and then sends the fuzzer's bytes as
// frame plaintexts.
//
// The storage starts from a template made once per process (in $TMPDIR): FixedVault() is
// registered with FixedAdminDevice() as creator, its membership list (version 1, signed by
// the admin) holds the admin and FixedMemberDevice(), and the first kTemplateChanges
// changes of FixtureChanges() are stored. Every LiveRelay copies the template, so no state
// carries over from one input to the next.
//
// Everything here is built on the public headers of parley::sync and parley::relay only.
// Set-up failures abort (see fuzz_support.h); what the relay answers is returned for the target to
// judge. Thread safety: one thread at a time (the relay runs its own threads inside).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parley/relay/relay_server.h"
#include "parley/sync/noise.h"
#include "wire_support.h"

namespace parley::fuzz {

// A chain of changes by FixedAuthor() in FixedVault() (seq 1, 2, ...), sealed once per
// process with SealWithFixedKeys() from the deterministic random source (which must be
// installed, and is reset), so that it is the same in every process.
const std::vector<pb::Change>& FixtureChanges();
inline constexpr std::size_t kTemplateChanges = 2;

// The documented relay check of a pushed change (docs/change-format.md): the 32-byte id
// BLAKE2b-256("parley/change-id/v1" || le64(len(header)) || header || body), and the
// author's signature over "parley/change/v1" || id. The id, or an error.
Result<crypto::Bytes> RelayChangeId(const pb::Change& change, crypto::ByteView vault);

class LiveRelay {
 public:
  // Copies the template storage and starts a relay on a free loopback port.
  LiveRelay();
  // Stops the relay (RequestStop + Wait) and deletes its storage.
  ~LiveRelay();
  LiveRelay(const LiveRelay&) = delete;
  LiveRelay& operator=(const LiveRelay&) = delete;

  std::uint16_t port() const { return server_->port(); }

 private:
  std::string db_path_;
  std::unique_ptr<relay::RelayServer> server_;
};

class LoopbackClient {
 public:
  // Connects to 127.0.0.1:port as `device`, runs the handshake and Authenticate and expects
  // Welcome; aborts otherwise (the fixture is broken, not the fuzz input).
  LoopbackClient(std::uint16_t port, const FixedDevice& device);
  ~LoopbackClient();  // closes the socket
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;

  // Encrypts each plaintext as one transport message (the bytes are sent as given, parsed
  // or not), then a Ping{nonce} with id `ping_id`, reading answers all along. Returns every
  // frame received, in order, up to and including the answer to the Ping (the
  // (plaintexts.size() + 1)-th frame that is not a Notify). Code::kUnavailable when the
  // relay closes the connection or `timeout` passes first; Code::kCorrupt when an answer
  // does not decrypt or parse.
  Result<std::vector<pb::Frame>> Exchange(const std::vector<crypto::ByteView>& plaintexts,
                                          std::uint64_t ping_id, std::uint64_t nonce,
                                          std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  noise::CipherState send_;
  noise::CipherState recv_;
};

}  // namespace parley::fuzz
