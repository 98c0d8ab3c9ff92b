#include "store/checkpointer.h"

#include "parley/core/sqlite_util.h"
#include "store/tuning.h"

namespace parley::store::internal {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(sqlite3* db, const std::string& path,
                                                          const char* vfs_name) {
  sqlite3* own = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &own, flags, vfs_name);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, own, "opening the checkpoint connection", Domain::kStore);
    sqlite3_close(own);
    return s;
  }
  // The checkpoint syncs the WAL before copying and the database after, as on the writer.
  Status s = Exec(own, "PRAGMA synchronous=FULL;", Domain::kStore);
  if (!s.ok()) {
    sqlite3_close(own);
    return s;
  }
  std::unique_ptr<Checkpointer> c(new Checkpointer(db, own));
  c->thread_ = std::thread([p = c.get()] { p->Run(); });
  sqlite3_wal_hook(db, &Checkpointer::OnCommit, c.get());
  return c;
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(db_, nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (sqlite3_close(own_) != SQLITE_OK) sqlite3_close_v2(own_);
}

int Checkpointer::OnCommit(void* self, sqlite3* db, const char* schema, int frames) {
  auto* c = static_cast<Checkpointer*>(self);
  if (frames >= tuning::kWalForegroundCheckpointPages) {
    // The thread is behind: bound the WAL here. Errors are left to the next attempt, as
    // with SQLite's own automatic checkpoint (the commit itself has succeeded).
    (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  if (frames >= tuning::kWalAutoCheckpointPages) {
    {
      std::lock_guard<std::mutex> lock(c->mu_);
      c->requested_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stop_; });
    if (stop_) return;
    requested_ = false;
    lock.unlock();
    const int rc =
        sqlite3_wal_checkpoint_v2(own_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    runs_.fetch_add(1);
    // SQLITE_BUSY: another checkpoint is running (the writer's); nothing is lost either way.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) failures_.fetch_add(1);
    lock.lock();
    ran_.notify_all();
  }
}

std::uint64_t Checkpointer::WaitForRuns(std::uint64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  ran_.wait_for(lock, timeout, [&] { return runs_.load() >= count; });
  return runs_.load();
}

}  // namespace parley::store::internal
