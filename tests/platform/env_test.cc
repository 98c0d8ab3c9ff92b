#include <gtest/gtest.h>

#include "parley/platform/posix_env.h"
#include "parley/testing/fake_env.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(PosixEnv, AtomicWriteReadBack) {
  testing::TempDir dir;
  Env& env = PosixEnv();
  std::string path = dir.Sub("a/b/file");
  ASSERT_TRUE(env.CreateDirs(dir.Sub("a/b")).ok());
  ASSERT_TRUE(env.WriteFileAtomic(path, Bytes("hello")).ok());
  auto r = env.ReadFile(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, Bytes("hello"));
  EXPECT_FALSE(env.FileExists(path + ".tmp"));
}

TEST(PosixEnv, MissingFileIsNotFound) {
  testing::TempDir dir;
  auto r = PosixEnv().ReadFile(dir.Sub("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

TEST(PosixEnv, ShredRemovesFile) {
  testing::TempDir dir;
  Env& env = PosixEnv();
  ASSERT_TRUE(env.WriteFileAtomic(dir.Sub("k"), Bytes("secret")).ok());
  ASSERT_TRUE(env.ShredFile(dir.Sub("k")).ok());
  EXPECT_FALSE(env.FileExists(dir.Sub("k")));
  EXPECT_TRUE(env.ShredFile(dir.Sub("k")).ok());
}

TEST(FileKeyStore, MissingSecretSaysWhere) {
  testing::TempDir dir;
  auto ks = NewFileKeyStore(PosixEnv(), dir.Sub("ks"));
  auto r = ks->Get("parley-x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMissingSecret);
  EXPECT_NE(r.status().message().find(dir.Sub("ks")), std::string::npos);
  ASSERT_TRUE(ks->Put("parley-x", Bytes("s")).ok());
  EXPECT_TRUE(ks->Get("parley-x").ok());
  EXPECT_FALSE(ks->Put("../evil", Bytes("s")).ok());
}

TEST(FaultEnv, DiskFullLeavesOldFile) {
  testing::TempDir dir;
  testing::FaultEnv env(PosixEnv());
  ASSERT_TRUE(env.WriteFileAtomic(dir.Sub("f"), Bytes("old")).ok());
  env.FailWritesAfter(2);
  Status s = env.WriteFileAtomic(dir.Sub("f"), Bytes("new contents"));
  EXPECT_EQ(s.code(), Code::kDiskFull);
  EXPECT_EQ(*env.ReadFile(dir.Sub("f")), Bytes("old"));
}

TEST(FakeClock, MovesOnlyWhenTold) {
  testing::FakeClock clock(1000);
  EXPECT_EQ(clock.NowUnixMs(), 1000);
  clock.AdvanceMs(5);
  EXPECT_EQ(clock.NowUnixMs(), 1005);
  EXPECT_EQ(clock.MonotonicNs(), 5'000'000);
}

}  // namespace
}  // namespace parley
