// Fuzz target: decoding a received change.
//
// The first byte picks what the rest is:
//   even: the bytes of a Change message as received (from a relay or a bundle). It is
//         parsed, checked (header sanity, id, signature) against FixedVault(), and its body
//         opened with FixedEpochKey(). Forged input must be refused, never crash.
//   odd:  the plaintext bytes of a ChangeBody. They are parsed leniently, sealed and signed
//         with the fixed keys, and the result must check (a change the codec sealed itself
//         and that fails its own check is a bug: abort). The body is then opened and
//         checked; when it passes, it is sealed again as the next change of a fresh
//         in-memory replica's own device, applied (twice: the second is a duplicate), and
//         everything the replica holds is read back.
#include <cstdio>
#include <cstdlib>

#include "fuzz_support.h"

namespace parley::fuzz {
namespace {

void DecodeReceived(const std::uint8_t* data, std::size_t size) {
  pb::Change change;
  if (!change.ParseFromArray(data, static_cast<int>(size))) return;
  auto checked = log::CheckChange(change, FixedVault());
  if (!checked.ok()) return;
  (void)log::OpenBody(change, FixedEpochKey());
}

void ApplyBody(const std::uint8_t* data, std::size_t size) {
  pb::ChangeBody body;
  if (!body.ParseFromArray(data, static_cast<int>(size))) return;
  auto sealed = SealWithFixedKeys(body, 1, {});
  if (!sealed.ok()) return;
  auto checked = log::CheckChange(*sealed, FixedVault());
  if (!checked.ok()) {
    std::fprintf(stderr, "a change sealed by the codec fails its own check: %s\n",
                 checked.status().ToString().c_str());
    std::abort();
  }
  auto opened = log::OpenBody(*sealed, FixedEpochKey());
  if (!opened.ok()) return;

  MemoryReplica m = NewMemoryReplica();
  const store::VaultKeys& vault = *m.store->vault();
  log::SealParams p;
  p.vault = vault.vault_id;
  p.author = &m.store->device().identity;
  p.seq = 2;
  p.prev = m.genesis;
  p.epoch = vault.Current()->epoch;
  p.epoch_key = vault.Current()->key.view();
  std::vector<pb::Change> changes(1);
  log::ChangeId id{};
  if (!log::SealChange(p, *opened, &changes[0], &id).ok()) return;
  (void)m.replica->Apply(changes);
  (void)m.replica->Apply(changes);
  ReadEverything(*m.replica);
}

}  // namespace
}  // namespace parley::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parley::fuzz::InitOnce();
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    parley::fuzz::DecodeReceived(data + 1, size - 1);
  } else {
    parley::fuzz::ApplyBody(data + 1, size - 1);
  }
  return 0;
}
