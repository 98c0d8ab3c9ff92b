// The relay of one seeded run of the hostile-relay harness: see harness_relay.h.
#include "harness_relay.h"

#include <algorithm>
#include <map>
#include <utility>

#include "parley/core/replica_sync.h"

namespace parley::testing {

std::string_view MisbehaviourName(Misbehaviour m) {
  switch (m) {
    case Misbehaviour::kWithhold:
      return "withhold";
    case Misbehaviour::kReorder:
      return "reorder";
    case Misbehaviour::kReplay:
      return "replay";
    case Misbehaviour::kRollback:
      return "rollback";
    case Misbehaviour::kForeign:
      return "foreign";
  }
  return "?";
}

namespace {

std::string AuthorOf(const pb::Change& c) {
  pb::ChangeHeader h;
  return h.ParseFromString(c.header()) ? h.author() : std::string();
}

std::uint64_t SeqOf(const pb::Change& c) {
  pb::ChangeHeader h;
  return h.ParseFromString(c.header()) ? h.seq() : 0;
}

}  // namespace

HarnessRelay::HarnessRelay(std::mt19937_64& rng, std::vector<std::vector<LabelledChange>> chains,
                           const std::vector<LabelledChange>& foreign, std::string own_author)
    : rng_(rng), chains_(std::move(chains)), foreign_(foreign), own_author_(std::move(own_author)) {
  next_in_chain_.assign(chains_.size(), 0);
  for (std::size_t a = 0; a < chains_.size(); ++a) {
    for (std::size_t i = 0; i < chains_[a].size(); ++i) {
      chain_pos_.push_back({chains_[a][i].id, {a, i}});
      labels_.push_back({chains_[a][i].id, chains_[a][i].label});
    }
  }
  for (const LabelledChange& f : foreign_) labels_.push_back({f.id, f.label});
}

void HarnessRelay::Label(const std::string& id, const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  labels_.push_back({id, label});
}

std::string HarnessRelay::LabelOf(const std::string& id) {
  for (const auto& [known, label] : labels_) {
    if (known == id) return label;
  }
  return "?" + std::to_string(static_cast<unsigned char>(id.empty() ? 0 : id[0]));
}

std::string HarnessRelay::Describe(const std::vector<Entry>& entries) {
  std::string out;
  for (const Entry& e : entries) {
    if (!out.empty()) out += " ";
    out += std::to_string(e.relay_seq) + ":" + LabelOf(e.id);
  }
  return "[" + out + "]";
}

void HarnessRelay::Append(const pb::Change& change, const std::string& id) {
  owned_.push_back(std::make_unique<pb::Change>(change));
  Entry e;
  e.relay_seq = store_.empty() ? 1 : store_.back().relay_seq + 1;
  e.change = owned_.back().get();
  e.id = id;
  e.author = AuthorOf(change);
  store_.push_back(std::move(e));
  store_ids_.insert(id);
}

void HarnessRelay::Publish(std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string published;
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<std::size_t> open;
    for (std::size_t a = 0; a < chains_.size(); ++a) {
      if (next_in_chain_[a] < chains_[a].size()) open.push_back(a);
    }
    if (open.empty()) break;
    const std::size_t a = open[Below(open.size())];
    const LabelledChange& c = chains_[a][next_in_chain_[a]++];
    if (store_ids_.count(c.id)) continue;  // the device pushed it already
    Append(c.change, c.id);
    published += " " + c.label;
  }
  if (!published.empty()) Note("published" + published);
}

void HarnessRelay::PublishAll() {
  std::size_t total = 0;
  for (const auto& chain : chains_) total += chain.size();
  Publish(total);
}

void HarnessRelay::BeginRound(std::optional<Misbehaviour> m) {
  std::lock_guard<std::mutex> lock(mu_);
  mode_ = m;
  view_.reset();
  batch_limit_ = 1 + Below(5);
  Note(std::string("round: ") + (m ? std::string(MisbehaviourName(*m)) : "honest") +
       ", batches of " + std::to_string(batch_limit_));
}

void HarnessRelay::RollBack() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t forget = std::min<std::size_t>(store_.size(), 1 + Below(4));
  std::vector<Entry> forgotten(store_.end() - static_cast<std::ptrdiff_t>(forget), store_.end());
  store_.resize(store_.size() - forget);
  for (const Entry& e : forgotten) {
    store_ids_.erase(e.id);
    for (const auto& [id, pos] : chain_pos_) {
      if (id == e.id) next_in_chain_[pos.first] = std::min(next_in_chain_[pos.first], pos.second);
    }
  }
  Note("rolled back, forgetting " + Describe(forgotten));
}

