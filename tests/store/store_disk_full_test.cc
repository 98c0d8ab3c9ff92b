// Full disk: a fault-injecting SQLite VFS under the page-encrypting one fails writes with
// SQLITE_FULL after a byte budget (writing the part that fits, as a real full disk does).
// A commit that fails gives Code::kDiskFull, and every previously committed row survives.
#include <sqlite3.h>

#include <atomic>
#include <cstring>

#include "store_test_util.h"

namespace parley::store {
namespace {

using testutil::kPassphrase;

// ---- The fault-injecting VFS ("parley-test-full", over "unix") ----

std::atomic<std::int64_t> g_budget{-1};  // bytes that may still be written; -1: unlimited
sqlite3_vfs* g_unix = nullptr;

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
};
FaultFile* Ff(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
sqlite3_file* R(sqlite3_file* f) { return Ff(f)->real; }

int FWrite(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
  std::int64_t budget = g_budget.load();
  if (budget >= 0 && amt > budget) {
    g_budget = 0;
    if (budget > 0) R(f)->pMethods->xWrite(R(f), data, static_cast<int>(budget), off);
    return SQLITE_FULL;
  }
  if (budget >= 0) g_budget = budget - amt;
  return R(f)->pMethods->xWrite(R(f), data, amt, off);
}
int FClose(sqlite3_file* f) { return R(f)->pMethods->xClose(R(f)); }
int FRead(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) { return R(f)->pMethods->xRead(R(f), out, amt, off); }
int FTruncate(sqlite3_file* f, sqlite3_int64 size) { return R(f)->pMethods->xTruncate(R(f), size); }
int FSync(sqlite3_file* f, int flags) { return R(f)->pMethods->xSync(R(f), flags); }
int FFileSize(sqlite3_file* f, sqlite3_int64* size) { return R(f)->pMethods->xFileSize(R(f), size); }
int FLock(sqlite3_file* f, int l) { return R(f)->pMethods->xLock(R(f), l); }
int FUnlock(sqlite3_file* f, int l) { return R(f)->pMethods->xUnlock(R(f), l); }
int FCheck(sqlite3_file* f, int* out) { return R(f)->pMethods->xCheckReservedLock(R(f), out); }
int FControl(sqlite3_file* f, int op, void* arg) { return R(f)->pMethods->xFileControl(R(f), op, arg); }
int FSector(sqlite3_file* f) { return R(f)->pMethods->xSectorSize(R(f)); }
int FDevice(sqlite3_file* f) { return R(f)->pMethods->xDeviceCharacteristics(R(f)); }
int FShmMap(sqlite3_file* f, int r, int s, int e, void volatile** out) {
  return R(f)->pMethods->xShmMap(R(f), r, s, e, out);
}
int FShmLock(sqlite3_file* f, int o, int n, int fl) { return R(f)->pMethods->xShmLock(R(f), o, n, fl); }
void FShmBarrier(sqlite3_file* f) { R(f)->pMethods->xShmBarrier(R(f)); }
int FShmUnmap(sqlite3_file* f, int d) { return R(f)->pMethods->xShmUnmap(R(f), d); }

const sqlite3_io_methods kFaultMethods = {2,       FClose,     FRead,    FWrite,   FTruncate,    FSync,
                                          FFileSize, FLock,    FUnlock,  FCheck,   FControl,     FSector,
                                          FDevice, FShmMap,    FShmLock, FShmBarrier, FShmUnmap, nullptr,
                                          nullptr};

constexpr int kRealOffset = (sizeof(FaultFile) + 7) & ~7;

int FOpen(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  Ff(f)->base.pMethods = nullptr;
  Ff(f)->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  int rc = g_unix->xOpen(g_unix, name, Ff(f)->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (Ff(f)->real->pMethods) Ff(f)->real->pMethods->xClose(Ff(f)->real);
    return rc;
  }
  Ff(f)->base.pMethods = &kFaultMethods;
  return SQLITE_OK;
}

void RegisterFaultVfs() {
  static sqlite3_vfs vfs = [] {
    g_unix = sqlite3_vfs_find("unix");
    sqlite3_vfs v = *g_unix;
    v.zName = "parley-test-full";
    v.szOsFile = kRealOffset + g_unix->szOsFile;
    v.xOpen = FOpen;
    v.pNext = nullptr;
    return v;
  }();
  static const bool registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
  ASSERT_TRUE(registered);
}

// ---- Tests ----

class StoreDiskFullTest : public testutil::StoreFixture {
 protected:
  void SetUp() override { RegisterFaultVfs(); }
  void TearDown() override { g_budget = -1; }

  StoreOptions FaultyOptions() {
    StoreOptions o = testutil::FastOptions(data_dir());
    o.base_vfs = "parley-test-full";
    return o;
  }

  // Commits `rows` rows of ~1 KB with keys starting at `first`, in one transaction.
  static Status CommitRows(sqlite3* db, int first, int rows) {
    std::string sql = "BEGIN; INSERT INTO t SELECT x, hex(randomblob(500)) FROM (WITH RECURSIVE c(x) AS (SELECT " +
                      std::to_string(first) + " UNION ALL SELECT x+1 FROM c WHERE x<" +
                      std::to_string(first + rows - 1) + ") SELECT x FROM c); COMMIT;";
    Status s = Exec(db, sql);
    if (!s.ok()) (void)Exec(db, "ROLLBACK");
    return s;
  }
};

TEST_F(StoreDiskFullTest, FailedCommitIsDiskFullAndLosesNothing) {
  ASSERT_TRUE(Store::Create(env(), key_store(), FaultyOptions(), kPassphrase).ok());
  int committed = 0;
  // Budgets that run out in the WAL header, inside a frame, and between frames.
  for (std::int64_t budget : {0, 10, 4000, 4200, 20000, 100000, 300000}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    {
      auto opened = Store::Open(env(), key_store(), FaultyOptions(), kPassphrase);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      sqlite3* db = (*opened)->db();
      ASSERT_TRUE(Exec(db, "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT)").ok());
      ASSERT_TRUE(CommitRows(db, committed, 50).ok());
      committed += 50;
      g_budget = budget;
      Status s = CommitRows(db, committed, 2000);
      EXPECT_EQ(s.code(), Code::kDiskFull) << s.ToString();
      // Still full while locking: the checkpoint may fail, the data may not be lost.
      (void)(*opened)->Lock();
      g_budget = -1;
    }
    auto reopened = Store::Open(env(), key_store(), data_dir(), kPassphrase);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    auto check = testutil::Query((*reopened)->db(), "PRAGMA integrity_check");
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    EXPECT_EQ(check->at(0), "ok");
    auto rows = testutil::Query((*reopened)->db(), "SELECT count(*) || ':' || ifnull(max(k), -1) FROM t");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->at(0), std::to_string(committed) + ":" + std::to_string(committed - 1));
  }
}

TEST_F(StoreDiskFullTest, CreateOnFullDiskLeavesNoStore) {
  g_budget = 3000;
  Status s = Store::Create(env(), key_store(), FaultyOptions(), kPassphrase);
  EXPECT_EQ(s.code(), Code::kDiskFull) << s.ToString();
  g_budget = -1;
  EXPECT_FALSE(Store::Exists(env(), data_dir()));
  EXPECT_TRUE(testutil::ListFilesRecursive(ks_dir()).empty());
  EXPECT_TRUE(Store::Create(env(), key_store(), FaultyOptions(), kPassphrase).ok());
}

}  // namespace
}  // namespace parley::store
