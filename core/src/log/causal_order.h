// Causal order: which of two changes was written knowing the other (docs/change-format.md,
// "History order").
//
// Change X = (a, s) happened before change Y = (b, t) when a == b and s < t, or when Y's
// author had seen X: it held every change of a up to s or beyond when it wrote Y, as Y or an
// earlier change of b says (ChangeBody.seen, kept in log_seen; ReplicaImpl::SeenBy). Only
// what is held here is read, so an answer can turn from false to true when earlier changes
// of b arrive.
// Thread safety: like the Replica, one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "parley/core/sqlite_util.h"
#include "parley/platform/status.h"

namespace parley::log {

// A change to order.
struct CausalKey {
  std::int64_t author = 0;  // log_authors id; 0 for an author not known here
  std::uint64_t seq = 0;
  std::uint64_t hlc = 0;
  std::string_view hex;  // the author's hex key (ties); must outlive the call
};

// The highest seq of an author that the author of a change had seen when writing it.
class SeenLookup {
 public:
  Status Init(sqlite3* db);
  // 0 when nothing is known. `of` equal to `author` is not special-cased here.
  Result<std::uint64_t> UpTo(std::int64_t author, std::uint64_t seq, std::int64_t of);

 private:
  Stmt q_;
};

// Indexes into `changes`: a topological order of happened-before among them. Among the
// changes ready at each step the smallest (hlc, hex, seq, position) comes first, so changes
// that neither happened before the other keep clock order. With more than
// kMaxCausalChanges changes, or more than kMaxCausalLookups lookups of what an author had
// seen (changes × other authors among them), the whole order is that clock order. Claims
// only a dishonest author makes can form a cycle; its changes are then taken in clock
// order too.
Result<std::vector<std::size_t>> CausalOrderOf(sqlite3* db, std::span<const CausalKey> changes);

}  // namespace parley::log
