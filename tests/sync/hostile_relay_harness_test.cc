// The hostile-relay harness: seeded runs of a device syncing with a relay that misbehaves
// at random (harness_relay.h), then serves honestly. The relay holds real changes by real
// devices of the vault (and of another vault); the device under test writes its own
// changes between syncs. At the end of each run the device must have converged (it holds
// exactly the changes the relay's honest store holds, and every change it wrote is in that
// store) or it must have reported the misbehaviour: a Sync that failed with an error other
// than kUnavailable, or a SyncReport naming gaps or relay faults. Never "not converged and
// nothing reported". Whatever happens, it never holds another vault's change.
//
// PARLEY_SEED=N replays the one run with seed N (in the test of its category); every
// failure names its seed and what the relay did. PARLEY_HARNESS_RUNS=N changes the number of
// runs per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "harness_relay.h"
#include "parley/core/replica_sync.h"
#include "scripted_relay.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

// Seeds of a category's runs: category * kSeedsPerCategory + run.
constexpr std::uint64_t kSeedsPerCategory = 1'000'000;
constexpr int kNotesPerAuthor = 4;
constexpr int kHonestRounds = 3;

enum class Category { kWithhold, kReorder, kReplay, kRollback, kForeign, kMixed };

const char* CategoryName(Category c) {
  switch (c) {
    case Category::kWithhold:
      return "withhold";
    case Category::kReorder:
      return "reorder";
    case Category::kReplay:
      return "replay";
    case Category::kRollback:
      return "rollback";
    case Category::kForeign:
      return "foreign";
    case Category::kMixed:
      return "mixed";
  }
  return "?";
}

std::string IdString(const log::ChangeId& id) { return std::string(id.begin(), id.end()); }

// A device over an in-memory store (no files, no passphrase): a run makes five of them.
std::unique_ptr<SyncDevice> MemoryDevice(const std::string& name, Clock& clock,
                                         Transport& transport) {
  auto d = std::make_unique<SyncDevice>();
  d->name = name;
  auto store = store::Store::CreateInMemoryForTesting(name);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  d->store = std::move(store).value();
  d->replica = std::move(log::Replica::Open(*d->store, clock)).value();
  d->state = std::move(sync::SyncState::Open(d->store->db())).value();
  d->poller = sync::NewSystemPoller(clock);
  d->transport = &transport;
  d->client =
      std::make_unique<sync::SyncClient>(*d->store, *d->replica, *d->state, *d->poller, transport);
  return d;
}

std::string IdentityOf(SyncDevice& d) {
  const crypto::Bytes& key = d.store->device().identity.public_key;
  return std::string(key.begin(), key.end());
}

// `device`'s own changes, labelled "NAME#seq".
std::vector<LabelledChange> OwnChanges(SyncDevice& device) {
  const std::string me = IdentityOf(device);
  auto held = log::HeldChangesAfter(*device.replica, 0, 1u << 30, 1u << 20);
  EXPECT_TRUE(held.ok()) << held.status().ToString();
  std::vector<LabelledChange> out;
  if (!held.ok()) return out;
  for (log::HeldChange& h : *held) {
    if (h.author != me) continue;
    out.push_back(LabelledChange{std::move(h.change), IdString(h.id),
                                 device.name + "#" + std::to_string(h.seq)});
  }
  return out;
}

// The devices of one run: A (the founder), B and C with their changes, another vault's
// device X with its changes, and the device under test D (enrolled, the relay pinned).
struct World {
  std::unique_ptr<SyncDevice> d;
  std::vector<std::vector<LabelledChange>> chains;  // A's, B's, C's
  std::vector<LabelledChange> foreign;              // X's
  std::string own_author;

  World(ScriptedRelay& relay, Clock& clock) {
    std::vector<std::unique_ptr<SyncDevice>> team;
    for (const char* name : {"A", "B", "C", "D"})
      team.push_back(MemoryDevice(name, clock, relay.transport()));
    EXPECT_TRUE(team[0]->replica->CreateVault("team").ok());
    for (std::size_t i = 1; i < team.size(); ++i) EnrollOffline(*team[0], *team[i]);
    for (std::size_t i = 0; i < 3; ++i) {
      for (int n = 0; n < kNotesPerAuthor; ++n) {
        team[i]->Add("note", "text", team[i]->name + " note " + std::to_string(n));
      }
      chains.push_back(OwnChanges(*team[i]));
    }
    auto x = MemoryDevice("X", clock, relay.transport());
    EXPECT_TRUE(x->replica->CreateVault("elsewhere").ok());
    for (int n = 0; n < 3; ++n) x->Add("note", "text", "X note " + std::to_string(n));
    foreign = OwnChanges(*x);
    d = std::move(team[3]);
    d->PinAddress(relay.public_key(), ScriptedRelay::kAddress);
    own_author = IdentityOf(*d);
  }
};

