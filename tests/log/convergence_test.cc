// Model-based randomized convergence test.
//
// Each seeded schedule runs a small team of replicas that make random local changes
// (creates, concurrent sets of the same fields, deletes, restores) and exchange random
// subsets of their changes in random order, with duplicates and delays (gaps). A simple
// independent model tracks which operations each replica has seen and computes which
// values must survive. At the end every replica receives every change; then all replicas
// must dump identical state, and that state must match the model: every write that no
// replica superseded knowingly survives, as the value or as part of a conflict.
//
// A second property covers membership and epochs: random schedules where admins promote,
// demote and revoke devices (also each other, concurrently) and heal epochs while devices
// write and exchange changes. At the end every device that is still a member holds the
// same records and the same member list, can read every change, and shows exactly the
// records whose creating change is entitled (not after its author's revocation).
//
// PARLEY_SEED=<n> replays one schedule; PARLEY_SCHEDULES=<n> changes how many run.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "log_test_util.h"
#include "parley/core/replica_sync.h"

namespace parley::logtest {
namespace {

// ---- The model ----
struct ModelOp {
  int id = 0;
  int record = 0;
  enum Kind { kCreate, kSet, kDelete } kind = kSet;
  std::string field;  // for kSet
  std::string value;  // unique per op
  std::set<int> supersedes;
  bool origin = false;  // the record's originating create; a restore is a kCreate without it
};

struct ModelReplica {
  std::set<int> changes;  // model change ids held
};

struct Model {
  std::vector<std::vector<int>> change_ops;  // change id -> op ids
  std::vector<ModelOp> ops;

  std::vector<const ModelOp*> Held(const ModelReplica& r) const {
    std::vector<const ModelOp*> out;
    for (int c : r.changes) {
      for (int o : change_ops[static_cast<std::size_t>(c)])
        out.push_back(&ops[static_cast<std::size_t>(o)]);
    }
    return out;
  }
  std::vector<const ModelOp*> Live(const ModelReplica& r) const {
    auto held = Held(r);
    std::set<int> dead;
    for (const ModelOp* o : held) dead.insert(o->supersedes.begin(), o->supersedes.end());
    std::vector<const ModelOp*> out;
    for (const ModelOp* o : held) {
      if (!dead.count(o->id)) out.push_back(o);
    }
    return out;
  }
  bool Knows(const ModelReplica& r, int record) const {
    for (const ModelOp* o : Held(r)) {
      // A record is known once its originating create is held: a restore alone does not
      // make it visible.
      if (o->record == record && o->origin) return true;
    }
    return false;
  }
};

std::string Dump(Device& d) {
  std::ostringstream out;
  auto records = d->List("", /*include_deleted=*/true);
  EXPECT_TRUE(records.ok());
  std::vector<log::Record> sorted = *records;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const log::Record& r : sorted) {
    out << log::ToString(r.id) << " " << r.type << " e" << static_cast<int>(r.existence) << " c"
        << r.created_hlc << "\n";
    for (const log::Field& f : r.fields) {
      out << "  " << f.name << ":";
      for (const log::Value& v : f.values)
        out << " [" << v.data << " " << v.hlc << " " << v.author << " " << v.seq << "." << v.index
            << "]";
      out << "\n";
    }
  }
  auto conflicts = d->Conflicts();
  EXPECT_TRUE(conflicts.ok());
  for (const log::Conflict& c : *conflicts) {
    out << "conflict " << log::ToString(c.record) << " '" << c.field << "':";
    for (const log::Value& v : c.values) out << " " << v.data << "@" << v.hlc;
    out << "\n";
  }
  out << "changes " << *d->ChangeCount() << "\n";
  return out.str();
}

struct Schedule {
  explicit Schedule(std::uint64_t seed) : rng(seed) {}
  std::mt19937_64 rng;
  testing::FakeClock clock;
  std::vector<Device> team;
  std::vector<ModelReplica> model_replicas;
  Model model;
  std::vector<log::RecordId> record_ids;  // model record -> real id
  // Per replica: the real changes it wrote, with their model change ids.
  std::vector<std::pair<pb::Change, int>> all_changes;
  int values = 0;

  int Pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }

