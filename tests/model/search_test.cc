// Model::Search over real encrypted stores: every free-text field is found, ranked, with a
// snippet; the index follows local and remote changes (sync and bundles), edits, deletes,
// conflicts and purges; a purged note's words leave every decrypted page of the database
// and its write-ahead log; a query is only ever words.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>

#include "model_fixture.h"
#include "parley/core/bundle.h"
#include "parley/core/sqlite_util.h"
#include "parley/platform/posix_env.h"

namespace parley::model {
namespace {

using testutil::Device;

class Search : public ::testing::Test {
 protected:
  testing::FakeClock clock{testutil::kMay1};
};

Result<std::vector<SearchHit>> Find(Device& d, std::string_view query,
                                    const SearchOptions& options = {}) {
  return d.model().Search(query, options);
}

// The records found for `query` (on any field).
std::set<RecordId> Records(Device& d, std::string_view query, const SearchOptions& options = {}) {
  auto hits = Find(d, query, options);
  EXPECT_TRUE(hits.ok()) << query << ": " << hits.status().ToString();
  std::set<RecordId> out;
  if (hits.ok()) {
    for (const SearchHit& h : *hits) out.insert(h.record);
  }
  return out;
}

RecordId Note(Device& d, const RecordId& negotiation, const std::string& text) {
  auto id = d.model().AddNote(negotiation, {std::nullopt, text});
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : RecordId{};
}

RecordId Negotiation(Device& d, const std::string& buyer, const std::string& title = "") {
  auto id = d.model().AddNegotiation({buyer, title});
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : RecordId{};
}

Status Delete(Device& d, const RecordId& id) {
  PARLEY_ASSIGN_OR_RETURN(auto tx, d.replica().Begin());
  PARLEY_RETURN_IF_ERROR(tx->Delete(id));
  return tx->Commit().status();
}

// Every page of the database and every frame of its write-ahead log, decrypted through the
// store's own VFS (what the index left inside the encryption).
std::string DecryptedContent(store::Store& store) {
  sqlite3* db = store.db();
  sqlite3_vfs* vfs = nullptr;
  EXPECT_EQ(sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs), SQLITE_OK);
  if (vfs == nullptr) return {};
  const std::string path = sqlite3_db_filename(db, "main");
  const std::string wal = path + "-wal";
  sqlite3_filename name = sqlite3_create_filename(path.c_str(), "", wal.c_str(), 0, nullptr);
  std::string out;
  struct Part {
    int kind;
    sqlite3_filename file;
    sqlite3_int64 first, unit;
  };
  for (const Part& part : {Part{SQLITE_OPEN_MAIN_DB, name, 0, 4096},
                           Part{SQLITE_OPEN_WAL, sqlite3_filename_wal(name), 32, 4120}}) {
    if (!std::filesystem::exists(part.kind == SQLITE_OPEN_WAL ? wal : path)) continue;
    std::vector<char> mem(static_cast<std::size_t>(vfs->szOsFile));
    auto* file = reinterpret_cast<sqlite3_file*>(mem.data());
    int flags = 0;
    if (vfs->xOpen(vfs, part.file, file, part.kind | SQLITE_OPEN_READONLY, &flags) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << part.file;
      continue;
    }
    sqlite3_int64 size = 0;
    EXPECT_EQ(file->pMethods->xFileSize(file, &size), SQLITE_OK);
    std::string unit(static_cast<std::size_t>(part.unit), '\0');
    for (sqlite3_int64 at = part.first; at + part.unit <= size; at += part.unit) {
      EXPECT_EQ(file->pMethods->xRead(file, unit.data(), static_cast<int>(part.unit), at),
                SQLITE_OK);
      out += unit;
    }
    file->pMethods->xClose(file);
  }
  sqlite3_free_filename(name);
  return out;
}

// The terms the index holds (fts5vocab), lower-cased as indexed.
std::set<std::string> IndexTerms(store::Store& store) {
  std::set<std::string> terms;
  sqlite3* db = store.db();
  EXPECT_TRUE(Exec(db,
                   "CREATE VIRTUAL TABLE IF NOT EXISTS temp.text_terms USING fts5vocab(main, "
                   "log_text, 'row')")
                  .ok());
  Stmt s;
  EXPECT_TRUE(s.Prepare(db, "SELECT term FROM temp.text_terms").ok());
  while (*s.Step()) terms.emplace(s.Text(0));
  return terms;
}

TEST_F(Search, EveryFieldAPersonTypesIsFoundAndNothingElse) {
  Device d(clock, "office", true);
  ASSERT_TRUE(d.ready());
  const RecordId n = Negotiation(d, "Fresh Harvest Foods", "Tomato season agreement");
  auto party = d.model().AddParty(n, {"buyer", "Quillfeather Procurement"});
  auto session = d.model().AddSession(n, {"2025-05-02", "Immokalee hall", "Ana Lopez, J. Smith"});
  const RecordId note = Note(d, n, "The buyer hesitated about prices");
  CommitmentInput c;
  c.kind = "price_premium";
  c.text = "One penny per pound to the pickers";
  c.amount = "250000 USD";
  auto commitment = d.model().AddCommitment(n, c);
  auto need = d.model().AddNeed(n, {"constraint", "Shareholders expect margins"});
  auto element = d.model().RequireElement(n, {"custom:no_retaliation", {}, {}});
  auto action =
      d.model().AddCampaignAction(n, {"2025-05-03", "delegation", "Walked to the headquarters"});
  ASSERT_TRUE(party.ok() && session.ok() && commitment.ok() && need.ok() && element.ok() &&
              action.ok());

  struct Expect {
    std::string query;
    RecordId record;
    std::string type, field;
  };
  const Expect expected[] = {
      {"harvest", n, "negotiation", "buyer"},
      {"tomato", n, "negotiation", "title"},
      {"quillfeather", *party, "party", "name"},
      {"immokalee", *session, "session", "place"},
      {"smith", *session, "session", "attendees"},
      {"hesitated", note, "note", "text"},
      {"premium", *commitment, "commitment", "kind"},
      {"penny pound", *commitment, "commitment", "text"},
      {"shareholders", *need, "need", "text"},
      {"retaliation", *element, "bottomline_element", "element"},
      {"delegation", *action, "campaign_action", "kind"},
      {"headquarters", *action, "campaign_action", "text"},
  };
  for (const Expect& e : expected) {
    SCOPED_TRACE(e.query);
    auto hits = Find(d, e.query);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().record, e.record);
    EXPECT_EQ(hits->front().type, e.type);
    EXPECT_EQ(hits->front().field, e.field);
    ASSERT_TRUE(hits->front().negotiation.has_value());
    EXPECT_EQ(*hits->front().negotiation, n);
    EXPECT_NE(hits->front().snippet.find('['), std::string::npos) << hits->front().snippet;
  }
  // Values that are not free text are not indexed: amounts, dates, statuses, references.
  for (const char* other : {"250000", "2025", "proposed", "active", "constraint", "flexible"}) {
    EXPECT_TRUE(Records(d, other).empty()) << other;
  }
  EXPECT_TRUE(Records(d, log::ToString(n).substr(0, 12)).empty());
}

