// The full-text index of the free-text fields (docs/storage-schema.md, "Text index").
//
// log_text is an SQLite FTS5 table inside the store's encrypted database: its pages, WAL
// frames and every shadow table go through the page-encrypting VFS like the rest, and its
// temporary b-trees stay in memory (temp_store=MEMORY). One row per (record, indexed field):
// rowid = rid * kSlots + the field's slot in kIndexed; the text is every surviving readable
// value of the field, joined by newlines (both sides of a conflict are found). A record has
// rows only while it is alive (a live create), so deleted records are not found.
#include <sqlite3.h>

#include <algorithm>
#include <cstring>

#include "log/replica_impl.h"

namespace parley::log {
namespace {

struct IndexedField {
  std::string_view type;
  std::string_view field;
};
// The fields a person types (docs/model.md). A change to this list (or to how rows are
// built) must raise kTextIndexVersion: every store then rebuilds its index when opened.
constexpr IndexedField kIndexed[] = {
    {"negotiation", "buyer"},
    {"negotiation", "title"},
    {"party", "name"},
    {"session", "place"},
    {"session", "attendees"},
    {"note", "text"},
    {"commitment", "kind"},
    {"commitment", "text"},
    {"need", "text"},
    {"bottomline_element", "element"},
    {"campaign_action", "kind"},
    {"campaign_action", "text"},
};
constexpr std::int64_t kSlots = 16;
static_assert(std::size(kIndexed) <= kSlots);
constexpr std::int64_t kTextIndexVersion = 1;
// A record's scope is the negotiation it belongs to: its own id for a negotiation, else its
// `negotiation` field.
constexpr std::string_view kScopeType = "negotiation";
constexpr std::string_view kScopeField = "negotiation";
// Tokenizer of the index, also used to split queries into words.
constexpr const char* kTokenizer = "unicode61";
constexpr const char* kTokenizerArgs[] = {"remove_diacritics", "2"};
constexpr int kSnippetTokens = 12;

bool IndexedType(std::string_view type) {
  return std::any_of(std::begin(kIndexed), std::end(kIndexed),
                     [&](const IndexedField& f) { return f.type == type; });
}

Status TextError(Code code, std::string message) {
  return Error(Domain::kLog, code, std::move(message));
}

bool ValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// The words of `query` as the index's tokenizer splits them (folded as the index folds
// text), through SQLite's own FTS5 tokenizer API.
Result<std::vector<std::string>> Words(sqlite3* db, std::string_view query) {
  fts5_api* api = nullptr;
  {
    Stmt s;
    PARLEY_RETURN_IF_ERROR(s.Prepare(db, "SELECT fts5(?1)"));
    sqlite3_bind_pointer(s.raw(), 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    PARLEY_RETURN_IF_ERROR(s.Step().status());
  }
  if (api == nullptr || api->iVersion < 2)
    return TextError(Code::kUnsupported, "this SQLite has no FTS5");
  void* user = nullptr;
  fts5_tokenizer tokenizer{};
  if (api->xFindTokenizer(api, kTokenizer, &user, &tokenizer) != SQLITE_OK) {
    return TextError(Code::kUnsupported, "this SQLite's FTS5 has no unicode61 tokenizer");
  }
  Fts5Tokenizer* t = nullptr;
  if (tokenizer.xCreate(user, const_cast<const char**>(kTokenizerArgs),
                        static_cast<int>(std::size(kTokenizerArgs)), &t) != SQLITE_OK) {
    return TextError(Code::kInternal, "the FTS5 tokenizer could not be created");
  }
  std::vector<std::string> words;
  auto add = [](void* ctx, int, const char* token, int n, int, int) -> int {
    static_cast<std::vector<std::string>*>(ctx)->emplace_back(token, static_cast<std::size_t>(n));
    return SQLITE_OK;
  };
  const int rc = tokenizer.xTokenize(t, &words, FTS5_TOKENIZE_QUERY, query.data(),
                                     static_cast<int>(query.size()), add);
  tokenizer.xDelete(t);
  if (rc != SQLITE_OK)
    return TextError(Code::kInternal, "the search could not be split into words");
  return words;
}

// An FTS5 expression that means "every word, the last as a prefix": each word a quoted
// string (a quote inside doubled), so no user input is ever read as FTS5 syntax.
std::string MatchExpression(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ' ';
    out += '"';
    for (char c : words[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
    if (i + 1 == words.size()) out += '*';
  }
  return out;
}

}  // namespace

Status ReplicaImpl::ReindexText(std::int64_t rid) {
  // The record as it stands now; none when purged (its row is gone) or not created yet.
  std::optional<Record> rec;
  std::string type;  // '' when the row is gone (purged) or not created yet: every slot is checked
  {
    Stmt& s = st.text_record;
    Scoped g(s);
    s.Bind(1, rid);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) type = std::string(s.Text(1));
    if (row && !type.empty() && !IndexedType(type)) return Status::Ok();  // never has rows
    if (row && !type.empty()) {
      const auto id = s.Blob(0);
      PARLEY_ASSIGN_OR_RETURN(
          Record r,
          BuildRecord(rid, std::string_view(reinterpret_cast<const char*>(id.data()), id.size()),
                      s.Text(1), static_cast<std::uint64_t>(s.Int(2))));
      if (r.existence == Existence::kAlive || r.existence == Existence::kConflict)
        rec = std::move(r);
    }
  }
  std::string scope, record;
  if (rec.has_value()) {
    record = ToString(rec->id);
    scope = rec->type == kScopeType ? record : rec->get(kScopeField);
  }
  for (std::size_t slot = 0; slot < std::size(kIndexed); ++slot) {
    const IndexedField& f = kIndexed[slot];
    if (!type.empty() && f.type != type) continue;  // a record's type never changes once created
    std::string text;
    if (rec.has_value() && rec->type == f.type) {
      if (const Field* field = rec->field(f.field); field != nullptr) {
        for (const Value& v : field->values) {
          if (v.unreadable || v.data.empty()) continue;
          if (!text.empty()) text += '\n';
          text += v.data;
        }
      }
    }
    const std::int64_t rowid = rid * kSlots + static_cast<std::int64_t>(slot);
    bool held = false;
    {
      Scoped g(st.text_get);
      st.text_get.Bind(1, rowid);
      PARLEY_ASSIGN_OR_RETURN(held, st.text_get.Step());
      if (held && st.text_get.Text(0) == text && st.text_get.Text(1) == scope)
        continue;  // unchanged
    }
    if (held) {
      Scoped g(st.text_del);
      PARLEY_RETURN_IF_ERROR(st.text_del.Bind(1, rowid).Run());
    }
    if (text.empty()) continue;
    Scoped g(st.text_put);
    st.text_put.Bind(1, rowid).Bind(2, text).Bind(3, record).Bind(4, rec->type);
    PARLEY_RETURN_IF_ERROR(st.text_put.Bind(5, f.field).Bind(6, scope).Run());
  }
  return Status::Ok();
}

Status ReplicaImpl::FlushTextIndex() {
  std::vector<std::int64_t> dirty(text_dirty_.begin(), text_dirty_.end());
  std::sort(dirty.begin(), dirty.end());  // in rowid order: FTS5 appends in order
  for (std::int64_t rid : dirty) PARLEY_RETURN_IF_ERROR(ReindexText(rid));
  text_dirty_.clear();
  if (text_purged_) {
    // Without FTS5's secure-delete (SQLite < 3.42), a deleted row's words stay in the
    // index's older segments until they are merged: merging every segment into one drops
    // them, and the freed pages are overwritten (secure_delete=ON).
    PARLEY_RETURN_IF_ERROR(
        Exec(db_, "INSERT INTO log_text(log_text) VALUES ('optimize')", Domain::kLog));
    text_purged_ = false;
  }
  return Status::Ok();
}

Status ReplicaImpl::ClearTextIndex() {
  text_dirty_.clear();
  text_purged_ = true;  // the rebuilt records may have lost values that must not linger
  return Exec(db_, "DELETE FROM log_text", Domain::kLog);
}

Status ReplicaImpl::CheckTextIndex() {
  {
    Stmt s;
    PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT v FROM log_meta WHERE k = 'text_index'"));
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && s.Int(0) == kTextIndexVersion) return Status::Ok();
  }
  return InTransaction([&]() -> Status {
    PARLEY_RETURN_IF_ERROR(ClearTextIndex());
    Stmt s;
    PARLEY_RETURN_IF_ERROR(s.Prepare(db_, "SELECT rid FROM log_records WHERE type <> ''"));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      MarkText(s.Int(0));
    }
    Stmt mark;
    PARLEY_RETURN_IF_ERROR(
        mark.Prepare(db_, "INSERT OR REPLACE INTO log_meta(k, v) VALUES ('text_index', ?1)"));
    return mark.Bind(1, kTextIndexVersion).Run();
  });
}