std::set<std::string> HarnessRelay::HeldIds() {
  std::lock_guard<std::mutex> lock(mu_);
  return store_ids_;
}

std::vector<std::string> HarnessRelay::trace() {
  std::lock_guard<std::mutex> lock(mu_);
  return trace_;
}

std::vector<pb::ChangeAck> HarnessRelay::OnPush(const pb::Push& push) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<pb::ChangeAck> acks;
  std::string stored;
  for (const pb::Change& c : push.changes()) {
    const log::ChangeId cid = log::ChangeIdOf(c);
    const std::string id(cid.begin(), cid.end());
    pb::ChangeAck a;
    a.set_change_id(id);
    const bool ours = AuthorOf(c) == own_author_;
    bool known = ours;
    for (const auto& [pid, pos] : chain_pos_) known = known || pid == id;
    if (store_ids_.count(id)) {
      for (const Entry& e : store_) {
        if (e.id == id) a.set_relay_seq(e.relay_seq);
      }
    } else if (known) {
      if (ours && LabelOf(id)[0] == '?') labels_.push_back({id, "D#" + std::to_string(SeqOf(c))});
      Append(c, id);
      a.set_relay_seq(store_.back().relay_seq);
      stored += " " + std::to_string(a.relay_seq()) + ":" + LabelOf(id);
    } else {
      a.set_refusal(pb::REFUSAL_WRONG_VAULT);
      a.set_reason("not a change of this vault");
      stored += " refused:" + LabelOf(id);
    }
    acks.push_back(std::move(a));
  }
  if (!stored.empty()) Note("stored pushed" + stored);
  return acks;
}

std::vector<HarnessRelay::Entry> HarnessRelay::View() {
  if (!view_.has_value()) view_ = mode_.has_value() ? Misbehave(store_) : store_;
  return *view_;
}

std::vector<HarnessRelay::Entry> HarnessRelay::Misbehave(std::vector<Entry> view) {
  const std::uint64_t head = view.empty() ? 0 : view.back().relay_seq;
  auto renumber = [](std::vector<Entry>& v) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i].relay_seq = i + 1;
  };
  std::string what;
  switch (*mode_) {
    case Misbehaviour::kWithhold: {
      // Authors in order of first appearance (not by key bytes: those differ between runs).
      std::vector<std::string> authors;
      for (const Entry& e : view) {
        if (std::find(authors.begin(), authors.end(), e.author) == authors.end())
          authors.push_back(e.author);
      }
      if (view.empty()) break;
      std::vector<Entry> dropped;
      std::vector<Entry> kept;
      const std::uint64_t kind = Below(3);
      const std::string victim = authors[Below(authors.size())];
      std::size_t tail = 1 + Below(3);
      for (std::size_t i = view.size(); i-- > 0;) {
        bool drop = false;
        if (kind == 0) drop = Below(4) == 0;
        if (kind == 1 && view[i].author == victim && tail > 0) drop = (--tail, true);
        if (kind == 2) drop = view[i].author == victim;
        (drop ? dropped : kept).push_back(view[i]);
      }
      std::reverse(kept.begin(), kept.end());
      std::reverse(dropped.begin(), dropped.end());
      view = std::move(kept);
      what = std::string(kind == 0   ? "withholding some"
                         : kind == 1 ? "withholding an author's tail"
                                     : "withholding an author") +
             " " + Describe(dropped);
      if (Below(2) == 0) {
        renumber(view);
        what += ", renumbered without holes";
      }
      break;
    }
    case Misbehaviour::kReorder: {
      if (view.size() < 2) break;
      const std::uint64_t kind = Below(3);
      if (kind == 0) {
        for (std::size_t i = 0; i + 1 < view.size(); ++i) {
          if (Below(3) == 0) std::swap(view[i], view[i + 1]);
        }
        what = "swapping neighbours";
      } else if (kind == 1) {
        const std::size_t from = Below(view.size() - 1);
        const std::size_t to = from + 1 + Below(view.size() - from - 1);
        std::rotate(view.begin() + static_cast<std::ptrdiff_t>(from),
                    view.begin() + static_cast<std::ptrdiff_t>(from) + 1,
                    view.begin() + static_cast<std::ptrdiff_t>(to) + 1);
        what = "moving one change later";
      } else {
        const std::size_t from = Below(view.size() - 1);
        const std::size_t to = from + 1 + Below(view.size() - from - 1);
        std::reverse(view.begin() + static_cast<std::ptrdiff_t>(from),
                     view.begin() + static_cast<std::ptrdiff_t>(to) + 1);
        what = "reversing a run";
      }
      if (Below(2) == 0) {
        renumber(view);
        what += ", renumbered in the new order";
      } else {
        what += ", keeping their numbers";
      }
      what += " " + Describe(view);
      break;
    }
    case Misbehaviour::kReplay: {
      if (view.empty()) break;
      std::vector<Entry> copies;
      for (std::uint64_t n = 1 + Below(3); n > 0; --n) copies.push_back(view[Below(view.size())]);
      if (Below(2) == 0) {
        for (Entry& c : copies)
          view.insert(view.begin() + static_cast<std::ptrdiff_t>(Below(view.size() + 1)), c);
        renumber(view);
        what = "replaying old changes in place, renumbered";
      } else {
        std::uint64_t seq = head;
        for (Entry& c : copies) {
          c.relay_seq = ++seq;
          view.push_back(c);
        }
        what = "replaying old changes after the head";
      }
      what += " " + Describe(copies);
      break;
    }
    case Misbehaviour::kForeign: {
      if (foreign_.empty()) break;
      std::vector<Entry> strangers;
      for (std::uint64_t n = 1 + Below(3); n > 0; --n) {
        const LabelledChange& f = foreign_[Below(foreign_.size())];
        Entry e;
        e.change = &f.change;
        e.id = f.id;
        e.author = AuthorOf(f.change);
        strangers.push_back(std::move(e));
      }
      if (Below(2) == 0) {
        for (Entry& s : strangers)
          view.insert(view.begin() + static_cast<std::ptrdiff_t>(Below(view.size() + 1)), s);
        renumber(view);
        what = "serving another vault's changes among ours, renumbered";
      } else {
        std::uint64_t seq = head;
        for (Entry& s : strangers) {
          s.relay_seq = ++seq;
          view.push_back(s);
        }
        what = "serving another vault's changes after the head";
      }
      what += " " + Describe(strangers);
      break;
    }
    case Misbehaviour::kRollback:
      break;  // RollBack() changes the store; serving stays honest
  }
  if (!what.empty()) Note(what);
  return view;
}

