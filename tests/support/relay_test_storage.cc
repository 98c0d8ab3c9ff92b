#include "support/relay_test_storage.h"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>

#include "parley/core/crypto.h"
#include "support/postgres_server.h"

namespace parley::testing {
namespace {

struct Shared {
  std::mutex mu;
  std::unique_ptr<PostgresServer> server;  // lives until the program exits
  std::set<std::string> databases;         // created so far
};

Shared& State() {
  static Shared* shared = new Shared;  // never destroyed: relays may outlive static teardown
  return *shared;
}

// A database name for `data_dir`: a hash of its path (names are limited to 63 bytes).
std::string DatabaseFor(const std::string& data_dir) {
  const crypto::Hash digest = crypto::Blake2b256(crypto::AsBytes(data_dir));
  return "relay_" + crypto::ToHex(crypto::ByteView(digest.data(), 12));
}

}  // namespace

bool RelayTestsUsePostgres() {
  const char* v = std::getenv("PARLEY_TEST_RELAY_STORAGE");
  return v != nullptr && std::string(v) == "postgresql";
}

Result<std::vector<std::string>> RelayStorageArgs(const std::string& data_dir) {
  if (!RelayTestsUsePostgres()) return std::vector<std::string>{};
  Shared& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.server) {
    auto server = std::make_unique<PostgresServer>();
    PARLEY_RETURN_IF_ERROR(server->Start());
    s.server = std::move(server);
    // Stopped (and its directory removed) when the program exits normally; killed with it
    // otherwise (PostgresServer's parent-death signal).
    std::atexit([] { State().server.reset(); });
  }
  const std::string db = DatabaseFor(data_dir);
  if (s.databases.insert(db).second) {
    PARLEY_RETURN_IF_ERROR(s.server->CreateDatabase(db));
  }
  return std::vector<std::string>{"--storage", s.server->UriOf(db)};
}

}  // namespace parley::testing
