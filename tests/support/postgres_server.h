// A real PostgreSQL server for a test: its own cluster in a temporary directory, listening
// on 127.0.0.1 at a free port (and on a socket in that directory), with fsync and
// synchronous_commit on, trust authentication for the `postgres` user, and one database,
// "parley".
//
// initdb runs once per machine user and PostgreSQL version: the cluster is kept as a
// template under $TMPDIR (parley-pg<version>-template-<uid>, made under a lock file) and
// copied (cp -a) for each server, so a test pays only the server's start. When this program
// runs as root, the cluster belongs to the `postgres` user and the server runs as that user
// (PostgreSQL refuses to run as root).
//
// Start() returns once the server accepts connections (polled with a deadline). Stop()
// shuts it down cleanly, Kill() kills it and its backends at once (as a crash would); Start()
// then starts it again over the same data, port and URI. The destructor kills it and removes
// its directory, whatever happened before, a failed test included. The server also gets
// SIGQUIT (immediate shutdown) if the thread that started it dies first.
//
// Failures: Start() returns Code::kNotFound when no PostgreSQL server binaries are
// installed (the message says what to install), Code::kUnavailable when the server does not
// start (the message holds its log). Thread safety: one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "parley/platform/status.h"

namespace parley::testing {

// The directory of initdb and postgres: `pg_config --bindir`, else the newest
// /usr/lib/postgresql/*/bin holding both. Code::kNotFound when there is none.
Result<std::string> PostgresBinDir();

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The first call makes the cluster (from the template) and picks the port; every call
  // starts the server and waits (60 s at most) until it accepts connections.
  Status Start();
  // Fast shutdown (SIGINT: connections closed, a checkpoint written) and wait.
  Status Stop();
  // SIGKILL to the server and all its processes; returns once they are gone.
  void Kill();

  // From the next Start() on, the server may not make any file larger than `bytes`
  // (RLIMIT_FSIZE, with SIGXFSZ ignored: a write past it fails with EFBIG, as when a
  // tablespace's disk is full). -1 (the default): no limit.
  void set_file_size_limit(std::int64_t bytes) { file_size_limit_ = bytes; }
  // Creates the database `name` (letters, digits and '_'). Code::kUnavailable when the
  // server refuses.
  Status CreateDatabase(const std::string& name);

  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  // libpq URI of the "parley" database, e.g. postgresql://postgres@127.0.0.1:5433/parley
  std::string uri() const { return UriOf("parley"); }
  std::string UriOf(const std::string& database) const;
  // The server's log so far (its standard error).
  std::string Log() const;

 private:
  Status Prepare();
  Status WaitReady();
  std::string dir_;  // the server's own temporary directory
  std::string bin_dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::int64_t file_size_limit_ = -1;
};

}  // namespace parley::testing
