// ImmediateTransaction, WithImmediateTransaction and ReadTransaction (sqlite_util.h) on plain
// SQLite files.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>

#include "parley/core/sqlite_util.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

// One database file opened on up to two connections, in rollback-journal mode so that a
// reader holding its lock makes a commit wait (SQLITE_BUSY) instead of passing it by.
class ImmediateTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = Open();
    ASSERT_TRUE(
        Exec(a_,
             "PRAGMA journal_mode=DELETE; CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .ok());
  }
  void TearDown() override {
    if (b_ != nullptr) sqlite3_close(b_);
    sqlite3_close(a_);
  }

  sqlite3* Open() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(tmp_.Sub("t.db").c_str(), &db), SQLITE_OK);
    return db;
  }
  sqlite3* Second() {
    if (b_ == nullptr) b_ = Open();
    return b_;
  }

  static Status Insert(sqlite3* db, std::int64_t k) {
    return Exec(db, "INSERT INTO t(k, v) VALUES (" + std::to_string(k) + ", 'x')");
  }
  // Rows as seen by a fresh read on `db`.
  static std::int64_t Count(sqlite3* db) {
    Stmt s;
    EXPECT_TRUE(s.Prepare(db, "SELECT count(*) FROM t").ok());
    auto row = s.Step();
    EXPECT_TRUE(row.ok() && *row);
    return s.Int(0);
  }
  static bool InTransaction(sqlite3* db) { return sqlite3_get_autocommit(db) == 0; }

  testing::TempDir tmp_;
  sqlite3* a_ = nullptr;
  sqlite3* b_ = nullptr;
};

TEST_F(ImmediateTransactionTest, CommitMakesTheWritesVisible) {
  auto tx = ImmediateTransaction::Begin(a_, Domain::kLog);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  EXPECT_TRUE(tx->open());
  EXPECT_TRUE(InTransaction(a_));
  ASSERT_TRUE(Insert(a_, 1).ok());
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_FALSE(tx->open());
  EXPECT_FALSE(InTransaction(a_));
  EXPECT_EQ(Count(Second()), 1);

  Status again = tx->Commit();
  EXPECT_EQ(again.code(), Code::kInvalidArgument);
  EXPECT_EQ(again.domain(), Domain::kLog);
}

TEST_F(ImmediateTransactionTest, DestructionWithoutCommitRollsBack) {
  {
    auto tx = ImmediateTransaction::Begin(a_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(Insert(a_, 1).ok());
    EXPECT_EQ(Count(a_), 1);
  }
  EXPECT_FALSE(InTransaction(a_));
  EXPECT_EQ(Count(a_), 0);
}

TEST_F(ImmediateTransactionTest, AMoveHandsOverTheTransaction) {
  ImmediateTransaction outer;
  EXPECT_FALSE(outer.open());
  {
    auto tx = ImmediateTransaction::Begin(a_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(Insert(a_, 1).ok());
    outer = std::move(tx).value();
  }  // the moved-from transaction does not roll back
  EXPECT_TRUE(InTransaction(a_));
  ImmediateTransaction last(std::move(outer));
  EXPECT_FALSE(outer.open());  // NOLINT(bugprone-use-after-move): a moved-from one is closed
  ASSERT_TRUE(last.Commit().ok());
  EXPECT_EQ(Count(a_), 1);
}

TEST_F(ImmediateTransactionTest, AFailedStatementRollsEverythingBack) {
  Status s = WithImmediateTransaction(
      a_,
      [&]() -> Status {
        PARLEY_RETURN_IF_ERROR(Insert(a_, 1));
        return Insert(a_, 1);  // the same key again: SQLITE_CONSTRAINT
      },
      Domain::kSync);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.domain(), Domain::kStore);  // the statement's own error, as it was returned
  EXPECT_FALSE(InTransaction(a_));
  EXPECT_EQ(Count(a_), 0);

  // The same with the object: the failure leaves the transaction open until it dies.
  {
    auto tx = ImmediateTransaction::Begin(a_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(Insert(a_, 2).ok());
    EXPECT_FALSE(Insert(a_, 2).ok());
  }
  EXPECT_FALSE(InTransaction(a_));
  EXPECT_EQ(Count(a_), 0);

  EXPECT_TRUE(WithImmediateTransaction(a_, [&] { return Insert(a_, 3); }).ok());
  EXPECT_EQ(Count(a_), 1);
}

TEST_F(ImmediateTransactionTest, ABodyErrorIsReturnedAsIs) {
  Status s = WithImmediateTransaction(a_, [&]() -> Status {
    PARLEY_RETURN_IF_ERROR(Insert(a_, 1));
    return Error(Domain::kModel, Code::kPermissionDenied, "refused");
  });
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.message(), "refused");
  EXPECT_EQ(Count(a_), 0);
}

TEST_F(ImmediateTransactionTest, NestedBeginIsRefused) {
  auto outer = ImmediateTransaction::Begin(a_, Domain::kLog);
  ASSERT_TRUE(outer.ok());
  ASSERT_TRUE(Insert(a_, 1).ok());
  auto inner = ImmediateTransaction::Begin(a_, Domain::kLog);
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.status().code(), Code::kBusy);
  EXPECT_EQ(inner.status().domain(), Domain::kLog);
  Status nested = WithImmediateTransaction(a_, [] { return Status::Ok(); });
  EXPECT_EQ(nested.code(), Code::kBusy);
  // The refusal leaves the outer transaction as it was.
  EXPECT_TRUE(InTransaction(a_));
  ASSERT_TRUE(outer->Commit().ok());
  EXPECT_EQ(Count(a_), 1);
}

