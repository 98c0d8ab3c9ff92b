// Reading: records with their surviving values, conflicts and history (in causal order,
// causal_order.h).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "log/causal_order.h"
#include "log/replica_impl.h"
#include "log/tuning.h"

namespace parley::log {
namespace {

std::string_view AsText(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

RecordId ToRecordId(std::span<const std::uint8_t> b) {
  RecordId id{};
  if (b.size() == id.size()) std::memcpy(id.data(), b.data(), id.size());
  return id;
}

}  // namespace

Value ReplicaImpl::MakeValue(std::int64_t op, std::uint64_t hlc, std::string data) const {
  Value v;
  v.data = std::move(data);
  v.hlc = hlc;
  const AuthorInfo& a = author(static_cast<std::int64_t>(OpKeyAuthor(op)));
  v.author = a.hex;
  v.author_name = a.name;
  v.seq = OpKeySeq(op);
  v.index = static_cast<std::uint32_t>(OpKeyIndex(op));
  return v;
}

void ReplicaImpl::SortValues(std::vector<Value>& values) const {
  std::sort(values.begin(), values.end(), [](const Value& a, const Value& b) {
    return std::tie(a.hlc, a.author, a.seq, a.index) < std::tie(b.hlc, b.author, b.seq, b.index);
  });
}

Existence ReplicaImpl::ExistenceOf(const std::vector<int>& live_kinds, bool has_fields) const {
  const bool alive = std::find(live_kinds.begin(), live_kinds.end(), kOpCreate) != live_kinds.end();
  const bool deleted =
      std::find(live_kinds.begin(), live_kinds.end(), kOpDelete) != live_kinds.end();
  if (alive && deleted) return Existence::kConflict;
  if (alive) return Existence::kAlive;
  return has_fields ? Existence::kDeletedWithEdits : Existence::kDeleted;
}

Result<Record> ReplicaImpl::BuildRecord(std::int64_t rid, std::string_view id,
                                        std::string_view type, std::uint64_t created) {
  Record rec;
  rec.id = ToRecordId(crypto::AsBytes(id));
  rec.type = std::string(type);
  rec.created_hlc = created;
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(
      db_,
      "SELECT l.op, o.kind, l.field, o.value, o.hlc FROM log_live l JOIN log_ops o ON o.op = l.op "
      "WHERE l.rid = ?1 ORDER BY l.field"));
  s.Bind(1, rid);
  PARLEY_ASSIGN_OR_RETURN(std::optional<RecordKeyBytes> key, RecordKey(rec.id));
  std::vector<int> kinds;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const int kind = static_cast<int>(s.Int(1));
    if (kind != kOpSet) {
      kinds.push_back(kind);
      continue;
    }
    std::string_view name = s.Text(2);
    if (rec.fields.empty() || rec.fields.back().name != name)
      rec.fields.push_back(Field{std::string(name), {}});
    bool unreadable = false;
    std::string data = OpenedValue(key, rec.id, name, AsText(s.Blob(3)), &unreadable);
    rec.fields.back().values.push_back(
        MakeValue(s.Int(0), static_cast<std::uint64_t>(s.Int(4)), std::move(data)));
    rec.fields.back().values.back().unreadable = unreadable;
  }
  for (Field& f : rec.fields) SortValues(f.values);
  rec.existence = ExistenceOf(kinds, !rec.fields.empty());
  return rec;
}

Result<std::optional<Record>> ReplicaImpl::Get(const RecordId& id) {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT rid, type, created_hlc FROM log_records WHERE id = ?1"));
  s.BindBlob(1, crypto::ByteView(id.data(), id.size()));
  PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.Text(1).empty()) return std::optional<Record>();
  PARLEY_ASSIGN_OR_RETURN(
      Record rec,
      BuildRecord(s.Int(0), std::string_view(reinterpret_cast<const char*>(id.data()), id.size()),
                  s.Text(1), static_cast<std::uint64_t>(s.Int(2))));
  return std::optional<Record>(std::move(rec));
}

