// Which storage the relay processes of a test use. By default each relay keeps its SQLite
// file in its data directory, as deployed. With PARLEY_TEST_RELAY_STORAGE=postgresql in the
// environment (ctest runs the relay suite a second time so: tests/relay/extra.cmake), every
// relay started through RelayProcess stores in PostgreSQL instead: one server for the whole
// test program (support/postgres_server.h, started at the first relay and stopped when the
// program exits), one database per relay data directory, so a relay restarted over the same
// directory finds its data and two relays of one test keep theirs apart.
//
// Thread safety: any thread.
#pragma once

#include <string>
#include <vector>

#include "parley/platform/status.h"

namespace parley::testing {

// True when PARLEY_TEST_RELAY_STORAGE asks for PostgreSQL.
bool RelayTestsUsePostgres();
// The `serve` arguments that choose the storage for `data_dir`: none for SQLite;
// {"--storage", URI} for PostgreSQL (the server started and the database created on first
// use). Code::kUnavailable (with the server's log) when PostgreSQL cannot be started.
Result<std::vector<std::string>> RelayStorageArgs(const std::string& data_dir);

}  // namespace parley::testing
