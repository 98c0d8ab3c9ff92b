// Full disk: a fault-injecting SQLite VFS (support/full_disk_vfs.h) under the page-encrypting
// one fails writes with SQLITE_FULL after a byte budget (writing the part that fits, as a real
// full disk does).
// A commit that fails gives Code::kDiskFull, and every previously committed row survives.
#include <sqlite3.h>

#include "store_test_util.h"
#include "support/full_disk_vfs.h"

namespace parley::store {
namespace {

using parley::testing::SetDiskBudget;
using testutil::kPassphrase;

// ---- Tests ----

class StoreDiskFullTest : public testutil::StoreFixture {
 protected:
  void SetUp() override { ASSERT_TRUE(parley::testing::RegisterFullDiskVfs()); }
  void TearDown() override { SetDiskBudget(-1); }

  StoreOptions FaultyOptions() {
    StoreOptions o = testutil::FastOptions(data_dir());
    o.base_vfs = parley::testing::kFullDiskVfs;
    return o;
  }

  // Commits `rows` rows of ~1 KB with keys starting at `first`, in one transaction.
  static Status CommitRows(sqlite3* db, int first, int rows) {
    std::string sql =
        "BEGIN; INSERT INTO t SELECT x, hex(randomblob(500)) FROM (WITH RECURSIVE c(x) AS "
        "(SELECT " +
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
      SetDiskBudget(budget);
      Status s = CommitRows(db, committed, 2000);
      EXPECT_EQ(s.code(), Code::kDiskFull) << s.ToString();
      // Still full while locking: the checkpoint may fail, the data may not be lost.
      (void)(*opened)->Lock();
      SetDiskBudget(-1);
    }
    auto reopened = Store::Open(env(), key_store(), data_dir(), kPassphrase);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    auto check = testutil::Query((*reopened)->db(), "PRAGMA integrity_check");
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    EXPECT_EQ(check->at(0), "ok");
    auto rows =
        testutil::Query((*reopened)->db(), "SELECT count(*) || ':' || ifnull(max(k), -1) FROM t");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->at(0), std::to_string(committed) + ":" + std::to_string(committed - 1));
  }
}

TEST_F(StoreDiskFullTest, CreateOnFullDiskLeavesNoStore) {
  SetDiskBudget(3000);
  Status s = Store::Create(env(), key_store(), FaultyOptions(), kPassphrase);
  EXPECT_EQ(s.code(), Code::kDiskFull) << s.ToString();
  SetDiskBudget(-1);
  EXPECT_FALSE(Store::Exists(env(), data_dir()));
  EXPECT_TRUE(testutil::ListFilesRecursive(ks_dir()).empty());
  EXPECT_TRUE(Store::Create(env(), key_store(), FaultyOptions(), kPassphrase).ok());
}

}  // namespace
}  // namespace parley::store