std::unique_ptr<ScriptedRelay>& RelaySlot() {
  static std::unique_ptr<ScriptedRelay> relay;
  return relay;
}

std::string DescribeSync(const Result<sync::SyncReport>& r, bool* reported) {
  if (!r.ok()) {
    *reported = r.status().code() != Code::kUnavailable;
    return "failed: " + r.status().ToString();
  }
  std::string out = "ok: pushed " + std::to_string(r->pushed) + ", pulled " +
                    std::to_string(r->pulled) + ", duplicates " + std::to_string(r->duplicates) +
                    ", cursor " + std::to_string(r->cursor);
  for (const std::string& g : r->gaps) out += "; gap: " + g;
  for (const sync::RelayWarning& w : r->relay_faults) {
    out += "; relay fault " + std::string(sync::RelayFaultName(w.fault)) + ": " + w.detail;
  }
  if (r->resent > 0) out += "; resent " + std::to_string(r->resent);
  *reported = !r->gaps.empty() || !r->relay_faults.empty();
  return out;
}

// One seeded run. Returns an empty string when it passes, else what went wrong.
std::string RunOnce(std::uint64_t seed, Category category) {
  ScriptedRelay& relay_process = *RelaySlot();
  FakeClock clock;
  World w(relay_process, clock);
  SyncDevice& d = *w.d;
  std::mt19937_64 rng(seed);
  auto below = [&](std::uint64_t n) { return n == 0 ? 0 : rng() % n; };

  HarnessRelay relay(rng, w.chains, w.foreign, w.own_author);
  relay_process.SetPullHandler([&relay](const pb::Pull& p) { return relay.OnPull(p); });
  relay_process.SetPushHandler([&relay](const pb::Push& p) { return relay.OnPush(p); });
  struct Detach {
    ScriptedRelay& r;
    ~Detach() {
      r.SetPullHandler(nullptr);
      r.SetPushHandler(nullptr);
    }
  } detach{relay_process};

  std::vector<std::string> rounds;
  bool reported = false;
  auto sync = [&](const std::string& label) {
    bool this_reported = false;
    const std::string what = DescribeSync(d.Sync(), &this_reported);
    relay_process.WaitIdle();  // nothing of this session still runs on the relay (determinism)
    reported = reported || this_reported;
    rounds.push_back(label + " " + what);
  };

  relay.Publish(below(6));
  const std::uint64_t misbehaving = 1 + below(3);
  int written = 0;
  for (std::uint64_t round = 0; round < misbehaving; ++round) {
    relay.Publish(below(4));
    for (std::uint64_t n = below(3); n > 0; --n)
      d.Add("note", "text", "D note " + std::to_string(written++));
    Misbehaviour m = category == Category::kMixed
                         ? static_cast<Misbehaviour>(below(5))
                         : static_cast<Misbehaviour>(static_cast<int>(category));
    if (m == Misbehaviour::kRollback) {
      // The relay first takes what the device has, then is restored from an older copy.
      relay.BeginRound(std::nullopt);
      sync("before rollback:");
      for (std::uint64_t n = below(3); n > 0; --n)
        d.Add("note", "text", "D note " + std::to_string(written++));
      relay.RollBack();
      relay.Publish(1 + below(3));  // changes that arrive later take the forgotten numbers
      relay.BeginRound(std::nullopt);
    } else {
      relay.BeginRound(m);
    }
    sync("misbehaving round " + std::to_string(round + 1) + ":");
  }
  relay.PublishAll();
  for (int round = 0; round < kHonestRounds; ++round) {
    relay.BeginRound(std::nullopt);
    sync("honest round " + std::to_string(round + 1) + ":");
  }

  // The oracle.
  auto refs = log::ListChangeRefs(*d.replica);
  if (!refs.ok()) return "cannot list the device's changes: " + refs.status().ToString();
  std::set<std::string> held;
  std::vector<std::string> own;
  for (const log::ChangeRef& r : *refs) {
    const std::string id = IdString(r.id);
    held.insert(id);
    if (r.author == w.own_author) {
      own.push_back(id);
      relay.Label(id, "D#" + std::to_string(r.seq));
    }
  }
  const std::set<std::string> store = relay.HeldIds();
  std::string problems;
  std::string foreign_held;
  for (const LabelledChange& f : w.foreign) {
    if (held.count(f.id)) foreign_held += " " + f.label;
  }
  if (!foreign_held.empty()) problems += "\n  holds another vault's changes:" + foreign_held;
  // Labels sorted, not ids (those differ between runs): a seed's message is the same each time.
  auto labels = [&](const auto& ids, const std::set<std::string>& in) {
    std::vector<std::string> names;
    for (const std::string& id : ids) {
      if (!in.count(id)) names.push_back(relay.LabelOf(id));
    }
    std::sort(names.begin(), names.end());
    std::string out;
    for (const std::string& n : names) out += " " + n;
    return out;
  };
  const std::string missing = labels(store, held);
  const std::string extra = labels(held, store);
  const std::string lost = labels(own, store);
  const bool converged = missing.empty() && extra.empty() && lost.empty();
  if (!converged && !reported) {
    problems += "\n  not converged and nothing reported:";
    if (!missing.empty()) problems += "\n    the relay holds, the device lacks:" + missing;
    if (!extra.empty()) problems += "\n    the device holds, the relay lacks:" + extra;
    if (!lost.empty()) problems += "\n    the device's own changes the relay lacks:" + lost;
  }
  if (problems.empty()) return std::string();
  std::string out = "seed " + std::to_string(seed) + " (" + CategoryName(category) +
                    "; PARLEY_SEED=" + std::to_string(seed) + " replays it):" + problems +
                    "\n  syncs:";
  for (const std::string& r : rounds) out += "\n    " + r;
  out += "\n  the relay:";
  for (const std::string& t : relay.trace()) out += "\n    " + t;
  return out;
}

