// Online backup (sqlite3_backup_*) and read-only verification of SQLite relay storage
// (parley/relay/relay_backup.h). The tables checked are those of sqlite_storage.cc.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "parley/core/crypto.h"
#include "parley/core/sqlite_util.h"
#include "parley/relay/relay_backup.h"

namespace parley::relay {
namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr int kBackupTries = 100;   // a busy source or copy, retried
constexpr int kBackupPauseMs = 50;  // between tries
constexpr std::size_t kMaxProblemsPerKind = 5;

Status Io(int rc, sqlite3* db, std::string_view what) {
  return SqliteStatus(rc, db, what, Domain::kSync);
}

Status Errno(const std::string& what) {
  return Error(Domain::kSync, errno == ENOSPC ? Code::kDiskFull : Code::kIoError,
               what + ": " + std::strerror(errno));
}

// Closes a connection when it goes out of scope.
struct Db {
  sqlite3* db = nullptr;
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() {
    if (db != nullptr) sqlite3_close_v2(db);
  }
};

Status SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open " + path);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return Errno("cannot sync " + path);
  return Status::Ok();
}

std::string DirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Copies every page of `from` into `to` in one step (one read snapshot of `from`).
Status CopyPages(sqlite3* from, sqlite3* to) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (b == nullptr) return Io(sqlite3_errcode(to), to, "starting the backup");
  int rc = SQLITE_OK;
  for (int tries = 0; tries < kBackupTries; ++tries) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(kBackupPauseMs);
  }
  const int finish = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return Io(rc, to, "copying the storage");
  if (finish != SQLITE_OK) return Io(finish, to, "finishing the backup");
  return Status::Ok();
}

std::string ShortHex(std::span<const std::uint8_t> b) {
  return crypto::ToHex(crypto::ByteView(b.data(), std::min<std::size_t>(8, b.size())));
}

}  // namespace

Status BackupSqliteRelayStorage(const std::string& source, const std::string& dest) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) {
    return Error(Domain::kSync, Code::kNotFound, "no relay storage at " + source);
  }
  Db from;
  int rc = sqlite3_open_v2(source.c_str(), &from.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) return Io(rc, from.db, "opening " + source);
  sqlite3_busy_timeout(from.db, kBusyTimeoutMs);

  const std::string tmp = dest + ".tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  {
    // Created here with mode 0600 (SQLite would use 0644 less the umask); empty is a valid
    // database for SQLite to fill.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("cannot create " + tmp);
    ::close(fd);
  }
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    ::unlink((tmp + "-journal").c_str());
    return s;
  };
  {
    Db to;
    rc = sqlite3_open_v2(tmp.c_str(), &to.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return fail(Io(rc, to.db, "opening " + tmp));
    sqlite3_busy_timeout(to.db, kBusyTimeoutMs);
    if (Status s = CopyPages(from.db, to.db); !s.ok()) return fail(s);
    if (Status s = Exec(to.db, "PRAGMA journal_mode=DELETE", Domain::kSync); !s.ok())
      return fail(s);
  }
  if (Status s = SyncPath(tmp, O_RDONLY); !s.ok()) return fail(s);
  // An older copy's WAL would be replayed over the new file: gone before the rename.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    if (::unlink((dest + suffix).c_str()) != 0 && errno != ENOENT)
      return fail(Errno("cannot remove " + dest + suffix));
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) return fail(Errno("cannot rename to " + dest));
  return SyncPath(DirOf(dest), O_RDONLY | O_DIRECTORY);
}

