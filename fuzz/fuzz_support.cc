#include "fuzz_support.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace parley::fuzz {

void Require(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "fuzz fixture: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

void InitOnce() {
  static const bool done = [] {
    Require(crypto::InitCrypto(), "init crypto");
    // Malformed strings in fuzz input make protobuf log each refusal; the refusal itself
    // is what is tested, the log is noise.
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)done;
}

const crypto::Bytes& FixedVault() {
  static const crypto::Bytes v(32, 0x11);
  return v;
}

const crypto::Bytes& FixedEpochKey() {
  static const crypto::Bytes k(crypto::kAeadKeySize, 0x22);
  return k;
}

const crypto::SignKeyPair& FixedAuthor() {
  static const crypto::SignKeyPair kp = crypto::SignKeyPairFromSeed(crypto::Bytes(32, 0x33));
  return kp;
}

Result<pb::Change> SealWithFixedKeys(const pb::ChangeBody& body, std::uint64_t seq,
                                     crypto::ByteView prev) {
  log::SealParams p;
  p.vault = FixedVault();
  p.author = &FixedAuthor();
  p.seq = seq;
  p.prev = prev;
  p.epoch = 1;
  p.epoch_key = FixedEpochKey();
  pb::Change change;
  log::ChangeId id{};
  PARLEY_RETURN_IF_ERROR(log::SealChange(p, body, &change, &id));
  return change;
}

MemoryReplica NewMemoryReplica() {
  MemoryReplica m;
  m.clock = std::make_unique<FakeClock>();
  m.store = RequireValue(store::Store::CreateInMemoryForTesting("fuzz"), "in-memory store");
  m.replica = RequireValue(log::Replica::Open(*m.store, *m.clock), "open replica");
  Require(m.replica->CreateVault("fuzz"), "create vault");
  std::vector<pb::Change> all = RequireValue(m.replica->ChangesSince({}), "changes");
  if (all.empty()) Require(Status(Domain::kLog, Code::kInternal, "no genesis change"), "genesis");
  const auto& vault = m.store->vault();
  if (!vault) Require(Status(Domain::kLog, Code::kInternal, "no vault keys"), "vault");
  const log::ChangeId genesis_id =
      RequireValue(log::CheckChange(all.front(), crypto::ByteView(vault->vault_id)), "check genesis").id;
  m.genesis = log::ChangeLinkOf(genesis_id, all.front().signature());
  return m;
}

void ReadEverything(log::Replica& replica) {
  auto records = replica.List("", /*include_deleted=*/true);
  if (records.ok()) {
    for (const log::Record& r : *records) {
      (void)replica.Get(r.id);
      (void)replica.History(r.id);
      for (const log::Field& f : r.fields) (void)f.newest();
      (void)replica.ResolvePrefix(log::ToString(r.id).substr(0, 6));
    }
  }
  (void)replica.Conflicts();
  (void)replica.Known();
  (void)replica.ChangesSince({});
  (void)replica.ChangeCount();
}

void WriteFileOrDie(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) Require(Status(Domain::kPlatform, Code::kIoError, "cannot write " + path), "write file");
}

std::vector<std::uint8_t> ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace parley::fuzz
