// Background WAL checkpoints for the store's database.
//
// Copying committed WAL frames back into the database costs a decryption and an encryption
// per page and the database's fsync: about a quarter of the work of a large sync. The
// Checkpointer moves it off the writing thread: a WAL hook on the store's connection wakes a
// thread of its own, which runs PASSIVE checkpoints through a second connection to the same
// file (SQLite lets one checkpoint run while the writer appends). If the WAL still grows
// past kWalForegroundCheckpointPages, the writer checkpoints itself, as SQLite's automatic
// checkpoint would, so the WAL stays bounded whatever the thread manages.
//
// A failed background checkpoint loses nothing (the frames stay in the WAL and the next
// one retries); it is counted in failures(). Durability is unchanged: a commit is durable
// when it returns (synchronous=FULL), checkpointed or not.
//
// Ownership: the Checkpointer does not own `db`; it must be destroyed before `db` is closed
// and before the VFS is unregistered. Destruction stops the thread and closes its
// connection. Thread safety: Start and destruction on the thread that owns `db`; the hook
// runs on whichever thread commits through `db`.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "parley/platform/status.h"

namespace parley::store::internal {

class Checkpointer {
 public:
  // Opens the second connection to `path` through `vfs_name`, starts the thread and installs
  // the WAL hook on `db` (replacing SQLite's automatic checkpoint). On failure `db` keeps
  // its automatic checkpoint and nothing is left running.
  static Result<std::unique_ptr<Checkpointer>> Start(sqlite3* db, const std::string& path,
                                                     const char* vfs_name);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Background checkpoints run so far, and how many of them failed.
  std::uint64_t runs() const { return runs_.load(); }
  std::uint64_t failures() const { return failures_.load(); }
  // Waits until at least `count` background checkpoints have run, or `timeout` passes.
  // Returns runs(). For tests and diagnostics; any thread.
  std::uint64_t WaitForRuns(std::uint64_t count, std::chrono::milliseconds timeout);

 private:
  Checkpointer(sqlite3* db, sqlite3* own) : db_(db), own_(own) {}
  static int OnCommit(void* self, sqlite3* db, const char* schema, int frames);
  void Run();

  sqlite3* const db_;   // the store's connection (not owned)
  sqlite3* const own_;  // used only by the thread
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable ran_;  // notified after each background checkpoint
  bool requested_ = false;       // guarded by mu_
  bool stop_ = false;            // guarded by mu_
  std::atomic<std::uint64_t> runs_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::thread thread_;
};

}  // namespace parley::store::internal
