// Fuzz target: importing a bundle file.
//
// For each input, an exporting device (in-memory store) makes a vault and a few changes and
// exports them as a bundle, and a fresh importing device is invited to the vault. (Both are
// made anew each time so that no state carries over from one input to the next: a crash
// replays from its input alone, and the leak checker sees balanced allocations.) The
// importer then imports a file built from the input:
//   even first byte: the rest of the input is the whole file;
//   odd first byte: the rest is an edit script applied to the valid bundle, in 5-byte edits
//     (kind, 24-bit little-endian offset, value); kinds (mod 5): flip a byte, set a byte,
//     truncate, append `value` bytes, copy 64 bytes from one offset to another.
// The import must succeed for the intact bundle (anything else aborts: a regression) and
// must refuse every damaged one whole, never crash. Afterwards everything the importer holds
// is read back, and the file is imported a second time (idempotence path).
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "parley/core/bundle.h"
#include "parley/platform/posix_env.h"

namespace parley::fuzz {
namespace {

struct Fixture {
  std::string root;
  std::string valid;  // where the exporter writes its bundle
  std::string file;   // where each input's bundle is written

  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

void SetUp(Fixture* fx) {
  InitOnce();
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/parley-fuzz-bundle-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) std::abort();
  fx->root = templ;
  fx->valid = fx->root + "/valid.bundle";
  fx->file = fx->root + "/input.bundle";
}

// Made on first use; its destructor (at exit) removes the scratch directory.
Fixture& GetFixture() {
  static Fixture fx;
  static const bool ready = (SetUp(&fx), true);
  (void)ready;
  return fx;
}

// An exporter with three notes, and its bundle of everything.
std::vector<std::uint8_t> MakeBundle(MemoryReplica& exporter, const std::string& path) {
  log::Replica& r = *exporter.replica;
  for (int round = 0; round < 3; ++round) {
    auto txn = RequireValue(r.Begin(), "begin");
    log::RecordId id = RequireValue(txn->Create("note"), "create");
    Require(txn->Set(id, "text", "bundle note " + std::to_string(round)), "set");
    (void)RequireValue(txn->Commit(), "commit");
  }
  (void)RequireValue(bundle::ExportBundle(r, *exporter.store, PosixEnv(), path), "export");
  std::vector<std::uint8_t> bytes = ReadFileOrEmpty(path);
  if (bytes.empty()) Require(Status(Domain::kLog, Code::kInternal, "empty bundle"), "export");
  return bytes;
}

void ApplyEdit(const std::uint8_t* e, std::vector<std::uint8_t>& file) {
  const std::size_t off = static_cast<std::size_t>(e[1]) | static_cast<std::size_t>(e[2]) << 8 |
                          static_cast<std::size_t>(e[3]) << 16;
  const std::uint8_t value = e[4];
  switch (e[0] % 5) {
    case 0:
      if (!file.empty()) file[off % file.size()] ^= (value | 1);
      break;
    case 1:
      if (!file.empty()) file[off % file.size()] = value;
      break;
    case 2:
      file.resize(off % (file.size() + 1));
      break;
    case 3:
      file.insert(file.end(), value, static_cast<std::uint8_t>(off));
      break;
    case 4:
      if (file.size() > 64) {
        const std::size_t span = file.size() - 64;
        std::copy_n(file.begin() + static_cast<std::ptrdiff_t>(off % span), 64,
                    file.begin() + static_cast<std::ptrdiff_t>(value % span));
      }
      break;
  }
}

}  // namespace
}  // namespace parley::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley;        // NOLINT(google-build-using-namespace)
  using namespace parley::fuzz;  // NOLINT(google-build-using-namespace)
  Fixture& fx = GetFixture();
  if (size == 0) return 0;

  MemoryReplica exporter = NewMemoryReplica();
  const std::vector<std::uint8_t> valid = MakeBundle(exporter, fx.valid);
  std::vector<std::uint8_t> file;
  bool intact = false;
  if ((data[0] & 1) == 0) {
    file.assign(data + 1, data + size);
  } else {
    file = valid;
    for (std::size_t i = 1; i + 5 <= size; i += 5) ApplyEdit(data + i, file);
    intact = file == valid;
  }
  WriteFileOrDie(fx.file, file);

  // A fresh importer, invited to the exporter's vault.
  FakeClock clock;
  auto store = RequireValue(store::Store::CreateInMemoryForTesting("importer"), "importer store");
  auto replica = RequireValue(log::Replica::Open(*store, clock), "importer replica");
  auto invite = RequireValue(exporter.replica->Invite(replica->DevicePairingCode()), "invite");
  Require(replica->AcceptInvite(invite), "accept invite");

  auto report = bundle::ImportBundle(*replica, *store, PosixEnv(), fx.file);
  if (intact) Require(report.status(), "importing the intact bundle");
  ReadEverything(*replica);
  (void)bundle::ImportBundle(*replica, *store, PosixEnv(), fx.file);
  return 0;
}