TEST_F(Search, WordsInAnyOrderCaseAndAccentsFoldedLastWordAPrefixRankedWithSnippets) {
  Device d(clock, "office", true);
  ASSERT_TRUE(d.ready());
  const RecordId n = Negotiation(d, "Fresh Harvest Foods");
  const RecordId once =
      Note(d, n,
           "A long note that mentions the boycott only once, among many other words about the "
           "season, the weather, the trucks and the fields");
  const RecordId twice = Note(d, n, "Boycott, boycott: the Café said");
  const RecordId none = Note(d, n, "Nothing relevant here");
  auto hits = Find(d, "BOYCOTT");
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].record, twice);  // bm25: more often, in a shorter text
  EXPECT_EQ((*hits)[1].record, once);
  EXPECT_LE((*hits)[0].score, (*hits)[1].score);
  EXPECT_EQ((*hits)[0].snippet, "[Boycott], [boycott]: the Café said");
  EXPECT_NE((*hits)[1].snippet.find("[boycott]"), std::string::npos);
  EXPECT_NE((*hits)[1].snippet.find("…"), std::string::npos) << (*hits)[1].snippet;  // cut
  EXPECT_EQ(Records(d, "cafe said"), std::set<RecordId>{twice});
  EXPECT_EQ(Records(d, "said café"), std::set<RecordId>{twice});
  EXPECT_EQ(Records(d, "boyc"), (std::set<RecordId>{once, twice}));  // the last word is a prefix
  EXPECT_TRUE(Records(d, "boyc said").empty());                      // the others are whole words
  EXPECT_EQ(Records(d, "relevant"), std::set<RecordId>{none});
  EXPECT_TRUE(Records(d, "boycott relevant").empty());  // every word must appear
}