std::vector<pb::PullBatch> HarnessRelay::OnPull(const pb::Pull& pull) {
  std::lock_guard<std::mutex> lock(mu_);
  pb::PullBatch b;
  const std::uint64_t store_head = store_.empty() ? 0 : store_.back().relay_seq;
  // An honest relay checks the cursor against its own history (a restored one finds it gone).
  if (!mode_.has_value() && pull.after_seq() > 0 && !pull.after_change_id().empty()) {
    bool found = false;
    for (const Entry& e : store_)
      found = found || (e.relay_seq == pull.after_seq() && e.id == pull.after_change_id());
    if (!found) {
      b.set_rewound(true);
      b.set_head_seq(store_head);
      Note("answered rewound to a pull after " + std::to_string(pull.after_seq()));
      return {b};
    }
  }
  const std::vector<Entry> view = View();
  std::uint64_t head = 0;
  for (const Entry& e : view) head = std::max(head, e.relay_seq);
  b.set_head_seq(mode_.has_value() ? head : store_head);
  std::size_t bytes = 0;
  std::size_t i = 0;
  // Served in the view's order: everything numbered after the cursor.
  std::vector<const Entry*> after;
  for (const Entry& e : view) {
    if (e.relay_seq > pull.after_seq()) after.push_back(&e);
  }
  for (; i < after.size() && static_cast<std::size_t>(b.changes_size()) < batch_limit_; ++i) {
    const std::size_t size = after[i]->change->ByteSizeLong();
    if (b.changes_size() > 0 && pull.max_bytes() > 0 && bytes + size > pull.max_bytes()) break;
    bytes += size;
    pb::StoredChange* sc = b.add_changes();
    sc->set_relay_seq(after[i]->relay_seq);
    *sc->mutable_change() = *after[i]->change;
  }
  b.set_more(i < after.size());
  if (!b.more()) {
    // Heads: an honest relay's own; a misbehaving one shows those of what it serves, the
    // real ones, or none (as a relay too old to send them).
    const std::uint64_t which = mode_.has_value() ? Below(3) : 0;
    const std::vector<Entry>& source = which == 0 && mode_.has_value() ? view : store_;
    if (which != 2) {
      std::vector<std::pair<std::string, std::uint64_t>> heads;
      for (const Entry& e : source) {
        auto it = std::find_if(heads.begin(), heads.end(),
                               [&](const auto& h) { return h.first == e.author; });
        const std::uint64_t seq = SeqOf(*e.change);
        if (it == heads.end()) {
          heads.emplace_back(e.author, seq);
        } else {
          it->second = std::max(it->second, seq);
        }
      }
      for (const auto& [author, seq] : heads) {
        pb::AuthorHead* h = b.add_heads();
        h->set_author(author);
        h->set_seq(seq);
      }
    }
  }
  return {b};
}

}  // namespace parley::testing
