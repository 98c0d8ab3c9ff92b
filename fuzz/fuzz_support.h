// Set-up shared by the fuzz targets and the seed generator: fixed keys (so that seeds made
// once stay meaningful), a fresh in-memory replica, reading everything a replica holds, and
// a small real store on disk to damage.
//
// Everything here aborts on set-up failure: a fuzzer that cannot build its fixture must
// stop loudly, not report the fixture's failure as a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "log/change_codec.h"
#include "parley/change.pb.h"
#include "parley/core/crypto.h"
#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/testing/fake_env.h"

namespace parley::fuzz {

using FakeClock = parley::testing::FakeClock;

// Aborts with `what` and the status when it is not OK.
void Require(const Status& status, const char* what);
template <typename T>
T RequireValue(Result<T> r, const char* what) {
  Require(r.status(), what);
  return std::move(r).value();
}

// Calls crypto::InitCrypto once and aborts if it fails.
void InitOnce();

// Fixed, public test keys: a vault id, an epoch-1 key, and an author's signing key pair.
const crypto::Bytes& FixedVault();
const crypto::Bytes& FixedEpochKey();
const crypto::SignKeyPair& FixedAuthor();

// Seals `body` as change `seq` of FixedAuthor() in FixedVault() under FixedEpochKey()
// (`prev` is the previous change's id, empty for seq 1). Errors are returned (a body the
// codec refuses to seal is not a fixture failure).
Result<pb::Change> SealWithFixedKeys(const pb::ChangeBody& body, std::uint64_t seq,
                                     crypto::ByteView prev);

// Enrolment (fuzz_invite): a joining device with fixed keys (identity, sealing key and
// enrolment secret), and a valid invite for it from FixedAuthor(), the founder and only
// admin of a vault whose id is derived from FixedAuthor() and a fixed nonce, holding
// FixedEpochKey() as epoch 1 (docs/enrolment.md).
const store::DeviceKeys& FixedJoiner();
std::vector<std::uint8_t> FixedInvite();
// `invite` with its signature remade by FixedAuthor() and its MAC by FixedJoiner()'s
// secret, when it parses as an Invite (unchanged otherwise).
std::vector<std::uint8_t> ResignInvite(const std::vector<std::uint8_t>& invite);

// A fresh in-memory store with a vault, and its replica on a fake clock.
struct MemoryReplica {
  std::unique_ptr<FakeClock> clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<log::Replica> replica;
  log::ChangeLink genesis{};  // link of the vault's first change (prev of the second)
};
MemoryReplica NewMemoryReplica();

// Reads every record (deleted ones too), its history, the conflicts, the version vector and
// every change. Errors are ignored: the point is that reading never crashes.
void ReadEverything(log::Replica& replica);

// Writes `bytes` to `path` (creating or truncating it); aborts on failure.
void WriteFileOrDie(const std::string& path, const std::vector<std::uint8_t>& bytes);
// The file's bytes, or empty when it does not exist.
std::vector<std::uint8_t> ReadFileOrEmpty(const std::string& path);

// Fixed passphrase of the fixture stores.
inline constexpr char kPassphrase[] = "fuzz passphrase";

}  // namespace parley::fuzz