Result<std::vector<Record>> ReplicaImpl::List(std::string_view type, bool include_deleted) {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_, type.empty()
                                            ? "SELECT rid, id, type, created_hlc FROM log_records "
                                              "WHERE type <> '' ORDER BY created_hlc, id"
                                            : "SELECT rid, id, type, created_hlc FROM log_records "
                                              "WHERE type = ?1 ORDER BY created_hlc, id"));
  if (!type.empty()) s.Bind(1, type);
  std::vector<Record> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    PARLEY_ASSIGN_OR_RETURN(Record rec, BuildRecord(s.Int(0), AsText(s.Blob(1)), s.Text(2),
                                                    static_cast<std::uint64_t>(s.Int(3))));
    const bool deleted =
        rec.existence == Existence::kDeleted || rec.existence == Existence::kDeletedWithEdits;
    if (deleted && !include_deleted) continue;
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<Record>> ReplicaImpl::Find(std::string_view type, std::string_view field,
                                              std::string_view value) {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_,
                "SELECT DISTINCT r.rid, r.id, r.type, r.created_hlc FROM log_records r "
                "JOIN log_live l ON l.rid = r.rid AND l.field = ?2 "
                "WHERE r.type = ?1 ORDER BY r.created_hlc, r.id"));
  s.Bind(1, type).Bind(2, field);
  std::vector<Record> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    PARLEY_ASSIGN_OR_RETURN(Record rec, BuildRecord(s.Int(0), AsText(s.Blob(1)), s.Text(2),
                                                    static_cast<std::uint64_t>(s.Int(3))));
    if (rec.existence == Existence::kDeleted) continue;
    // Values are sealed under the record's key: compared once opened.
    const Field* f = rec.field(field);
    if (f == nullptr || std::none_of(f->values.begin(), f->values.end(), [&](const Value& v) {
          return !v.unreadable && v.data == value;
        })) {
      continue;
    }
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<Conflict>> ReplicaImpl::Conflicts() {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  std::vector<Conflict> out;
  Stmt rec;
  PARLEY_RETURN_IF_ERROR(
      rec.Prepare(db_, "SELECT id, type, created_hlc FROM log_records WHERE rid = ?1"));
  // Field conflicts: more than one surviving value.
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_,
                "SELECT l.rid, l.field FROM log_live l JOIN log_records r ON r.rid = l.rid "
                "WHERE l.field <> '' AND r.type <> '' "
                "GROUP BY l.rid, l.field HAVING count(*) > 1"));
  Stmt values;
  PARLEY_RETURN_IF_ERROR(
      values.Prepare(db_,
                     "SELECT l.op, o.value, o.hlc FROM log_live l JOIN log_ops o ON o.op = l.op "
                     "WHERE l.rid = ?1 AND l.field = ?2"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    Conflict c;
    const std::int64_t rid = s.Int(0);
    c.field = std::string(s.Text(1));
    rec.Reset();
    rec.Bind(1, rid);
    PARLEY_ASSIGN_OR_RETURN(bool found, rec.Step());
    if (!found) continue;
    c.record = ToRecordId(rec.Blob(0));
    c.type = std::string(rec.Text(1));
    values.Reset();
    values.Bind(1, rid).Bind(2, std::string_view(c.field));
    PARLEY_ASSIGN_OR_RETURN(std::optional<RecordKeyBytes> key, RecordKey(c.record));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool r, values.Step());
      if (!r) break;
      bool unreadable = false;
      std::string data = OpenedValue(key, c.record, c.field, AsText(values.Blob(1)), &unreadable);
      c.values.push_back(
          MakeValue(values.Int(0), static_cast<std::uint64_t>(values.Int(2)), std::move(data)));
      c.values.back().unreadable = unreadable;
    }
    SortValues(c.values);
    out.push_back(std::move(c));
  }
  // Existence conflicts: a surviving tombstone beside a re-creation or concurrent edits.
  Stmt deleted;
  PARLEY_RETURN_IF_ERROR(deleted.Prepare(
      db_,
      "SELECT DISTINCT l.rid, r.id, r.type, r.created_hlc FROM log_live l JOIN log_ops o ON o.op = "
      "l.op "
      "JOIN log_records r ON r.rid = l.rid WHERE l.field = '' AND o.kind = 3 AND r.type <> ''"));
  Stmt existence;
  PARLEY_RETURN_IF_ERROR(
      existence.Prepare(db_,
                        "SELECT l.op, o.kind, o.hlc FROM log_live l JOIN log_ops o ON o.op = l.op "
                        "WHERE l.rid = ?1 AND l.field = ''"));
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, deleted.Step());
    if (!row) break;
    PARLEY_ASSIGN_OR_RETURN(Record r,
                            BuildRecord(deleted.Int(0), AsText(deleted.Blob(1)), deleted.Text(2),
                                        static_cast<std::uint64_t>(deleted.Int(3))));
    if (r.existence != Existence::kConflict && r.existence != Existence::kDeletedWithEdits)
      continue;
    Conflict c;
    c.record = r.id;
    c.type = r.type;
    existence.Reset();
    existence.Bind(1, deleted.Int(0));
    for (;;) {
      PARLEY_ASSIGN_OR_RETURN(bool e, existence.Step());
      if (!e) break;
      c.values.push_back(MakeValue(existence.Int(0), static_cast<std::uint64_t>(existence.Int(2)),
                                   existence.Int(1) == kOpDelete ? "deleted" : "alive"));
    }
    SortValues(c.values);
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Conflict& a, const Conflict& b) {
    return std::tie(a.record, a.field) < std::tie(b.record, b.field);
  });
  return out;
}

