// The relay of one seeded run of the hostile-relay harness (hostile_relay_harness_test.cc).
//
// It holds an honest store: the changes other devices of the vault publish (in each author's
// chain order, interleaved at random) and whatever the device under test pushes, each under
// the next relay_seq. Per round it either serves that store honestly (checking a Pull's
// cursor against its own history and answering `rewound` when the cursor is not in it, and
// listing every author's head on the last batch), or misbehaves in one way, chosen by the
// run's seed:
//
//   withhold  drops changes from what it serves: single ones, the tail of an author's chain,
//             or a whole author; with holes in the numbering or renumbered without them;
//   reorder   serves changes out of order, within and across batches, keeping their numbers
//             (out of sequence) or renumbering them in the new order;
//   replay    serves old changes again (renumbered in place, or appended after the head);
//   rollback  forgets its newest changes (as if restored from an older copy) and gives their
//             relay_seq numbers to changes that arrive later; it then serves honestly, as a
//             restored relay would;
//   foreign   serves changes of another vault among the real ones.
//
// Every decision comes from the run's seeded generator and the order of the device's
// requests, never from change bytes (ids differ between runs), so a seed replays its run.
//
// Thread safety: the handlers run on the scripted relay's thread, the round controls on the
// test's thread between syncs; one lock guards everything.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "parley/wire.pb.h"
#include "scripted_relay.h"

namespace parley::testing {

enum class Misbehaviour { kWithhold, kReorder, kReplay, kRollback, kForeign };
std::string_view MisbehaviourName(Misbehaviour m);

// A change some other device made, with a label for messages ("B#3": author B, seq 3).
struct LabelledChange {
  pb::Change change;
  std::string id;  // 32 raw bytes
  std::string label;
};

class HarnessRelay {
 public:
  // `chains`: per other author, its changes in seq order (published over the run).
  // `foreign`: changes of another vault. `own_author`: the device under test's identity key
  // (raw), whose pushes are stored. `rng` must outlive the relay.
  HarnessRelay(std::mt19937_64& rng, std::vector<std::vector<LabelledChange>> chains,
               const std::vector<LabelledChange>& foreign, std::string own_author);

  // Handlers for ScriptedRelay.
  std::vector<pb::PullBatch> OnPull(const pb::Pull& pull);
  std::vector<pb::ChangeAck> OnPush(const pb::Push& push);

  // `n` more changes of other devices arrive (random authors, each in chain order).
  void Publish(std::size_t n);
  void PublishAll();
  // The next session is served honestly (nullopt) or with `m` (not kRollback: RollBack()).
  void BeginRound(std::optional<Misbehaviour> m);
  // Forgets the newest 1..4 changes; numbers are reused. Other devices' forgotten changes
  // will be published again (their authors re-send them); the device's own are gone.
  void RollBack();

  // Ids of every change the store holds now.
  std::set<std::string> HeldIds();
  // What the relay did, one line per action, for failure messages.
  std::vector<std::string> trace();
  // Names `id` in the trace (the device's own changes are labelled by the test).
  void Label(const std::string& id, const std::string& label);
  std::string LabelOf(const std::string& id);

 private:
  struct Entry {
    std::uint64_t relay_seq = 0;
    const pb::Change* change = nullptr;  // owned by `owned_`
    std::string id;
    std::string author;
  };
  std::uint64_t Below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  void Append(const pb::Change& change, const std::string& id);
  std::vector<Entry> View();
  std::vector<Entry> Misbehave(std::vector<Entry> view);
  void Note(std::string what) { trace_.push_back(std::move(what)); }
  std::string Describe(const std::vector<Entry>& entries);

  std::mutex mu_;
  std::mt19937_64& rng_;
  std::vector<std::vector<LabelledChange>> chains_;  // per other author, in seq order
  std::vector<std::size_t> next_in_chain_;           // per author: the first not yet published
  std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>>
      chain_pos_;  // id -> (author, index)
  std::vector<LabelledChange> foreign_;
  std::string own_author_;
  std::vector<std::unique_ptr<pb::Change>> owned_;
  std::vector<Entry> store_;  // relay_seq ascending
  std::set<std::string> store_ids_;
  std::vector<std::pair<std::string, std::string>> labels_;  // id -> label, in insertion order
  std::optional<Misbehaviour> mode_;
  std::optional<std::vector<Entry>> view_;  // what this session serves, fixed at its first Pull
  std::size_t batch_limit_ = 1;
  std::vector<std::string> trace_;
};

}  // namespace parley::testing
