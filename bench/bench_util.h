// Shared pieces of parley-bench: options, figure output, timing, scratch directories,
// deterministic note text, and fresh stores.
//
// Output contract: every figure is one line on standard output, "name value unit".
// Anything else (configuration, progress) goes to standard error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/platform/env.h"

namespace parley::bench {

struct Options {
  bool quick = false;   // a small, fast run (smoke test; figures are not comparable)
  std::string filter;   // run only figures whose name contains this
  std::string scratch;  // parent of the scratch directory ("" = $TMPDIR or /tmp)
  std::string relay;    // the parley-relay binary ("" = the one beside parley-bench)
};

// True when a figure called `name` is selected by the filter.
bool Wanted(const Options& options, std::string_view name);

// Prints "name value unit" on standard output.
void Report(std::string_view name, double value, std::string_view unit);

// Prints a line to standard error (configuration and progress only; never secrets).
void Note(const std::string& line);

// Exits with status 1 and the error on standard error when `status` is not OK.
void Check(const Status& status, std::string_view what);
template <typename T>
T Take(Result<T> result, std::string_view what) {
  Check(result.status(), what);
  return std::move(result).value();
}

class Stopwatch {
 public:
  Stopwatch();
  double ElapsedMs() const;
  double ElapsedS() const { return ElapsedMs() / 1000.0; }

 private:
  std::int64_t start_ns_;
};

// The q-quantile (0..1) of `samples` (nearest rank). REQUIRES: samples not empty.
double Quantile(std::vector<double> samples, double q);

// A fresh directory, removed with its contents on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const Options& options);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(std::string_view name) const;

 private:
  std::string path_;
};

// Deterministic lowercase text of `size` bytes; different for each `seed`.
std::string NoteText(std::uint64_t seed, std::size_t size);

// A store created in its own scratch directory, opened, with a vault and a Replica.
// Creation uses `argon2` (the floor by default: the figures that do not measure unlocking
// should not pay for it).
struct BenchStore {
  std::unique_ptr<ScratchDir> dir;
  std::unique_ptr<KeyStore> key_store;
  std::string data_dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<log::Replica> replica;
};
inline constexpr std::string_view kPassphrase = "benchmark passphrase";
BenchStore OpenFreshStore(const Options& options, const crypto::Argon2Params& argon2,
                          bool with_replica);

}  // namespace parley::bench
