// The store's integrity check (parley/core/integrity.h).
#include "parley/core/integrity.h"

#include <sqlite3.h>

#include "parley/change.pb.h"
#include "parley/core/change_rules.h"
#include "parley/core/sqlite_util.h"

namespace parley::log {
namespace {

constexpr std::size_t kMaxProblems = 100;

std::string_view Blob(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  const int n = sqlite3_column_bytes(s, i);
  return p == nullptr ? std::string_view()
                      : std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

Status Fail(sqlite3* db, std::string_view what) {
  return Error(Domain::kStore, Code::kCorrupt, std::string(what) + ": " + sqlite3_errmsg(db));
}

struct Finalizer {
  sqlite3_stmt* s = nullptr;
  ~Finalizer() { sqlite3_finalize(s); }
};

}  // namespace

Result<IntegrityReport> CheckIntegrity(store::Store& store) {
  sqlite3* db = store.db();
  if (db == nullptr) return Error(Domain::kStore, Code::kLocked, "the store is locked");
  IntegrityReport out;
  auto note = [&](std::string problem) {
    if (out.problems.size() < kMaxProblems) out.problems.push_back(std::move(problem));
  };
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return Fail(db, "starting the check");
  struct Ender {
    sqlite3* db;
    ~Ender() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } ender{db};
  {
    Finalizer q;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q.s, nullptr) != SQLITE_OK)
      return Fail(db, "integrity check");
    for (;;) {
      const int rc = sqlite3_step(q.s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Fail(db, "integrity check");
      const char* text = reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0));
      const std::string line = text == nullptr ? "" : text;
      if (line != "ok") note("database: " + line);
    }
  }
  {
    Finalizer q;
    if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &q.s, nullptr) == SQLITE_OK &&
        sqlite3_step(q.s) == SQLITE_ROW) {
      out.pages_checked = static_cast<std::uint64_t>(sqlite3_column_int64(q.s, 0));
    }
  }
  const auto& vault = store.vault();
  if (!vault.has_value()) return out;
  Finalizer q;
  if (sqlite3_prepare_v2(
          db,
          "SELECT a.key, c.seq, c.id, c.header, c.body, c.signature FROM log_changes c "
          "JOIN log_authors a ON a.id = c.author ORDER BY c.author, c.seq",
          -1, &q.s, nullptr) != SQLITE_OK) {
    return Fail(db, "reading the change log");
  }
  std::string last_author;
  std::uint64_t last_seq = 0;
  ChangeLink last_link{};
  for (;;) {
    const int rc = sqlite3_step(q.s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Fail(db, "reading the change log");
    const std::string author(Blob(q.s, 0));
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(q.s, 1));
    const std::string where = "change " + std::to_string(seq) + " of " +
                              crypto::ToHex(crypto::AsBytes(author)).substr(0, 8);
    pb::Change change;
    change.set_header(std::string(Blob(q.s, 3)));
    change.set_body(std::string(Blob(q.s, 4)));
    change.set_signature(std::string(Blob(q.s, 5)));
    ++out.changes;
    if (author != last_author) {
      ++out.authors;
      last_author = author;
      last_seq = 0;
    }
    auto checked = CheckChange(change, vault->vault_id);
    if (!checked.ok()) {
      note(where + ": " + checked.status().message());
      last_seq = 0;
      continue;
    }
    const std::string_view row_id = Blob(q.s, 2);
    if (row_id !=
        std::string_view(reinterpret_cast<const char*>(checked->id.data()), checked->id.size())) {
      note(where + ": its stored id is not its id");
    }
    if (checked->header.author() != author || checked->header.seq() != seq) {
      note(where + ": its header names another author or number");
    }
    if (last_seq != 0 && seq == last_seq + 1) {
      const std::string_view prev = checked->header.prev();
      if (prev !=
          std::string_view(reinterpret_cast<const char*>(last_link.data()), last_link.size())) {
        note(where + ": it does not link to the change before it (a broken chain)");
      }
    }
    last_seq = seq;
    last_link = ChangeLinkOf(checked->id, change.signature());
  }
  return out;
}

}  // namespace parley::log