Result<std::vector<TextHit>> ReplicaImpl::SearchText(std::string_view query,
                                                     const TextSearchOptions& options) {
  if (query.size() > kMaxSearchBytes) {
    return TextError(Code::kInvalidArgument,
                     "the search is longer than " + std::to_string(kMaxSearchBytes) + " bytes");
  }
  if (!ValidUtf8(query))
    return TextError(Code::kInvalidArgument, "the search is not valid UTF-8 text");
  if (options.limit < 1 || options.limit > kMaxTextHits) {
    return TextError(Code::kInvalidArgument, "the limit is 1 to " + std::to_string(kMaxTextHits));
  }
  if (options.offset > kMaxTextOffset) {
    return TextError(Code::kInvalidArgument,
                     "the offset is at most " + std::to_string(kMaxTextOffset));
  }
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  PARLEY_ASSIGN_OR_RETURN(std::vector<std::string> words, Words(db_, query));
  if (words.empty())
    return TextError(Code::kInvalidArgument, "the search has no words (letters or digits)");
  if (words.size() > kMaxSearchWords) {
    return TextError(Code::kInvalidArgument,
                     "the search has more than " + std::to_string(kMaxSearchWords) + " words");
  }
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(
      db_,
      std::string("SELECT record, type, field, scope, snippet(log_text, 0, ?2, ?3, '…', ") +
          std::to_string(kSnippetTokens) +
          "), bm25(log_text) FROM log_text WHERE log_text MATCH ?1 AND (?4 = '' OR scope = ?4) "
          "ORDER BY bm25(log_text), rowid LIMIT ?5 OFFSET ?6"));
  s.Bind(1, MatchExpression(words)).Bind(2, options.mark_open).Bind(3, options.mark_close);
  s.Bind(4, options.scope.has_value() ? ToString(*options.scope) : std::string());
  s.Bind(5, static_cast<std::int64_t>(options.limit))
      .Bind(6, static_cast<std::int64_t>(options.offset));
  std::vector<TextHit> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    TextHit hit;
    PARLEY_ASSIGN_OR_RETURN(hit.record, ParseRecordId(s.Text(0)));
    hit.type = std::string(s.Text(1));
    hit.field = std::string(s.Text(2));
    if (auto scope = ParseRecordId(s.Text(3)); scope.ok()) hit.scope = *scope;
    hit.snippet = std::string(s.Text(4));
    hit.score = sqlite3_column_double(s.raw(), 5);
    out.push_back(std::move(hit));
  }
  return out;
}

}  // namespace parley::log
