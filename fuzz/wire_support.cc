#include "wire_support.h"

#include <sodium.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "parley/sync/session.h"

namespace parley::fuzz {

std::vector<crypto::ByteView> SplitRecords(const std::uint8_t* data, std::size_t size,
                                           std::size_t max_size) {
  std::vector<crypto::ByteView> out;
  std::size_t pos = 0;
  while (pos < size) {
    std::size_t n = size - pos;
    std::size_t start = pos;
    if (size - pos >= 2) {
      const std::size_t announced = (static_cast<std::size_t>(data[pos]) << 8) | data[pos + 1];
      start = pos + 2;
      n = std::min(announced, size - start);
    } else {
      start = pos;  // a lone byte: a record of its own
      n = size - pos;
    }
    out.emplace_back(data + start, std::min(n, max_size));
    pos = start + n;
  }
  return out;
}

namespace {
std::FILE* g_failure_stream = nullptr;
}  // namespace

void KeepFailureStream() {
  if (g_failure_stream != nullptr) return;
  const int fd = dup(STDERR_FILENO);
  if (fd >= 0) g_failure_stream = fdopen(fd, "w");
}

void Fail(const std::string& what) {
  std::FILE* out = g_failure_stream != nullptr ? g_failure_stream : stderr;
  std::fprintf(out, "%s\n", what.c_str());
  std::fflush(out);
  std::abort();
}

void AppendRecord(Blob& out, crypto::ByteView bytes) {
  if (bytes.size() > 0xffff)
    Require(Status(Domain::kSync, Code::kInternal, "record over 65535 bytes"), "record");
  out.push_back(static_cast<std::uint8_t>(bytes.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(bytes.size() & 0xff));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

namespace {

// splitmix64: tiny, fast and plenty for keys that are public anyway.
struct DeterministicSource {
  std::mutex mu;
  std::uint64_t state = 0;
};

DeterministicSource& Source() {
  static DeterministicSource s;
  return s;
}

std::uint64_t NextLocked(DeterministicSource& s) {
  std::uint64_t z = (s.state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

const char* DeterministicName() { return "parley-fuzz-deterministic"; }

std::uint32_t DeterministicRandom() {
  DeterministicSource& s = Source();
  std::lock_guard<std::mutex> lock(s.mu);
  return static_cast<std::uint32_t>(NextLocked(s));
}

void DeterministicBuf(void* const buf, const std::size_t size) {
  DeterministicSource& s = Source();
  std::lock_guard<std::mutex> lock(s.mu);
  auto* out = static_cast<std::uint8_t*>(buf);
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t v = NextLocked(s);
    std::memcpy(out + i, &v, std::min<std::size_t>(8, size - i));
  }
}

randombytes_implementation g_deterministic = {
    &DeterministicName, &DeterministicRandom, nullptr, nullptr, &DeterministicBuf, nullptr,
};

}  // namespace

const char* DeterministicRandomName() { return DeterministicName(); }

void UseDeterministicRandom() {
  static const bool done = [] {
    if (randombytes_set_implementation(&g_deterministic) != 0) {
      Require(Status(Domain::kCrypto, Code::kInternal, "randombytes_set_implementation failed"),
              "random");
    }
    return true;
  }();
  (void)done;
}

void ResetDeterministicRandom() {
  DeterministicSource& s = Source();
  std::lock_guard<std::mutex> lock(s.mu);
  s.state = 0x7061726c6579ULL;  // "parley"
}

const crypto::DhKeyPair& FixedRelayKey() {
  static const crypto::DhKeyPair k = crypto::DhKeyPairFromSecret(crypto::Bytes(32, 0x44));
  return k;
}

const FixedDevice& FixedAdminDevice() {
  static const FixedDevice d{
      crypto::SignKeyPairFromSeed(crypto::Bytes(32, 0x33)),  // == FixedAuthor()
      crypto::DhKeyPairFromSecret(crypto::Bytes(32, 0x55))};
  return d;
}

const FixedDevice& FixedMemberDevice() {
  static const FixedDevice d{crypto::SignKeyPairFromSeed(crypto::Bytes(32, 0x66)),
                             crypto::DhKeyPairFromSecret(crypto::Bytes(32, 0x77))};
  return d;
}

const crypto::DhKeyPair& FixedInitiatorEphemeral() {
  static const crypto::DhKeyPair k = crypto::DhKeyPairFromSecret(crypto::Bytes(32, 0x88));
  return k;
}

noise::HandshakeConfig FixedInitiatorConfig() {
  noise::HandshakeConfig c;
  c.pattern = noise::Pattern::kXK;
  c.initiator = true;
  c.prologue = crypto::Bytes(wire::kPrologue.begin(), wire::kPrologue.end());
  c.s = crypto::DhKeyPairFromSecret(FixedAdminDevice().kx.secret_key.view());
  c.rs = FixedRelayKey().public_key;
  c.e = crypto::DhKeyPairFromSecret(FixedInitiatorEphemeral().secret_key.view());
  return c;
}

}  // namespace parley::fuzz