TEST_F(Search, NegotiationLimitAndOffset) {
  Device d(clock, "office", true);
  ASSERT_TRUE(d.ready());
  const RecordId a = Negotiation(d, "Alpha Foods");
  const RecordId b = Negotiation(d, "Beta Markets");
  std::set<RecordId> in_a, in_b;
  for (int i = 0; i < 5; ++i) {
    in_a.insert(Note(d, a, "picket number " + std::to_string(i)));
    in_b.insert(Note(d, b, "picket line " + std::to_string(i)));
  }
  SearchOptions only_a;
  only_a.negotiation = a;
  EXPECT_EQ(Records(d, "picket", only_a), in_a);
  SearchOptions only_b;
  only_b.negotiation = b;
  EXPECT_EQ(Records(d, "picket", only_b), in_b);
  EXPECT_EQ(Records(d, "alpha", only_a), std::set<RecordId>{a});  // the negotiation itself
  EXPECT_TRUE(Records(d, "alpha", only_b).empty());
  EXPECT_EQ(Records(d, "picket").size(), 10u);

  // Pages: disjoint, together every hit, in the same order as one call.
  auto all = Find(d, "picket");
  ASSERT_TRUE(all.ok());
  std::vector<RecordId> paged;
  for (std::size_t offset = 0; offset < 12; offset += 4) {
    SearchOptions page;
    page.limit = 4;
    page.offset = offset;
    auto hits = Find(d, "picket", page);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    EXPECT_EQ(hits->size(), offset == 8 ? 2u : 4u);
    for (const SearchHit& h : *hits) paged.push_back(h.record);
  }
  ASSERT_EQ(paged.size(), all->size());
  for (std::size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i], (*all)[i].record);

  SearchOptions unknown;
  unknown.negotiation = RecordId{1, 2, 3};
  EXPECT_EQ(Find(d, "picket", unknown).status().code(), Code::kNotFound);
  SearchOptions note_as_negotiation;
  note_as_negotiation.negotiation = *in_a.begin();
  EXPECT_EQ(Find(d, "picket", note_as_negotiation).status().code(), Code::kNotFound);
}

TEST_F(Search, AQueryIsOnlyEverWords) {
  Device d(clock, "office", true);
  ASSERT_TRUE(d.ready());
  const RecordId n = Negotiation(d, "Fresh Harvest Foods");
  const RecordId and_not = Note(d, n, "Wages and hours, NOT overtime: text near the OR column");
  // FTS5 operators and punctuation are words or separators, never syntax.
  for (const char* q : {"and",           "NOT overtime",
                        "wages AND",     "OR",
                        "near",          "NEAR(wages hours)",
                        "text:wages",    "\"wages",
                        "wages\"",       "wag*",
                        "^wages",        "(hours",
                        "hours)",        "-overtime",
                        "wages + hours", "colu",
                        "{text}: wages", "'wages'",
                        "wages\\",       "hours;DROP TABLE log_text"}) {
    SCOPED_TRACE(q);
    auto hits = Find(d, q);
    if (std::string_view(q) == "hours;DROP TABLE log_text") {
      ASSERT_TRUE(hits.ok()) << hits.status().ToString();
      EXPECT_TRUE(hits->empty());
      continue;
    }
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().record, and_not);
  }
  // Nothing to search for, or out of bounds: kInvalidArgument in the model's domain.
  const std::string too_long(log::kMaxSearchBytes + 1, 'a');
  std::string too_many;
  for (std::size_t i = 0; i <= log::kMaxSearchWords; ++i) too_many += "w" + std::to_string(i) + " ";
  for (const std::string& q :
       {std::string(), std::string("   "), std::string("\"\""), std::string("*"),
        std::string("— … !?"), too_long, too_many, std::string("bad \xff\xfe utf8"),
        std::string("cut \xe2\x82"), std::string("overlong \xc0\xaf")}) {
    SCOPED_TRACE(q);
    auto hits = Find(d, q);
    ASSERT_FALSE(hits.ok());
    EXPECT_EQ(hits.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(hits.status().domain(), Domain::kModel);
    EXPECT_EQ(hits.status().message().find("SQL"), std::string::npos) << hits.status().message();
  }
  for (auto [limit, offset] : {std::pair<std::size_t, std::size_t>{0, 0},
                               {log::kMaxTextHits + 1, 0},
                               {10, log::kMaxTextOffset + 1}}) {
    SearchOptions o;
    o.limit = limit;
    o.offset = offset;
    EXPECT_EQ(Find(d, "wages", o).status().code(), Code::kInvalidArgument);
  }
  // The table is intact.
  EXPECT_EQ(Records(d, "wages"), std::set<RecordId>{and_not});
}

