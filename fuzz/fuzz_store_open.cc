// Fuzz target: opening a damaged store.
//
// Once per process, a small real store is made in a scratch directory (floor Argon2id
// parameters, a vault, a few notes with edits and a delete), and its database and WAL are
// snapshotted while the WAL still holds frames. Each input is an edit script applied to a
// copy of those two files:
//   byte 0: flags. (flags & 31) == 31 opens the copy through Store::Open and reads it
//           with a Replica (slow: it runs Argon2id); otherwise the copy is opened through
//           the store's VFS and database layer directly, with the store's keys, and every
//           table is read and integrity-checked.
//   then 5-byte edits: kind, 24-bit little-endian offset, value. Kinds (mod 10): flip a byte
//   of the database / the WAL, set a byte, truncate, append `value` bytes, copy one page of
//   the database over another, copy one WAL frame over another.
// Whatever the damage, opening and reading must return errors, never crash or read garbage.
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "parley/platform/posix_env.h"
#include "store/database.h"
#include "store/key_file.h"
#include "store/vfs.h"

namespace parley::fuzz {
namespace {

constexpr std::size_t kPage = store::internal::kPageSize;
constexpr std::size_t kWalHeader = 32;
constexpr std::size_t kWalFrame = 24 + kPage;

struct Fixture {
  std::string root;
  std::string template_dir;  // the original store (its key file is copied, never edited)
  std::string work_dir;      // the damaged copy
  std::unique_ptr<KeyStore> key_store;
  std::vector<std::uint8_t> db, wal, key_file;
  crypto::Bytes store_id;
  std::unique_ptr<store::internal::PageVfs> vfs;

  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

void Fill(log::Replica& replica) {
  std::vector<log::RecordId> ids;
  {
    auto txn = RequireValue(replica.Begin(), "begin");
    for (int i = 0; i < 4; ++i) {
      log::RecordId id = RequireValue(txn->Create(i == 0 ? "negotiation" : "note"), "create");
      Require(txn->Set(id, "text", "entry " + std::to_string(i) + std::string(200, 'x')), "set");
      ids.push_back(id);
    }
    (void)RequireValue(txn->Commit(), "commit");
  }
  for (int round = 0; round < 3; ++round) {
    auto txn = RequireValue(replica.Begin(), "begin");
    Require(txn->Set(ids[1], "text", "edit " + std::to_string(round)), "set");
    if (round == 2) Require(txn->Delete(ids[3]), "delete");
    (void)RequireValue(txn->Commit(), "commit");
  }
}

void SetUp(Fixture* fx) {
  InitOnce();
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/parley-fuzz-store-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) std::abort();
  fx->root = templ;
  fx->template_dir = fx->root + "/template";
  fx->work_dir = fx->root + "/work";
  std::filesystem::create_directories(fx->work_dir);
  Env& env = PosixEnv();
  fx->key_store = NewFileKeyStore(env, fx->root + "/keystore");