TEST_F(ImmediateTransactionTest, AnotherWriterMakesBeginBusy) {
  auto first = ImmediateTransaction::Begin(a_);
  ASSERT_TRUE(first.ok());
  auto second = ImmediateTransaction::Begin(Second(), Domain::kSync);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_EQ(second.status().domain(), Domain::kSync);
  EXPECT_FALSE(InTransaction(Second()));
}

TEST_F(ImmediateTransactionTest, AFailedCommitRollsBack) {
  // A reader on the second connection keeps the file locked: the commit cannot take it.
  sqlite3* reader = Second();
  ASSERT_TRUE(Exec(reader, "BEGIN").ok());
  EXPECT_EQ(Count(reader), 0);
  auto tx = ImmediateTransaction::Begin(a_, Domain::kLog);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(Insert(a_, 1).ok());
  Status s = tx->Commit();
  EXPECT_EQ(s.code(), Code::kBusy) << s.ToString();
  EXPECT_EQ(s.domain(), Domain::kLog);
  EXPECT_FALSE(tx->open());
  EXPECT_FALSE(InTransaction(a_));
  ASSERT_TRUE(Exec(reader, "COMMIT").ok());
  EXPECT_EQ(Count(a_), 0);
}

// ReadTransaction in WAL mode: one snapshot from its first read to its end, while another
// connection commits; it does not nest, and ends at End() or destruction.
TEST_F(ImmediateTransactionTest, ReadTransactionSeesOneSnapshotWhileAnotherConnectionCommits) {
  ASSERT_TRUE(Exec(a_, "PRAGMA journal_mode=WAL").ok());
  ASSERT_TRUE(Insert(a_, 1).ok());
  {
    auto rx = ReadTransaction::Begin(a_, Domain::kLog);
    ASSERT_TRUE(rx.ok()) << rx.status().ToString();
    EXPECT_TRUE(rx->open());
    EXPECT_EQ(Count(a_), 1);                // the snapshot is taken here
    ASSERT_TRUE(Insert(Second(), 2).ok());  // not blocked by the reader
    EXPECT_EQ(Count(a_), 1);
    EXPECT_EQ(Count(Second()), 2);
    auto nested = ReadTransaction::Begin(a_, Domain::kLog);
    EXPECT_EQ(nested.status().code(), Code::kBusy);
    EXPECT_EQ(ImmediateTransaction::Begin(a_).status().code(), Code::kBusy);
    ASSERT_TRUE(rx->End().ok());
    EXPECT_FALSE(rx->open());
    EXPECT_FALSE(InTransaction(a_));
    EXPECT_EQ(Count(a_), 2);
    EXPECT_TRUE(rx->End().ok());  // a no-op once ended
  }
  {
    auto rx = ReadTransaction::Begin(a_);
    ASSERT_TRUE(rx.ok());
    EXPECT_EQ(Count(a_), 2);
    ReadTransaction moved = std::move(*rx);
    EXPECT_FALSE(rx->open());
    EXPECT_TRUE(moved.open());
  }
  EXPECT_FALSE(InTransaction(a_));
}

}  // namespace
}  // namespace parley