TEST_F(Search, EditsAndDeletesAreFollowed) {
  Device d(clock, "office", true);
  ASSERT_TRUE(d.ready());
  const RecordId n = Negotiation(d, "Fresh Harvest Foods");
  const RecordId note = Note(d, n, "first draft mentions quinoa");
  const RecordId other = Note(d, n, "another note about quinoa");
  ASSERT_TRUE(d.model().Resolve(note, "text", "second draft mentions lentils").ok());
  EXPECT_EQ(Records(d, "quinoa"), std::set<RecordId>{other});
  EXPECT_EQ(Records(d, "lentils"), std::set<RecordId>{note});
  EXPECT_TRUE(Records(d, "first").empty());
  ASSERT_TRUE(Delete(d, other).ok());
  EXPECT_TRUE(Records(d, "quinoa").empty());
  EXPECT_EQ(Records(d, "lentils"), std::set<RecordId>{note});
  // A deleted negotiation is not found; its notes still are (they are not deleted).
  ASSERT_TRUE(Delete(d, n).ok());
  EXPECT_TRUE(Records(d, "harvest").empty());
  EXPECT_EQ(Records(d, "lentils"), std::set<RecordId>{note});
}

TEST_F(Search, RemoteChangesConflictsAndBundlesAreFollowed) {
  Device admin(clock, "office", true);
  Device phone(clock, "phone", false);
  Device tablet(clock, "tablet", false);
  ASSERT_TRUE(admin.ready() && phone.ready() && tablet.ready());
  ASSERT_NO_FATAL_FAILURE(admin.Enroll(phone));
  ASSERT_NO_FATAL_FAILURE(admin.Enroll(tablet));
  const RecordId n = Negotiation(admin, "Fresh Harvest Foods");
  const RecordId note = Note(admin, n, "the delegation met the manager");
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));
  EXPECT_EQ(Records(phone, "manager"), std::set<RecordId>{note});

  // Concurrent edits: both surviving versions are found, on both devices.
  clock.AdvanceMs(1000);
  ASSERT_TRUE(admin.model().Resolve(note, "text", "the delegation met the director").ok());
  clock.AdvanceMs(1000);
  ASSERT_TRUE(phone.model().Resolve(note, "text", "the delegation met the treasurer").ok());
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));
  ASSERT_NO_FATAL_FAILURE(phone.SendTo(admin));
  for (Device* dev : {&admin, &phone}) {
    EXPECT_EQ(Records(*dev, "director"), std::set<RecordId>{note});
    EXPECT_EQ(Records(*dev, "treasurer"), std::set<RecordId>{note});
    EXPECT_TRUE(Records(*dev, "manager").empty());
  }
  // Resolved: only the chosen value.
  clock.AdvanceMs(1000);
  ASSERT_TRUE(phone.model().Resolve(note, "text", "the delegation met the treasurer").ok());
  ASSERT_NO_FATAL_FAILURE(phone.SendTo(admin));
  for (Device* dev : {&admin, &phone}) {
    EXPECT_TRUE(Records(*dev, "director").empty());
    EXPECT_EQ(Records(*dev, "treasurer"), std::set<RecordId>{note});
  }
  // A remote delete.
  const RecordId gone = Note(phone, n, "rumours about the cannery");
  ASSERT_NO_FATAL_FAILURE(phone.SendTo(admin));
  EXPECT_EQ(Records(admin, "cannery"), std::set<RecordId>{gone});
  ASSERT_TRUE(Delete(phone, gone).ok());
  ASSERT_NO_FATAL_FAILURE(phone.SendTo(admin));
  EXPECT_TRUE(Records(admin, "cannery").empty());

  // A bundle: the tablet, offline, imports what the admin exported.
  const std::string path = admin.Path("all.bundle");
  ASSERT_TRUE(bundle::ExportBundle(admin.replica(), admin.store(), PosixEnv(), path).ok());
  auto imported = bundle::ImportBundle(tablet.replica(), tablet.store(), PosixEnv(), path);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(Records(tablet, "treasurer"), std::set<RecordId>{note});
  EXPECT_TRUE(Records(tablet, "director").empty());
  EXPECT_TRUE(Records(tablet, "cannery").empty());
  EXPECT_EQ(Records(tablet, "harvest"), std::set<RecordId>{n});
}