  void Run(int replicas, int steps) {
    team = MakeTeam(clock, replicas);
    for (int i = 1; i < replicas; ++i) Sync(team[0], team[static_cast<std::size_t>(i)]);
    model_replicas.resize(static_cast<std::size_t>(replicas));
    for (int step = 0; step < steps; ++step) {
      clock.AdvanceMs(Pick(3));
      if (Pick(5) < 3) {
        LocalChange(Pick(replicas));
      } else {
        Deliver(Pick(replicas), Pick(replicas));
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    // Everyone gets everything, in a random order with duplicates.
    for (int to = 0; to < replicas; ++to) {
      std::vector<std::size_t> order(all_changes.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<pb::Change> batch;
      for (std::size_t i : order) {
        if (!model_replicas[static_cast<std::size_t>(to)].changes.count(all_changes[i].second) ||
            Pick(8) == 0) {
          batch.push_back(all_changes[i].first);
        }
        model_replicas[static_cast<std::size_t>(to)].changes.insert(all_changes[i].second);
      }
      auto r = team[static_cast<std::size_t>(to)]->Apply(batch);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_TRUE(r->gaps.empty());
      EXPECT_EQ(r->pending, 0u);
    }
  }

  void LocalChange(int d) {
    ModelReplica& mr = model_replicas[static_cast<std::size_t>(d)];
    Device& dev = team[static_cast<std::size_t>(d)];
    auto tx = dev->Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    const int change_id = static_cast<int>(model.change_ops.size());
    model.change_ops.emplace_back();
    ModelReplica view = mr;
    view.changes.insert(change_id);  // ops of this change see the ones before them
    const int nops = 1 + Pick(3);
    for (int k = 0; k < nops; ++k) {
      std::vector<int> known;
      for (int rec = 0; rec < static_cast<int>(record_ids.size()); ++rec) {
        if (model.Knows(view, rec)) known.push_back(rec);
      }
      ModelOp op;
      op.id = static_cast<int>(model.ops.size());
      const int what = known.empty() || (record_ids.size() < 4 && Pick(6) == 0) ? 0 : 1 + Pick(10);
      if (what == 0) {
        auto id = (*tx)->Create("item");
        ASSERT_TRUE(id.ok());
        op.kind = ModelOp::kCreate;
        op.origin = true;
        op.record = static_cast<int>(record_ids.size());
        record_ids.push_back(*id);
      } else {
        op.record = known[static_cast<std::size_t>(Pick(static_cast<int>(known.size())))];
        const log::RecordId& rid = record_ids[static_cast<std::size_t>(op.record)];
        auto live = model.Live(view);
        if (what <= 7) {
          op.kind = ModelOp::kSet;
          op.field = Pick(2) == 0 ? "a" : "b";
          op.value = "v" + std::to_string(values++);
          for (const ModelOp* o : live) {
            if (o->record == op.record && o->kind == ModelOp::kSet && o->field == op.field)
              op.supersedes.insert(o->id);
          }
          ASSERT_TRUE((*tx)->Set(rid, op.field, op.value).ok());
        } else if (what <= 9) {
          op.kind = ModelOp::kDelete;
          for (const ModelOp* o : live) {
            if (o->record == op.record) op.supersedes.insert(o->id);
          }
          ASSERT_TRUE((*tx)->Delete(rid).ok());
        } else {
          op.kind = ModelOp::kCreate;  // restore
          for (const ModelOp* o : live) {
            if (o->record == op.record && o->kind != ModelOp::kSet) op.supersedes.insert(o->id);
          }
          ASSERT_TRUE((*tx)->Restore(rid).ok());
        }
      }
      model.ops.push_back(op);
      model.change_ops.back().push_back(op.id);
    }
    ASSERT_TRUE((*tx)->Commit().ok());
    mr.changes.insert(change_id);
    auto held = dev->ChangesSince({});
    ASSERT_TRUE(held.ok());
    all_changes.emplace_back(held->back(), change_id);  // per-author order: ours is last of its run
    // ChangesSince orders by author; find the newest of ours by its header.
    pb::ChangeHeader newest;
    std::uint64_t best = 0;
    const std::string me(dev.store->device().identity.public_key.begin(),
                         dev.store->device().identity.public_key.end());
    for (const auto& c : *held) {
      pb::ChangeHeader h;
      ASSERT_TRUE(h.ParseFromString(c.header()));
      if (h.author() == me && h.seq() > best) {
        best = h.seq();
        all_changes.back().first = c;
      }
    }
  }

  void Deliver(int from, int to) {
    if (from == to) return;
    const auto& have = model_replicas[static_cast<std::size_t>(from)].changes;
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < all_changes.size(); ++i) {
      if (have.count(all_changes[i].second) && Pick(3) != 0)
        candidates.push_back(i);  // some are delayed
    }
    std::shuffle(candidates.begin(), candidates.end(), rng);
    if (!candidates.empty() && Pick(2) == 0)
      candidates.push_back(candidates.front());  // a duplicate
    std::vector<pb::Change> batch;
    for (std::size_t i : candidates) {
      batch.push_back(all_changes[i].first);
      model_replicas[static_cast<std::size_t>(to)].changes.insert(all_changes[i].second);
    }
    auto r = team[static_cast<std::size_t>(to)]->Apply(batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void Check() {
    const std::string first = Dump(team[0]);
    for (std::size_t i = 1; i < team.size(); ++i) {
      ASSERT_EQ(Dump(team[i]), first) << "replica " << i << " differs from replica 0";
    }
    // Against the model (every replica now holds every change).
    const ModelReplica& all = model_replicas[0];
    auto live = model.Live(all);
    for (int rec = 0; rec < static_cast<int>(record_ids.size()); ++rec) {
      auto got = team[0]->Get(record_ids[static_cast<std::size_t>(rec)]);
      ASSERT_TRUE(got.ok() && got->has_value()) << "record " << rec;
      std::map<std::string, std::set<std::string>> want_fields;
      bool alive = false, deleted = false;
      for (const ModelOp* o : live) {
        if (o->record != rec) continue;
        if (o->kind == ModelOp::kSet) want_fields[o->field].insert(o->value);
        if (o->kind == ModelOp::kCreate) alive = true;
        if (o->kind == ModelOp::kDelete) deleted = true;
      }
      std::map<std::string, std::set<std::string>> got_fields;
      for (const log::Field& f : (*got)->fields) {
        for (std::size_t i = 0; i < f.values.size(); ++i) {
          got_fields[f.name].insert(f.values[i].data);
          if (i > 0) {
            ASSERT_LE(f.values[i - 1].hlc, f.values[i].hlc) << "values not ordered by clock";
          }
        }
      }
      ASSERT_EQ(got_fields, want_fields) << "record " << rec;
      log::Existence want = alive && deleted      ? log::Existence::kConflict
                            : alive               ? log::Existence::kAlive
                            : want_fields.empty() ? log::Existence::kDeleted
                                                  : log::Existence::kDeletedWithEdits;
      ASSERT_EQ((*got)->existence, want) << "record " << rec;
    }
  }
};

TEST(Convergence, RandomSchedulesConvergeAndMatchTheModel) {
  std::uint64_t first = 1, count = 10'000;
  if (const char* s = std::getenv("PARLEY_SCHEDULES")) count = std::strtoull(s, nullptr, 10);
  if (const char* s = std::getenv("PARLEY_SEED")) {
    first = std::strtoull(s, nullptr, 10);
    count = 1;
  }
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    Schedule schedule(seed);
    const int replicas = seed % 5 == 0 ? 4 : 2 + static_cast<int>(seed % 2);
    const int steps = 3 + static_cast<int>(seed % 11);
    schedule.Run(replicas, steps);
    if (!::testing::Test::HasFailure()) schedule.Check();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "failing schedule: replay with PARLEY_SEED=" << seed;
      return;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("convergence: %llu schedules in %.1f s\n", static_cast<unsigned long long>(count), s);
}

// ---- Membership and epochs ----

struct MembershipSchedule {
  explicit MembershipSchedule(std::uint64_t seed) : rng(seed), purge_rng(seed * 7919 + 1) {}
  std::mt19937_64 rng;
  std::mt19937_64 purge_rng;
  testing::FakeClock clock;
  std::vector<Device> team;
  struct Created {
    log::RecordId id;
    std::string author;
    std::uint64_t seq;
  };
  std::vector<Created> created;
  int purged_records = 0;  // found purged by Check

  int Pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
  std::string Key(std::size_t d) {
    const auto& k = team[d].store->device().identity.public_key;
    return std::string(k.begin(), k.end());
  }
  std::uint64_t OwnSeq(std::size_t d) {
    const std::string hex = crypto::ToHex(crypto::AsBytes(Key(d)));
    auto known = team[d]->Known();
    EXPECT_TRUE(known.ok());
    if (!known.ok()) return 0;
    for (const auto& [h, seq] : known->entries) {
      if (h == hex) return seq;
    }
    return 0;
  }

  // Every change `from` holds, or a random subset in random order.
  void Deliver(std::size_t from, std::size_t to, bool everything) {
    if (from == to) return;
    auto held = team[from]->ChangesSince({});
    ASSERT_TRUE(held.ok());
    std::vector<pb::Change> batch;
    for (auto& c : *held) {
      if (everything || Pick(3) != 0) batch.push_back(std::move(c));
    }
    std::shuffle(batch.begin(), batch.end(), rng);
    auto r = team[to]->Apply(batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void Everyone() {
    for (int round = 0; round < 2; ++round) {
      for (std::size_t a = 0; a < team.size(); ++a) {
        for (std::size_t b = 0; b < team.size(); ++b) {
          Deliver(a, b, true);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  }

  void Write(std::size_t d) {
    auto tx = team[d]->Begin();
    if (!tx.ok()) {
      ASSERT_TRUE(team[d]->Revoked()) << tx.status().ToString();
      return;
    }
    auto id = (*tx)->Create("note");
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE((*tx)->Set(*id, "text", "t" + std::to_string(created.size())).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    created.push_back(Created{*id, Key(d), OwnSeq(d)});
  }

  // A membership action the rules may refuse; a refusal must be one of the documented ones.
  void Act(std::size_t d) {
    const std::size_t target = static_cast<std::size_t>(Pick(static_cast<int>(team.size())));
    Status s;
    switch (Pick(4)) {
      case 0:
        s = team[d]->Revoke(Key(target));
        break;
      case 1:
        s = team[d]->SetRole(Key(target), true);
        break;
      case 2:
        s = team[d]->SetRole(Key(target), false);
        break;
      default:
        s = team[d]->HealEpoch().status();
        break;
    }
    // Now and then a purge as well (change-format.md, "Purge"): only an admin's takes effect.
    // Drawn from a stream of its own, so the schedules of the other actions stay as they were.
    if (!created.empty() && purge_rng() % 3 == 0) {
      const std::size_t victim = static_cast<std::size_t>(purge_rng() % created.size());
      const Status p = team[d]->Purge(created[victim].id).status();
      ASSERT_TRUE(p.ok() || p.code() == Code::kPermissionDenied || p.code() == Code::kNotFound)
          << p.ToString();
    }
    const Code c = s.code();
    ASSERT_TRUE(c == Code::kOk || c == Code::kPermissionDenied || c == Code::kNotFound ||
                c == Code::kAlreadyExists || c == Code::kConflict || c == Code::kInvalidArgument)
        << s.ToString();
  }

  void Run(int steps) {
    team = MakeTeam(clock, 5);
    ASSERT_TRUE(team[0]->SetRole(Key(1), true).ok());
    Everyone();
    for (int step = 0; step < steps; ++step) {
      clock.AdvanceMs(Pick(3));
      const std::size_t d = static_cast<std::size_t>(Pick(static_cast<int>(team.size())));
      const int what = Pick(10);
      if (what < 4) {
        Write(d);
      } else if (what < 6) {
        Act(d);
      } else {
        Deliver(d, static_cast<std::size_t>(Pick(static_cast<int>(team.size()))), Pick(4) == 0);
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    Everyone();
    // Admins heal what concurrent revocations left, then everything goes everywhere again.
    for (std::size_t d = 0; d < team.size(); ++d) {
      ASSERT_TRUE(team[d]->HealEpoch().ok());
      Everyone();
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  void Check() {
    std::vector<std::size_t> members;
    for (std::size_t d = 0; d < team.size(); ++d) {
      if (!team[d]->Revoked()) members.push_back(d);
    }
    ASSERT_FALSE(members.empty());
    auto view = [&](std::size_t d) {
      std::string out;
      auto all = log::ListMembers(*team[d].replica, true);
      EXPECT_TRUE(all.ok());
      for (const auto& m : *all) {
        out += crypto::ToHex(crypto::AsBytes(m.identity)).substr(0, 8) +
               (m.revoked ? ":r"
                : m.admin ? ":a"
                          : ":m") +
               std::to_string(m.revoked_after_seq) + " ";
      }
      return out;
    };
    // The one documented exception (change-format.md, "Purge"): a purge applied by a device
    // before it learned that its author's change is void (a revocation) or not an admin's (a
    // demotion ordered before it) stays applied there: a destroyed key cannot come back.
    // Records purged by a revoked author after its cut-off, or by an author no longer an
    // admin, are left out of the comparison; any other purge is compared as everything else.
    std::set<std::string> voided;
    {
      auto everyone = log::ListMembers(*team[members[0]].replica, true);
      ASSERT_TRUE(everyone.ok());
      std::map<std::string, std::uint64_t> after;  // hex -> revoked_after_seq
      std::set<std::string> admins;                // hex
      for (const auto& m : *everyone) {
        const std::string hex = crypto::ToHex(crypto::AsBytes(m.identity));
        if (m.revoked) after[hex] = m.revoked_after_seq;
        if (m.admin) admins.insert(hex);
      }
      for (const Created& c : created) {
        for (std::size_t d : members) {
          auto h = team[d]->History(c.id);
          if (!h.ok() || h->size() != 1 || (*h)[0].op != "purge") continue;
          auto it = after.find((*h)[0].author);
          const bool void_by_revocation = it != after.end() && (*h)[0].seq > it->second;
          const bool by_demoted = it == after.end() && admins.count((*h)[0].author) == 0;
          if (void_by_revocation || by_demoted) voided.insert(log::ToString(c.id));
        }
      }
    }
    auto comparable = [&](const std::string& dump) {
      std::istringstream in(dump);
      std::string line, out;
      bool skipping = false;
      while (std::getline(in, line)) {
        if (line.rfind("  ", 0) != 0)
          skipping = line.size() >= 32 && voided.count(line.substr(0, 32)) != 0;
        if (line.rfind("conflict ", 0) == 0 && line.size() >= 41)
          skipping = voided.count(line.substr(9, 32)) != 0;
        if (!skipping) out += line + "\n";
      }
      return out;
    };
    const std::string first_view = view(members[0]);
    const std::string first_dump = comparable(Dump(team[members[0]]));
    for (std::size_t d : members) {
      ASSERT_EQ(view(d), first_view) << "device " << d;
      ASSERT_EQ(comparable(Dump(team[d])), first_dump) << "device " << d;
      ASSERT_FALSE(team[d].replica->Begin().status().code() == Code::kPermissionDenied)
          << "device " << d;
    }
    ASSERT_GE(log::ListMembers(*team[members[0]].replica, false)->size(), 1u);
    // Exactly the entitled creations are shown.
    auto all = log::ListMembers(*team[members[0]].replica, true);
    ASSERT_TRUE(all.ok());
    std::map<std::string, std::uint64_t> cutoff;
    for (const auto& m : *all) {
      if (m.revoked) cutoff[m.identity] = m.revoked_after_seq;
    }
    for (const Created& c : created) {
      if (voided.count(log::ToString(c.id)) != 0) continue;
      auto it = cutoff.find(c.author);
      auto history = team[members[0]]->History(c.id);
      const bool purged = history.ok() && history->size() == 1 && (*history)[0].op == "purge";
      for (std::size_t d : members) {
        auto h = team[d]->History(c.id);
        ASSERT_EQ(h.ok() && h->size() == 1 && (*h)[0].op == "purge", purged) << "device " << d;
      }
      purged_records += purged ? 1 : 0;
      const bool entitled = (it == cutoff.end() || c.seq <= it->second) && !purged;
      auto got = team[members[0]]->Get(c.id);
      ASSERT_TRUE(got.ok());
      const bool shown = got->has_value() && (*got)->type == "note";
      ASSERT_EQ(shown, entitled) << "note by "
                                 << crypto::ToHex(crypto::AsBytes(c.author)).substr(0, 8) << " seq "
                                 << c.seq;
    }
    // Every member reads every change it holds: nothing waits for a key.
    for (std::size_t d : members) {
      for (std::size_t from = 0; from < team.size(); ++from) {
        if (from == d) continue;
        auto held = team[from]->ChangesSince({});
        ASSERT_TRUE(held.ok());
        auto r = team[d]->Apply(*held);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ASSERT_EQ(r->pending, 0u) << "device " << d;
      }
    }
  }
};

TEST(Convergence, RandomMembershipSchedulesConverge) {
  std::uint64_t first = 1, count = 400;
  if (const char* s = std::getenv("PARLEY_SCHEDULES"))
    count = std::strtoull(s, nullptr, 10) / 10 + 1;
  if (const char* s = std::getenv("PARLEY_SEED")) {
    first = std::strtoull(s, nullptr, 10);
    count = 1;
  }
  const auto start = std::chrono::steady_clock::now();
  int revocations = 0, purges = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    MembershipSchedule schedule(seed);
    schedule.Run(10 + static_cast<int>(seed % 31));
    if (!::testing::Test::HasFailure()) schedule.Check();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "failing membership schedule: replay with PARLEY_SEED=" << seed;
      return;
    }
    for (auto& d : schedule.team) revocations += d->Revoked() ? 1 : 0;
    purges += schedule.purged_records;
  }
  EXPECT_GT(purges, static_cast<int>(count) / 10);
  // The schedules must exercise revocation, or this property says nothing about it.
  EXPECT_GT(revocations, static_cast<int>(count) / 4);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "membership convergence: %llu schedules, %d revoked devices, %d purged records, in %.1f s\n",
      static_cast<unsigned long long>(count), revocations, purges, s);
}

}  // namespace
}  // namespace parley::logtest