Result<BackupCheck> VerifySqliteRelayStorage(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error(Domain::kSync, Code::kNotFound, "no relay storage at " + path);
  }
  Db db;
  int rc =
      sqlite3_open_v2(path.c_str(), &db.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return Io(rc, db.db, "opening " + path);
  sqlite3_busy_timeout(db.db, kBusyTimeoutMs);
  BackupCheck out;
  auto problem = [&](std::size_t* count, const std::string& what) {
    if ((*count)++ < kMaxProblemsPerKind) out.problems.push_back(what);
  };

  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db.db, "PRAGMA integrity_check"));
  std::size_t integrity = 0;
  PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& r) {
    const std::string line(r.Text(0));
    if (line != "ok") problem(&integrity, "integrity_check: " + line);
    return true;
  }));
  auto single = [&](const char* sql) -> Result<std::int64_t> {
    Stmt q;
    PARLEY_RETURN_IF_ERROR(q.Prepare(db.db, sql));
    PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  };
  PARLEY_ASSIGN_OR_RETURN(out.schema_version, single("PRAGMA user_version"));
  std::size_t missing = 0;
  for (const char* table : {"vaults", "changes", "chains", "envelopes"}) {
    Stmt q;
    PARLEY_RETURN_IF_ERROR(
        q.Prepare(db.db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"));
    q.Bind(1, std::string_view(table));
    PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) problem(&missing, std::string("no table ") + table + ": not relay storage");
  }
  if (missing > 0) return out;

  PARLEY_ASSIGN_OR_RETURN(std::int64_t vaults, single("SELECT COUNT(*) FROM vaults"));
  PARLEY_ASSIGN_OR_RETURN(std::int64_t changes, single("SELECT COUNT(*) FROM changes"));
  PARLEY_ASSIGN_OR_RETURN(std::int64_t purged,
                          single("SELECT COUNT(*) FROM changes WHERE data IS NULL"));
  PARLEY_ASSIGN_OR_RETURN(std::int64_t chains, single("SELECT COUNT(*) FROM chains"));
  PARLEY_ASSIGN_OR_RETURN(std::int64_t envelopes, single("SELECT COUNT(*) FROM envelopes"));
  out.vaults = static_cast<std::uint64_t>(vaults);
  out.changes = static_cast<std::uint64_t>(changes);
  out.purged = static_cast<std::uint64_t>(purged);
  out.chains = static_cast<std::uint64_t>(chains);
  out.envelopes = static_cast<std::uint64_t>(envelopes);

  // Relay sequence numbers: exactly 1..head_seq in every vault (the primary key makes them
  // distinct, so count == max == head_seq and min == 1 means no gap).
  std::size_t seq_problems = 0;
  Stmt seqs;
  PARLEY_RETURN_IF_ERROR(
      seqs.Prepare(db.db,
                   "SELECT v.vault, v.head_seq, COUNT(c.seq), COALESCE(MIN(c.seq), 0), "
                   "COALESCE(MAX(c.seq), 0) FROM vaults v LEFT JOIN changes c ON c.vid = v.vid "
                   "GROUP BY v.vid ORDER BY v.vid"));
  PARLEY_RETURN_IF_ERROR(seqs.ForEach([&](const Stmt& r) {
    const std::int64_t head = r.Int(1);
    const std::int64_t count = r.Int(2);
    const bool ok = count == head && (count == 0 || (r.Int(3) == 1 && r.Int(4) == head));
    if (!ok) {
      problem(&seq_problems, "vault " + ShortHex(r.Blob(0)) + ": head_seq " + std::to_string(head) +
                                 " but " + std::to_string(count) + " changes numbered " +
                                 std::to_string(r.Int(3)) + ".." + std::to_string(r.Int(4)));
    }
    return true;
  }));
  PARLEY_ASSIGN_OR_RETURN(
      std::int64_t orphans,
      single("SELECT COUNT(*) FROM changes WHERE vid NOT IN (SELECT vid FROM vaults)"));
  if (orphans > 0) {
    problem(&seq_problems, std::to_string(orphans) + " changes of no vault");
  }

  // Chains: each author's changes in a vault are author seq 1..its chain head, once each.
  std::size_t chain_problems = 0;
  Stmt authors;
  PARLEY_RETURN_IF_ERROR(authors.Prepare(
      db.db,
      "SELECT v.vault, c.author, COUNT(*), COUNT(DISTINCT c.author_seq), MIN(c.author_seq), "
      "MAX(c.author_seq), h.seq FROM changes c JOIN vaults v ON v.vid = c.vid "
      "LEFT JOIN chains h ON h.vid = c.vid AND h.author = c.author "
      "GROUP BY c.vid, c.author ORDER BY c.vid, c.author"));
  PARLEY_RETURN_IF_ERROR(authors.ForEach([&](const Stmt& r) {
    const std::string who = "vault " + ShortHex(r.Blob(0)) + " author " + ShortHex(r.Blob(1));
    if (r.IsNull(6)) {
      problem(&chain_problems, who + ": changes but no chain head");
      return true;
    }
    const std::int64_t head = r.Int(6);
    const bool ok = r.Int(2) == head && r.Int(3) == head && r.Int(4) == 1 && r.Int(5) == head;
    if (!ok) {
      problem(&chain_problems, who + ": chain head " + std::to_string(head) + " but " +
                                   std::to_string(r.Int(2)) + " changes with author seq " +
                                   std::to_string(r.Int(4)) + ".." + std::to_string(r.Int(5)));
    }
    return true;
  }));
  PARLEY_ASSIGN_OR_RETURN(std::int64_t headless,
                          single("SELECT COUNT(*) FROM chains h WHERE NOT EXISTS (SELECT 1 FROM "
                                 "changes c WHERE c.vid = h.vid AND c.author = h.author AND "
                                 "c.author_seq = h.seq)"));
  if (headless > 0) {
    problem(&chain_problems, std::to_string(headless) + " chain heads whose change is not stored");
  }
  return out;
}

}  // namespace parley::relay