TEST_F(Search, APurgedNoteLeavesTheIndexAndEveryDecryptedPage) {
  Device admin(clock, "office", true);
  Device phone(clock, "phone", false);
  ASSERT_TRUE(admin.ready() && phone.ready());
  ASSERT_NO_FATAL_FAILURE(admin.Enroll(phone));
  const RecordId n = Negotiation(admin, "Fresh Harvest Foods");
  const std::string marker = "zqvxpurgemarker";
  const RecordId kept = Note(admin, n, "kept note about wages");
  const RecordId purged = Note(admin, n, "secret " + marker + " said in confidence about wages");
  // Many more notes, so the index has several segments and pages.
  for (int i = 0; i < 60; ++i) Note(admin, n, "filler note " + std::to_string(i) + " about wages");
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));
  for (Device* dev : {&admin, &phone}) {
    EXPECT_EQ(Records(*dev, marker), std::set<RecordId>{purged});
    EXPECT_EQ(IndexTerms(dev->store()).count(marker), 1u);
    // The check below can see the marker: it is inside the encryption before the purge.
    EXPECT_NE(DecryptedContent(dev->store()).find(marker), std::string::npos);
  }
  auto done = admin.replica().Purge(purged);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));
  for (Device* dev : {&admin, &phone}) {
    SCOPED_TRACE(dev == &admin ? "admin" : "phone");
    EXPECT_TRUE(Records(*dev, marker).empty());
    EXPECT_TRUE(Records(*dev, "confidence").empty());
    SearchOptions all;
    all.limit = 100;
    EXPECT_EQ(Records(*dev, "wages", all).size(), 61u);
    EXPECT_EQ(Records(*dev, "kept"), std::set<RecordId>{kept});
    const std::set<std::string> terms = IndexTerms(dev->store());
    EXPECT_EQ(terms.count(marker), 0u);
    EXPECT_EQ(terms.count("confidence"), 0u);
    EXPECT_EQ(terms.count("wages"), 1u);
    // The merge dropped its words and secure_delete zeroed the pages they left; the
    // write-ahead log was truncated after the purge.
    EXPECT_EQ(DecryptedContent(dev->store()).find(marker), std::string::npos);
  }
}

TEST_F(Search, AStoreIndexedByNoVersionIsIndexedWhenOpened) {
  Device d(clock, "office", true);
  ASSERT_TRUE(d.ready());
  const RecordId n = Negotiation(d, "Fresh Harvest Foods");
  const RecordId note = Note(d, n, "older store without an index");
  ASSERT_TRUE(
      Exec(d.store().db(), "DELETE FROM log_text; DELETE FROM log_meta WHERE k = 'text_index'")
          .ok());
  EXPECT_TRUE(Records(d, "older").empty());
  auto reopened = log::Replica::Open(d.store(), clock);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  Model model(**reopened, clock);
  auto hits = model.Search("older");
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().record, note);
  EXPECT_EQ(Records(d, "harvest"), std::set<RecordId>{n});
}

TEST_F(Search, ManyHitsSortInMemory) {
  Device d(clock, "office", true);
  ASSERT_TRUE(d.ready());
  const RecordId n = Negotiation(d, "Fresh Harvest Foods");
  // 3,000 notes in a few changes: ranking them all sorts without any temporary file (the
  // store's VFS refuses them; temp_store=MEMORY).
  for (int batch = 0; batch < 6; ++batch) {
    auto tx = d.replica().Begin();
    ASSERT_TRUE(tx.ok());
    for (int i = 0; i < 500; ++i) {
      auto id = (*tx)->Create("note");
      ASSERT_TRUE(id.ok());
      ASSERT_TRUE((*tx)->Set(*id, "negotiation", log::ToString(n)).ok());
      ASSERT_TRUE(
          (*tx)->Set(*id, "text", "common words for note " + std::to_string(batch * 500 + i)).ok());
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  Stmt temp;
  ASSERT_TRUE(temp.Prepare(d.store().db(), "PRAGMA temp_store").ok());
  ASSERT_TRUE(*temp.Step());
  EXPECT_EQ(temp.Int(0), 2);  // MEMORY
  SearchOptions o;
  o.limit = 1000;
  o.offset = 1900;
  auto hits = Find(d, "common words", o);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->size(), 1000u);
  SearchOptions scoped = o;
  scoped.negotiation = n;
  auto in_n = Find(d, "note", scoped);
  ASSERT_TRUE(in_n.ok()) << in_n.status().ToString();
  EXPECT_EQ(in_n->size(), 1000u);
}

}  // namespace
}  // namespace parley::model
