// Causal order of changes (causal_order.h) and the Replica's causality queries.
#include "log/causal_order.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <tuple>

#include "log/replica_impl.h"

namespace parley::log {

Status SeenLookup::Init(sqlite3* db) {
  return q_.Prepare(db,
                    "SELECT max(upto) FROM log_seen WHERE author = ?1 AND of = ?2 AND seq <= ?3");
}

Result<std::uint64_t> SeenLookup::UpTo(std::int64_t author, std::uint64_t seq, std::int64_t of) {
  if (author == 0 || of == 0) return std::uint64_t{0};
  q_.Reset();
  q_.Bind(1, author).Bind(2, of).Bind(
      3, static_cast<std::int64_t>(std::min<std::uint64_t>(seq, kMaxSeq)));
  PARLEY_ASSIGN_OR_RETURN(bool row, q_.Step());
  const std::int64_t upto = row ? q_.Int(0) : 0;  // NULL (no row matched) reads as 0
  q_.Reset();
  return upto > 0 ? static_cast<std::uint64_t>(upto) : 0;
}

Result<std::vector<std::size_t>> CausalOrderOf(sqlite3* db, std::span<const CausalKey> changes) {
  const std::size_t n = changes.size();
  std::vector<std::size_t> by_clock(n);
  for (std::size_t i = 0; i < n; ++i) by_clock[i] = i;
  std::sort(by_clock.begin(), by_clock.end(), [&](std::size_t x, std::size_t y) {
    const CausalKey& a = changes[x];
    const CausalKey& b = changes[y];
    return std::tie(a.hlc, a.hex, a.seq, x) < std::tie(b.hlc, b.hex, b.seq, y);
  });
  std::vector<std::int64_t> authors;  // distinct author ids among the changes
  for (const CausalKey& c : changes) {
    if (std::find(authors.begin(), authors.end(), c.author) == authors.end())
      authors.push_back(c.author);
  }
  if (n > kMaxCausalChanges ||
      n * (authors.size() - std::min<std::size_t>(authors.size(), 1)) > kMaxCausalLookups) {
    // Too many for the quadratic work below: clock order, which agrees with causal order
    // whenever the clocks do.
    return by_clock;
  }
  // upto[j * A + k]: the highest seq of authors[k] that the author of change j had seen. For
  // its own author, seq - 1: its own earlier changes, not itself.
  const std::size_t a_count = authors.size();
  std::vector<std::size_t> author_index(n);
  std::vector<std::uint64_t> upto(n * a_count, 0);
  SeenLookup seen;
  PARLEY_RETURN_IF_ERROR(seen.Init(db));
  for (std::size_t j = 0; j < n; ++j) {
    const CausalKey& c = changes[j];
    for (std::size_t k = 0; k < a_count; ++k) {
      if (authors[k] == c.author) {
        author_index[j] = k;
        upto[j * a_count + k] = c.author == 0 ? 0 : c.seq - std::min<std::uint64_t>(c.seq, 1);
      } else {
        PARLEY_ASSIGN_OR_RETURN(upto[j * a_count + k], seen.UpTo(c.author, c.seq, authors[k]));
      }
    }
  }
  auto before = [&](std::size_t i, std::size_t j) {
    return changes[i].author != 0 && changes[i].seq != 0 && i != j &&
           upto[j * a_count + author_index[i]] >= changes[i].seq;
  };
  // Kahn's algorithm, taking the ready change first in clock order.
  std::vector<std::size_t> rank(n), waiting(n, 0);
  for (std::size_t r = 0; r < n; ++r) rank[by_clock[r]] = r;
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t i = 0; i < n; ++i) waiting[j] += before(i, j) ? 1 : 0;
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;  // ranks
  for (std::size_t j = 0; j < n; ++j) {
    if (waiting[j] == 0) ready.push(rank[j]);
  }
  std::vector<bool> done(n, false);
  std::vector<std::size_t> out;
  out.reserve(n);
  std::size_t cursor = 0;  // into by_clock: the first change that may not be done
  while (out.size() < n) {
    if (ready.empty()) {
      // A cycle (claims no honest author makes): break it at its oldest change by clock.
      while (done[by_clock[cursor]]) ++cursor;
      ready.push(cursor);
    }
    const std::size_t i = by_clock[ready.top()];
    ready.pop();
    if (done[i]) continue;
    done[i] = true;
    out.push_back(i);
    for (std::size_t j = 0; j < n; ++j) {
      if (!done[j] && before(i, j) && --waiting[j] == 0) ready.push(rank[j]);
    }
  }
  return out;
}

Result<bool> ReplicaImpl::HappenedBefore(const ChangeStamp& a, const ChangeStamp& b) {
  const std::int64_t author_a = FindAuthorHex(a.author);
  const std::int64_t author_b = FindAuthorHex(b.author);
  if (author_a == 0 || author_b == 0 || a.seq == 0) return false;
  if (author_a == author_b) return a.seq < b.seq;
  SeenLookup seen;
  PARLEY_RETURN_IF_ERROR(seen.Init(db_));
  PARLEY_ASSIGN_OR_RETURN(std::uint64_t upto, seen.UpTo(author_b, b.seq, author_a));
  return upto >= a.seq;
}

Result<std::vector<std::size_t>> ReplicaImpl::CausalOrder(std::span<const ChangeStamp> changes) {
  std::vector<CausalKey> keys;
  keys.reserve(changes.size());
  for (const ChangeStamp& c : changes)
    keys.push_back({FindAuthorHex(c.author), c.seq, c.hlc, c.author});
  return CausalOrderOf(db_, keys);
}

std::int64_t ReplicaImpl::FindAuthorHex(std::string_view hex) const {
  auto key = crypto::FromHex(hex);
  if (!key.ok()) return 0;
  return FindAuthor(std::string_view(reinterpret_cast<const char*>(key->data()), key->size()));
}

}  // namespace parley::log
