// Full-text search figures (docs/benchmarks.md, "Search"): a store of 100,000 notes of one
// negotiation, each ~30 words drawn from a 20,000-word vocabulary; the index is the one the
// replica keeps (docs/storage-schema.md, "Text index").
#include <sqlite3.h>

#include <string>
#include <vector>

#include "figures.h"
#include "parley/core/model.h"
#include "parley/core/sqlite_util.h"
#include "parley/platform/posix_env.h"

namespace parley::bench {
namespace {

constexpr std::size_t kVocabulary = 20000;
constexpr std::size_t kWordsPerNote = 30;
constexpr std::size_t kNotesPerChange = 1000;

struct Rng {
  std::uint64_t x;
  std::uint64_t Next() {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1DULL;
  }
};

// Word i of the vocabulary: 4 to 9 lowercase letters, deterministic.
std::string Word(std::size_t i) {
  Rng r{i * 0x9E3779B97F4A7C15ULL + 7};
  const std::size_t len = 4 + r.Next() % 6;
  std::string w;
  for (std::size_t k = 0; k < len; ++k) w += static_cast<char>('a' + r.Next() % 26);
  return w;
}

}  // namespace

void RunSearch(const Options& options) {
  if (!Wanted(options, "search_ms_p50") && !Wanted(options, "search_index_build_s") &&
      !Wanted(options, "search_index_mb") && !Wanted(options, "search_notes_write_s")) {
    return;
  }
  const std::size_t notes = options.quick ? 5000 : 100000;
  const std::size_t queries = options.quick ? 50 : 300;
  BenchStore b = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/true);
  model::Model model(*b.replica, SystemClock());
  const log::RecordId negotiation =
      Take(model.AddNegotiation({"Fresh Harvest Foods", "Tomato season"}), "negotiation");
  const std::string scope = log::ToString(negotiation);
  std::vector<std::string> vocabulary;
  vocabulary.reserve(kVocabulary);
  for (std::size_t i = 0; i < kVocabulary; ++i) vocabulary.push_back(Word(i));

  // The notes, 1,000 per change; each commit indexes its notes.
  Rng rng{42};
  Stopwatch write;
  for (std::size_t done = 0; done < notes;) {
    auto txn = Take(b.replica->Begin(), "begin");
    for (std::size_t i = 0; i < kNotesPerChange && done < notes; ++i, ++done) {
      std::string text;
      for (std::size_t w = 0; w < kWordsPerNote; ++w) {
        if (w > 0) text += ' ';
        // Skewed towards the first words (a natural language's frequent words).
        const std::size_t a = rng.Next() % kVocabulary, c = rng.Next() % kVocabulary;
        text += vocabulary[std::min(a, c)];
      }
      log::RecordId id = Take(txn->Create("note"), "create note");
      Check(txn->Set(id, "negotiation", scope), "set negotiation");
      Check(txn->Set(id, "text", text), "set text");
    }
    (void)Take(txn->Commit(), "commit notes");
  }
  const double write_s = write.ElapsedS();
  Note("wrote " + std::to_string(notes) + " notes (" + std::to_string(notes / kNotesPerChange) +
       " changes) in " + std::to_string(write_s) + " s, indexing included");

  // Searches as typed: a frequent word (of the first 1,000) alone, which as the last word is
  // also a prefix, or followed by the first 3 letters of another; 20 hits at most.
  std::vector<double> ms;
  std::size_t hits = 0;
  for (std::size_t q = 0; q < queries; ++q) {
    const std::string& first = vocabulary[rng.Next() % 1000];
    const std::string& second = vocabulary[rng.Next() % 1000];
    const std::string query = q % 2 == 0 ? first : first + " " + second.substr(0, 3);
    Stopwatch clock;
    auto found = Take(model.Search(query, {}), "search");
    ms.push_back(clock.ElapsedMs());
    hits += found.size();
  }
  Note("searches: " + std::to_string(queries) + ", hits returned: " + std::to_string(hits) +
       " (limit 20 each)");

  // The whole index rebuilt from the records (what opening a store without one does).
  Check(Exec(b.store->db(), "DELETE FROM log_meta WHERE k = 'text_index'", Domain::kLog),
        "drop mark");
  Stopwatch rebuild;
  auto reopened = Take(log::Replica::Open(*b.store, SystemClock()), "reopen replica");
  const double rebuild_s = rebuild.ElapsedS();
  reopened.reset();

  Stmt size;
  Check(size.Prepare(b.store->db(), "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'log_text%'"),
        "dbstat");
  const bool row = Take(size.Step(), "dbstat");
  const double index_mb = row ? static_cast<double>(size.Int(0)) / (1024.0 * 1024.0) : 0.0;
  size.Reset();

  Report("search_ms_p50", Quantile(ms, 0.50), "ms");
  Report("search_index_build_s", rebuild_s, "s");
  Report("search_index_mb", index_mb, "MiB");
  Report("search_notes_write_s", write_s, "s");
}

}  // namespace parley::bench
