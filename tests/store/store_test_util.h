// Shared fixtures for the store tests: fast Argon2id parameters, a file key store in its own
// temporary directory, and small SQL helpers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "parley/core/crypto.h"
#include "parley/core/sqlite_util.h"
#include "parley/core/store.h"
#include "parley/platform/posix_env.h"
#include "support/temp_dir.h"

namespace parley::store::testutil {

inline constexpr char kPassphrase[] = "correct horse battery staple";

// Every test store uses the Argon2id floor so that tests stay fast.
inline StoreOptions FastOptions(const std::string& data_dir) {
  StoreOptions o;
  o.data_dir = data_dir;
  o.argon2 = crypto::MinimumArgon2Params();
  o.device_name = "test phone";
  return o;
}

// A data directory and a key-store directory side by side in one temporary directory.
class StoreFixture : public ::testing::Test {
 protected:
  StoreFixture()
      : data_dir_(tmp_.Sub("data")),
        ks_dir_(tmp_.Sub("keystore")),
        key_store_(NewFileKeyStore(env(), ks_dir_)) {}

  static Env& env() { return PosixEnv(); }
  KeyStore& key_store() { return *key_store_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& ks_dir() const { return ks_dir_; }

  void CreateStore() {
    ASSERT_TRUE(Store::Create(env(), key_store(), FastOptions(data_dir_), kPassphrase).ok());
  }
  std::unique_ptr<Store> OpenStore() {
    auto s = Store::Open(env(), key_store(), data_dir_, kPassphrase);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  ::parley::testing::TempDir tmp_;
  std::string data_dir_;
  std::string ks_dir_;
  std::unique_ptr<KeyStore> key_store_;
};

// Runs `sql` and returns the first column of every row as text.
inline Result<std::vector<std::string>> Query(sqlite3* db, const std::string& sql) {
  Stmt st;
  PARLEY_RETURN_IF_ERROR(st.Prepare(db, sql));
  std::vector<std::string> rows;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    rows.emplace_back(st.Text(0));
  }
  return rows;
}

// Every file (not directory) under `dir`, recursively, as full paths.
std::vector<std::string> ListFilesRecursive(const std::string& dir);
std::vector<std::uint8_t> ReadAll(const std::string& path);
void WriteAll(const std::string& path, const std::vector<std::uint8_t>& data);
// Copies every regular file of `from` into `to` (created), byte for byte.
void CopyDir(const std::string& from, const std::string& to);

}  // namespace parley::store::testutil