Result<std::vector<HistoryEntry>> ReplicaImpl::History(const RecordId& id) {
  PARLEY_RETURN_IF_ERROR(RevalidateCaches());
  // A purged record's history is the purge alone: who and when, nothing of its content.
  PARLEY_ASSIGN_OR_RETURN(std::optional<PurgeRecordInfo> purge, PurgeInfo(id));
  if (purge.has_value()) {
    HistoryEntry e;
    e.hlc = purge->hlc;
    e.author = purge->author;
    e.author_name = purge->author_name;
    e.seq = purge->seq;
    e.op = "purge";
    return std::vector<HistoryEntry>{std::move(e)};
  }
  PARLEY_ASSIGN_OR_RETURN(std::int64_t rid, FindRecord(id, nullptr));
  if (rid == 0) return Error(Domain::kLog, Code::kNotFound, "no record " + ToString(id));
  PARLEY_ASSIGN_OR_RETURN(std::optional<RecordKeyBytes> record_key, RecordKey(id));
  // The record's ops are chained newest first from log_records.last_op (schema.h).
  PARLEY_ASSIGN_OR_RETURN(std::int64_t next, LastOp(rid));
  Stmt s;
  PARLEY_RETURN_IF_ERROR(
      s.Prepare(db_,
                "SELECT o.op, o.kind, o.field, o.value, o.hlc, EXISTS(SELECT 1 FROM log_live l "
                "WHERE l.rid = o.rid AND l.field = o.field AND l.op = o.op), o.prev, o.rid "
                "FROM log_ops o WHERE o.op = ?1"));
  struct Row {
    std::int64_t op = 0;
    HistoryEntry entry;
  };
  std::vector<Row> rows;
  while (next != 0) {
    s.Reset();
    s.Bind(1, next);
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.Int(7) != rid)
      return Error(Domain::kLog, Code::kCorrupt, "a record's history chain is broken");
    next = s.Int(6);
    const int kind = static_cast<int>(s.Int(1));
    const Value v = MakeValue(s.Int(0), static_cast<std::uint64_t>(s.Int(4)), "");
    HistoryEntry e;
    e.hlc = v.hlc;
    e.author = v.author;
    e.author_name = v.author_name;
    e.seq = v.seq;
    switch (kind) {
      // Only the originating create (it carried the record's origin, so its creator wrote
      // it) stored the record's type (merge.cc, WriteOp); a restore stored none.
      case kOpCreate:
        e.op = s.Blob(3).empty() ? "restore" : "create";
        break;
      case kOpSet:
        e.op = "set";
        e.field = std::string(s.Text(2));
        {
          bool unreadable = false;
          e.value = OpenedValue(record_key, id, e.field, AsText(s.Blob(3)), &unreadable);
        }
        break;
      default:
        e.op = "delete";
        break;
    }
    e.live = s.Int(5) != 0;
    rows.push_back({s.Int(0), std::move(e)});
  }
  // One key per change; the ops of a change share its clock.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> change_of;  // (author id, seq)
  std::vector<CausalKey> changes;
  std::vector<std::size_t> row_change(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto key = std::make_pair(OpKeyAuthor(rows[i].op), OpKeySeq(rows[i].op));
    auto [it, added] = change_of.emplace(key, changes.size());
    if (added) {
      changes.push_back({static_cast<std::int64_t>(key.first), key.second, rows[i].entry.hlc,
                         author(static_cast<std::int64_t>(key.first)).hex});
    }
    row_change[i] = it->second;
  }
  PARLEY_ASSIGN_OR_RETURN(std::vector<std::size_t> order, CausalOrderOf(db_, changes));
  std::vector<std::size_t> position(changes.size());
  for (std::size_t p = 0; p < order.size(); ++p) position[order[p]] = p;
  std::vector<std::size_t> by_order(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) by_order[i] = i;
  std::sort(by_order.begin(), by_order.end(), [&](std::size_t a, std::size_t b) {
    return std::make_pair(position[row_change[a]], OpKeyIndex(rows[a].op)) <
           std::make_pair(position[row_change[b]], OpKeyIndex(rows[b].op));
  });
  std::vector<HistoryEntry> out;
  out.reserve(rows.size());
  for (std::size_t i : by_order) out.push_back(std::move(rows[i].entry));
  return out;
}

