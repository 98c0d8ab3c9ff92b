// What a change's author had seen (docs/change-format.md, "What the author had seen").
//
// A new local change carries, for each other member whose contiguous held prefix grew since
// this device's previous change, the new prefix (ChangeBody.seen). Received changes' entries
// are kept in log_seen, so the newest change known to exist of every device is the larger of
// its highest held seq and the highest prefix any change claims: a device learns of changes
// it is missing even at the end of a chain, and can tell which of two changes was written
// knowing the other (causal order).
#include <algorithm>

#include "log/replica_impl.h"

namespace parley::log {

Status ReplicaImpl::AddSeen(pb::ChangeBody* body) {
  Stmt q;
  PARLEY_RETURN_IF_ERROR(q.Prepare(
      db_,
      "SELECT a.id, a.contig FROM log_authors a WHERE a.id != ?1 AND a.contig > "
      "COALESCE((SELECT max(s.upto) FROM log_seen s WHERE s.author = ?1 AND s.of = a.id), 0) "
      "ORDER BY a.id"));
  q.Bind(1, self_id_);
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    const std::string& key = author(q.Int(0)).key;
    if (key.empty() || membership_.Find(key) == nullptr) continue;  // only enrolled devices
    int index = -1;
    for (int i = 0; i < body->authors_size(); ++i) {
      if (body->authors(i) == key) index = i;
    }
    if (index < 0) {
      body->add_authors(key);
      index = body->authors_size() - 1;
    }
    pb::SeenHead* h = body->add_seen();
    h->set_author(static_cast<std::uint32_t>(index + 1));
    h->set_seq(static_cast<std::uint64_t>(q.Int(1)));
  }
  return Status::Ok();
}

Status ReplicaImpl::RecordSeen(std::int64_t author_id, std::uint64_t seq,
                               const pb::ChangeBody& body) {
  if (body.seen_size() == 0) return Status::Ok();
  Stmt ins;
  PARLEY_RETURN_IF_ERROR(ins.Prepare(
      db_, "INSERT OR IGNORE INTO log_seen(author, seq, of, upto) VALUES (?1, ?2, ?3, ?4)"));
  for (const pb::SeenHead& h : body.seen()) {
    // Entries that name no author of the body, or a device never enrolled, say nothing.
    if (h.author() == 0 || h.author() > static_cast<std::uint32_t>(body.authors_size())) continue;
    if (h.seq() == 0 || h.seq() > kMaxSeq) continue;
    const std::string& key = body.authors(static_cast<int>(h.author() - 1));
    if (membership_.Find(key) == nullptr) continue;
    PARLEY_ASSIGN_OR_RETURN(std::int64_t of, InternAuthor(key));
    ins.Reset();
    PARLEY_RETURN_IF_ERROR(ins.Bind(1, author_id)
                               .Bind(2, static_cast<std::int64_t>(seq))
                               .Bind(3, of)
                               .Bind(4, static_cast<std::int64_t>(h.seq()))
                               .Run());
  }
  return Status::Ok();
}

}  // namespace parley::log
