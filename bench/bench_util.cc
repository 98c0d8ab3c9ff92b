#include "bench_util.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "parley/platform/posix_env.h"

namespace parley::bench {

bool Wanted(const Options& options, std::string_view name) {
  return options.filter.empty() || name.find(options.filter) != std::string_view::npos;
}

void Report(std::string_view name, double value, std::string_view unit) {
  std::printf("%.*s %.3f %.*s\n", static_cast<int>(name.size()), name.data(), value,
              static_cast<int>(unit.size()), unit.data());
  std::fflush(stdout);
}

void Note(const std::string& line) { std::cerr << "# " << line << std::endl; }

void Check(const Status& status, std::string_view what) {
  if (status.ok()) return;
  std::cerr << "parley-bench: " << what << ": " << status.ToString() << std::endl;
  std::exit(1);
}

namespace {
std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Stopwatch::Stopwatch() : start_ns_(NowNs()) {}

double Stopwatch::ElapsedMs() const { return static_cast<double>(NowNs() - start_ns_) / 1e6; }

double Quantile(std::vector<double> samples, double q) {
  std::sort(samples.begin(), samples.end());
  const double rank = std::ceil(q * static_cast<double>(samples.size()));
  std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  if (index >= samples.size()) index = samples.size() - 1;
  return samples[index];
}

ScratchDir::ScratchDir(const Options& options) {
  std::string parent = options.scratch;
  if (parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    parent = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  std::string templ = parent + "/parley-bench-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    std::cerr << "parley-bench: cannot create a scratch directory under " << parent << std::endl;
    std::exit(1);
  }
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScratchDir::Sub(std::string_view name) const { return JoinPath(path_, name); }

std::string NoteText(std::uint64_t seed, std::size_t size) {
  // xorshift64*: cheap, deterministic, and not compressible into a pattern SQLite could share.
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  std::string out(size, ' ');
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    const std::uint64_t r = (x * 0x2545F4914F6CDD1DULL) >> 59;  // 0..31
    out[i] = r < 26 ? static_cast<char>('a' + r) : ' ';
  }
  return out;
}

BenchStore OpenFreshStore(const Options& options, const crypto::Argon2Params& argon2,
                          bool with_replica) {
  BenchStore b;
  b.dir = std::make_unique<ScratchDir>(options);
  Env& env = PosixEnv();
  b.key_store = NewFileKeyStore(env, b.dir->Sub("keystore"));
  b.data_dir = b.dir->Sub("data");
  store::StoreOptions so;
  so.data_dir = b.data_dir;
  so.argon2 = argon2;
  so.device_name = "bench";
  Check(store::Store::Create(env, *b.key_store, so, kPassphrase), "create store");
  b.store = Take(store::Store::Open(env, *b.key_store, b.data_dir, kPassphrase), "open store");
  if (with_replica) {
    b.replica = Take(log::Replica::Open(*b.store, SystemClock()), "open replica");
    Check(b.replica->CreateVault("bench"), "create vault");
  }
  return b;
}

}  // namespace parley::bench