  store::StoreOptions so;
  so.data_dir = fx->template_dir;
  so.argon2 = crypto::MinimumArgon2Params();
  so.device_name = "fuzz";
  Require(store::Store::Create(env, *fx->key_store, so, kPassphrase), "create store");
  auto store =
      RequireValue(store::Store::Open(env, *fx->key_store, fx->template_dir, kPassphrase), "open");
  FakeClock clock;
  {
    auto replica = RequireValue(log::Replica::Open(*store, clock), "open replica");
    Require(replica->CreateVault("fuzz"), "create vault");
    Fill(*replica);
    // Move what is there into the database file, then write more so the WAL holds frames.
    sqlite3_exec(store->db(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    Fill(*replica);
  }
  fx->db = ReadFileOrEmpty(fx->template_dir + "/parley.db");
  fx->wal = ReadFileOrEmpty(fx->template_dir + "/parley.db-wal");
  fx->key_file = ReadFileOrEmpty(fx->template_dir + "/keys");
  if (fx->db.empty() || fx->wal.empty() || fx->key_file.empty()) {
    Require(Status(Domain::kStore, Code::kInternal, "template store files missing"), "snapshot");
  }
  Require(store->Lock(), "lock");

  // The keys of the fast path, unwrapped the way Store::Open does.
  using namespace store::internal;  // NOLINT(google-build-using-namespace)
  auto kf = RequireValue(ParseKeyFile(fx->key_file), "parse key file");
  auto raw = RequireValue(fx->key_store->Get(KeyStoreName(kf.header.store_id)), "key-store secret");
  crypto::SecretBytes secret = crypto::SecretBytes::Copy(raw);
  auto kek = RequireValue(DeriveKek(kPassphrase, kf.header, secret), "kek");
  auto master = RequireValue(UnwrapMaster(kf, kek), "master");
  auto keys = RequireValue(UnwrapBundle(kf, master), "bundle");
  fx->store_id = kf.header.store_id;
  fx->vfs = RequireValue(PageVfs::Register(keys.database_key, nullptr), "register vfs");
}

// Made on first use; its destructor (at exit) removes the scratch directory.
Fixture& GetFixture() {
  static Fixture fx;
  static const bool ready = (SetUp(&fx), true);
  (void)ready;
  return fx;
}

std::size_t Offset(const std::uint8_t* e) {
  return static_cast<std::size_t>(e[1]) | static_cast<std::size_t>(e[2]) << 8 |
         static_cast<std::size_t>(e[3]) << 16;
}

void CopyBlock(std::vector<std::uint8_t>& file, std::size_t base, std::size_t unit,
               std::size_t from, std::size_t to) {
  if (file.size() < base + unit) return;
  const std::size_t count = (file.size() - base) / unit;
  from %= count;
  to %= count;
  std::copy_n(file.begin() + static_cast<std::ptrdiff_t>(base + from * unit), unit,
              file.begin() + static_cast<std::ptrdiff_t>(base + to * unit));
}

void ApplyEdit(const std::uint8_t* e, std::vector<std::uint8_t>& db,
               std::vector<std::uint8_t>& wal) {
  const std::size_t off = Offset(e);
  const std::uint8_t value = e[4];
  switch (e[0] % 10) {
    case 0:
      if (!db.empty()) db[off % db.size()] ^= (value | 1);
      break;
    case 1:
      if (!wal.empty()) wal[off % wal.size()] ^= (value | 1);
      break;
    case 2:
      if (!db.empty()) db[off % db.size()] = value;
      break;
    case 3:
      if (!wal.empty()) wal[off % wal.size()] = value;
      break;
    case 4:
      db.resize(off % (db.size() + 1));
      break;
    case 5:
      wal.resize(off % (wal.size() + 1));
      break;
    case 6:
      db.insert(db.end(), value, static_cast<std::uint8_t>(off));
      break;
    case 7:
      wal.insert(wal.end(), value, static_cast<std::uint8_t>(off));
      break;
    case 8:
      CopyBlock(db, 0, kPage, e[1], e[2]);
      break;
    case 9:
      CopyBlock(wal, kWalHeader, kWalFrame, e[1], e[2]);
      break;
  }
}

void ReadAllTables(sqlite3* db) {
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &st,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* name = sqlite3_column_text(st, 0);
      if (name != nullptr) tables.emplace_back(reinterpret_cast<const char*>(name));
    }
  }
  sqlite3_finalize(st);
  for (const std::string& t : tables) {
    std::string sql = "SELECT * FROM \"";
    for (char c : t) sql += (c == '"') ? std::string("\"\"") : std::string(1, c);
    sql += "\"";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) continue;
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const void* blob = sqlite3_column_blob(st, c);
        const int n = sqlite3_column_bytes(st, c);
        if (blob != nullptr && n > 0) (void)static_cast<const volatile std::uint8_t*>(blob)[n - 1];
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_exec(db, "PRAGMA integrity_check", nullptr, nullptr, nullptr);
}

void RemoveWorkFiles(const Fixture& fx) {
  for (const char* name :
       {"parley.db", "parley.db-wal", "parley.db-shm", "parley.db-journal", "keys"}) {
    std::error_code ec;
    std::filesystem::remove(fx.work_dir + "/" + name, ec);
  }
}

}  // namespace
}  // namespace parley::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::fuzz;  // NOLINT(google-build-using-namespace)
  Fixture& fx = GetFixture();
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::vector<std::uint8_t> db = fx.db;
  std::vector<std::uint8_t> wal = fx.wal;
  for (std::size_t i = 1; i + 5 <= size; i += 5) ApplyEdit(data + i, db, wal);

  RemoveWorkFiles(fx);
  WriteFileOrDie(fx.work_dir + "/parley.db", db);
  if (!wal.empty()) WriteFileOrDie(fx.work_dir + "/parley.db-wal", wal);

  if ((flags & 31) == 31) {
    WriteFileOrDie(fx.work_dir + "/keys", fx.key_file);
    auto store =
        parley::store::Store::Open(parley::PosixEnv(), *fx.key_store, fx.work_dir, kPassphrase);
    if (store.ok()) {
      {
        parley::fuzz::FakeClock clock;
        auto replica = parley::log::Replica::Open(**store, clock);
        if (replica.ok()) ReadEverything(**replica);
      }
      (void)(*store)->Lock();
    }
  } else {
    auto opened = parley::store::internal::OpenDatabase(fx.work_dir + "/parley.db", fx.vfs->name(),
                                                        /*create=*/false, fx.store_id);
    if (opened.ok()) {
      ReadAllTables(*opened);
      (void)parley::store::internal::CloseDatabase(*opened);
    }
  }
  return 0;
}