// PARLEY_HARNESS_RUNS overrides `runs`.
int RunsPerTest(int runs) {
  const char* env = std::getenv("PARLEY_HARNESS_RUNS");
  return env != nullptr && *env != '\0' ? std::atoi(env) : runs;
}

void RunCategory(Category category, int runs) {
  const std::uint64_t base = static_cast<std::uint64_t>(category) * kSeedsPerCategory;
  std::vector<std::uint64_t> seeds;
  if (const char* only = std::getenv("PARLEY_SEED"); only != nullptr && *only != '\0') {
    const std::uint64_t seed = std::strtoull(only, nullptr, 10);
    if (seed / kSeedsPerCategory != static_cast<std::uint64_t>(category))
      GTEST_SKIP() << "PARLEY_SEED is another category's";
    seeds.push_back(seed);
  } else {
    for (int i = 0; i < RunsPerTest(runs); ++i)
      seeds.push_back(base + static_cast<std::uint64_t>(i));
  }
  int failures = 0;
  std::string failed_seeds;
  for (const std::uint64_t seed : seeds) {
    const std::string failure = RunOnce(seed, category);
    if (failure.empty()) continue;
    ++failures;
    failed_seeds += " " + std::to_string(seed);
    // The first few failures in full; the rest counted.
    if (failures <= 5) ADD_FAILURE() << failure;
  }
  EXPECT_EQ(failures, 0) << failures << " of " << seeds.size() << " runs of "
                         << CategoryName(category)
                         << " failed (the first ones are above); seeds:" << failed_seeds;
}

class HostileRelayHarness : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RelaySlot() = std::make_unique<ScriptedRelay>(); }
  static void TearDownTestSuite() { RelaySlot().reset(); }
};

// Six categories of 170 seeded runs each (about 40 ms of one core a run): 1,020 runs per test run.
TEST_F(HostileRelayHarness, ServingAnotherVault) { RunCategory(Category::kForeign, 170); }
TEST_F(HostileRelayHarness, Withholding) { RunCategory(Category::kWithhold, 170); }
TEST_F(HostileRelayHarness, Reordering) { RunCategory(Category::kReorder, 170); }
TEST_F(HostileRelayHarness, Replaying) { RunCategory(Category::kReplay, 170); }
TEST_F(HostileRelayHarness, RollingBack) { RunCategory(Category::kRollback, 170); }
TEST_F(HostileRelayHarness, Mixed) { RunCategory(Category::kMixed, 170); }

}  // namespace
}  // namespace parley::testing