Result<RecordId> ReplicaImpl::ResolvePrefix(std::string_view prefix) {
  PARLEY_ASSIGN_OR_RETURN(auto ids, MatchPrefix(prefix, 2));
  std::string lower(prefix);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ids.empty()) return Error(Domain::kLog, Code::kNotFound, "no record starts with " + lower);
  if (ids.size() > 1)
    return Error(Domain::kLog, Code::kInvalidArgument, "ambiguous record id prefix " + lower);
  return ids.front();
}

Result<std::vector<RecordId>> ReplicaImpl::MatchPrefix(std::string_view prefix, std::size_t limit) {
  if (prefix.size() < 4 || prefix.size() > 32) {
    return Error(Domain::kLog, Code::kInvalidArgument,
                 "a record id prefix is 4 to 32 hex characters");
  }
  std::string lower;
  for (char c : prefix) {
    char l = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
    if (!((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f'))) {
      return Error(Domain::kLog, Code::kInvalidArgument, "a record id prefix is hex");
    }
    lower += l;
  }
  Stmt s;
  PARLEY_RETURN_IF_ERROR(s.Prepare(db_,
                                   "SELECT id FROM log_records WHERE type <> '' AND "
                                   "substr(lower(hex(id)), 1, ?2) = ?1 UNION ALL "
                                   "SELECT record FROM log_purged WHERE substr(lower(hex(record)), "
                                   "1, ?2) = ?1 ORDER BY 1 LIMIT ?3"));
  s.Bind(1, std::string_view(lower))
      .Bind(2, static_cast<std::int64_t>(lower.size()))
      .Bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1u << 20)));
  std::vector<RecordId> out;
  for (;;) {
    PARLEY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ToRecordId(s.Blob(0)));
  }
  return out;
}

}  // namespace parley::log
