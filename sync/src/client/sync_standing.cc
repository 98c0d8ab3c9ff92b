// SyncState's standing queries and relay removal: what each relay holds of this device's log.
#include <algorithm>

#include "parley/sync/sync_state.h"

namespace parley::sync {

Status SyncState::RemoveRelay(std::int64_t relay) {
  return WithImmediateTransaction(db_, [&]() -> Status {
    Stmt del;
    PARLEY_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM sync_relays WHERE id = ?1"));
    PARLEY_RETURN_IF_ERROR(del.Bind(1, relay).Run());
    if (sqlite3_changes(db_) == 0)
      return Error(Domain::kSync, Code::kNotFound, "no such relay pinned");
    Stmt acks;
    PARLEY_RETURN_IF_ERROR(acks.Prepare(db_, "DELETE FROM sync_acks WHERE relay = ?1"));
    PARLEY_RETURN_IF_ERROR(acks.Bind(1, relay).Run());
    Stmt redactions;
    PARLEY_RETURN_IF_ERROR(redactions.Prepare(db_, "DELETE FROM sync_redactions WHERE relay = ?1"));
    return redactions.Bind(1, relay).Run();
  });
}

Result<std::vector<std::pair<std::int64_t, std::uint64_t>>> SyncState::WaitingPerRelay() {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_,
                "SELECT r.id, (SELECT count(*) FROM log_changes) - "
                "(SELECT count(*) FROM sync_acks a JOIN log_changes c ON c.id = a.change_id "
                "WHERE a.relay = r.id) FROM sync_relays r ORDER BY r.id"));
  std::vector<std::pair<std::int64_t, std::uint64_t>> out;
  PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& row) {
    out.emplace_back(row.Int(0), static_cast<std::uint64_t>(std::max<std::int64_t>(0, row.Int(1))));
    return true;
  }));
  return out;
}

Result<std::vector<SyncState::OwnChangeAcks>> SyncState::OwnChanges(crypto::ByteView identity) {
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_,
                                   "SELECT c.seq, c.id, a.relay, a.relay_seq FROM log_changes c "
                                   "JOIN log_authors u ON u.id = c.author "
                                   "LEFT JOIN sync_acks a ON a.change_id = c.id "
                                   "WHERE u.key = ?1 ORDER BY c.seq, a.relay"));
  s.BindBlob(1, identity);
  std::vector<OwnChangeAcks> out;
  PARLEY_RETURN_IF_ERROR(s.ForEach([&](const Stmt& row) {
    const auto seq = static_cast<std::uint64_t>(row.Int(0));
    if (out.empty() || out.back().seq != seq) {
      OwnChangeAcks& c = out.emplace_back();
      c.seq = seq;
      const auto id = row.Blob(1);
      if (id.size() == c.id.size()) std::copy(id.begin(), id.end(), c.id.begin());
    }
    if (!row.IsNull(2)) {
      out.back().acks.emplace_back(row.Int(2), static_cast<std::uint64_t>(row.Int(3)));
    }
    return true;
  }));
  return out;
}

}  // namespace parley::sync
