// Several `parley` processes on one data directory: a watcher notices and pushes what
// another process wrote, its in-memory caches follow writes of other processes, two pulls at
// once cooperate, and `parley wipe` stops every process of the data directory before it
// destroys the files. Real processes and a real relay; every wait has a deadline.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <memory>
#include <set>

#include "background_parley.h"
#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

using std::chrono::seconds;

bool Has(const std::string& line, const std::string& what) {
  return line.find(what) != std::string::npos;
}

class CliProcesses : public CliWithRelay {
 protected:
  // An admin device `a` and a member `b` of one vault, both synced.
  void TwoDevices() {
    a_ = NewDevice("a", "team");
    b_ = NewDevice("b", "");
    ASSERT_EQ((*a_)({"sync"}).exit_code, 0);
    Outcome invited = (*a_)({"vault", "invite", PairingCode(*b_)});
    ASSERT_EQ(invited.exit_code, 0) << invited.err;
    Outcome joined = (*b_)({"join"});
    ASSERT_EQ(joined.exit_code, 0) << joined.err;
    negotiation_ = a_->Id({"negotiation", "add", "--buyer", "Fresh Foods"});
    ASSERT_EQ((*a_)({"sync"}).exit_code, 0);
    ASSERT_EQ((*b_)({"sync"}).exit_code, 0);
  }
  // Starts `sync --watch` on `d` and waits until it is connected.
  std::unique_ptr<BackgroundParley> StartWatcher(const Device& d) {
    auto w = std::make_unique<BackgroundParley>(d, std::vector<std::string>{"sync", "--watch"});
    EXPECT_TRUE(w->WaitForLine([](const std::string& l) { return Has(l, "connected to relay"); },
                               seconds(30)))
        << w->Output() << w->Errors();
    return w;
  }
  // The number of this device's changes the relay has not acknowledged.
  std::int64_t Unacknowledged(const Device& d) {
    return d.Json({"status"})["own_unacknowledged"].AsInt();
  }

  std::unique_ptr<Device> a_, b_;
  std::string negotiation_;
};

// Another process writes on the watcher's data directory: the watcher pushes it within
// seconds, without a relay notification or a local wake-up to prompt it.
TEST_F(CliProcesses, WatcherPushesWhatAnotherProcessWrote) {
  TwoDevices();
  auto watcher = StartWatcher(*a_);
  ASSERT_EQ((*a_)({"note", "add", negotiation_, "--text", "written beside the watcher"}).exit_code,
            0);
  const bool pushed =
      watcher->WaitForLine([](const std::string& l) { return Has(l, ": pushed 1,"); }, seconds(15));
  EXPECT_TRUE(pushed) << watcher->Output() << watcher->Errors();
  EXPECT_EQ(Unacknowledged(*a_), 0);
}

// The watcher remembers the head of a record's history; another process then changes the
// record, and the watcher pulls a further remote change of it. The history keeps all three.
TEST_F(CliProcesses, WatcherHistoryFollowsAnotherProcess) {
  TwoDevices();
  const std::string c = a_->Id(
      {"commitment", "add", negotiation_, "--kind", "higher_prices", "--text", "Fair price"});
  ASSERT_EQ((*a_)({"sync"}).exit_code, 0);
  ASSERT_EQ((*b_)({"sync"}).exit_code, 0);
  auto watcher = StartWatcher(*a_);
  // b changes the commitment: the watcher pulls it (and remembers the record's head).
  ASSERT_EQ((*b_)({"commitment", "status", c, "countered"}).exit_code, 0);
  ASSERT_EQ((*b_)({"sync"}).exit_code, 0);
  ASSERT_TRUE(
      watcher->WaitForLine([](const std::string& l) { return Has(l, ", pulled 1,"); }, seconds(15)))
      << watcher->Output();
  // Another process of a agrees; then b signs and the watcher pulls that.
  ASSERT_EQ((*a_)({"commitment", "status", c, "agreed"}).exit_code, 0);
  ASSERT_EQ((*b_)({"commitment", "status", c, "signed"}).exit_code, 0);
  ASSERT_EQ((*b_)({"sync"}).exit_code, 0);
  ASSERT_TRUE(watcher->WaitForLine([](const std::string& l) { return Has(l, ", pulled 1,"); },
                                   seconds(15), 2))
      << watcher->Output();
  auto history = a_->Json({"history", c});
  std::multiset<std::string> statuses;
  for (std::size_t i = 0; i < history["entries"].size(); ++i) {
    if (history["entries"][i]["field"].AsString() == "status")
      statuses.insert(history["entries"][i]["value"].AsString());
  }
  EXPECT_EQ(statuses.count("agreed"), 1u) << (*a_)({"history", c}).out;
  EXPECT_EQ(statuses.count("countered"), 1u);
  EXPECT_EQ(statuses.count("signed"), 1u);
}

// Several pulls of the same changes at once on one data directory: each either succeeds or says
// the store is busy (exit 8); never an internal error. Afterwards every change is there once.
TEST_F(CliProcesses, PullsAtOnceCooperate) {
  TwoDevices();
  constexpr int kNotes = 80;
  constexpr int kRounds = 2;
  constexpr int kPullers = 4;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kNotes; ++i) {
      ASSERT_EQ((*b_)({"note", "add", negotiation_, "--text",
                       "note " + std::to_string(round) + "." + std::to_string(i)})
                    .exit_code,
                0);
    }
    ASSERT_EQ((*b_)({"sync"}).exit_code, 0);
    std::vector<std::unique_ptr<BackgroundParley>> pulls;
    for (int i = 0; i < kPullers; ++i)
      pulls.push_back(std::make_unique<BackgroundParley>(*a_, std::vector<std::string>{"sync"}));
    for (auto& p : pulls) {
      const int code = p->WaitExit(seconds(60));
      EXPECT_TRUE(code == 0 || code == 8) << "exit " << code << ": " << p->Output() << p->Errors();
      EXPECT_EQ(p->Errors().find("UNIQUE"), std::string::npos) << p->Errors();
    }
  }
  ASSERT_EQ((*a_)({"sync"}).exit_code, 0);
  auto shown = a_->Json({"negotiation", "show", negotiation_});
  EXPECT_EQ(shown["notes"].size(), static_cast<std::size_t>(kNotes * kRounds));
}

// `parley wipe` while a watcher runs on the data directory: the watcher is stopped before the
// wipe returns (it exits 0, having zeroed its keys), and nothing is left in the directory.
TEST_F(CliProcesses, WipeStopsTheWatcher) {
  TwoDevices();
  auto watcher = StartWatcher(*a_);
  Outcome wiped = (*a_)({"wipe", "--yes"});
  ASSERT_EQ(wiped.exit_code, 0) << wiped.err;
  EXPECT_EQ(watcher->WaitExit(seconds(5)), 0) << watcher->Output() << watcher->Errors();
  EXPECT_NE(watcher->Output().find("stopped"), std::string::npos) << watcher->Output();
  // b's later changes reach nobody on a's side: the directory stays empty.
  ASSERT_EQ((*b_)({"note", "add", negotiation_, "--text", "after the wipe"}).exit_code, 0);
  ASSERT_EQ((*b_)({"sync"}).exit_code, 0);
  EXPECT_EQ(watcher->WaitExit(seconds(5)), 0);
  EXPECT_TRUE(FilesUnder(a_->data_dir()).empty());
}

// A process killed outright leaves its registration behind: it stops neither other commands
// nor a wipe.
TEST_F(CliProcesses, KilledProcessLeavesNothingInTheWay) {
  TwoDevices();
  { auto watcher = StartWatcher(*a_); }  // SIGKILL: no clean stop
  EXPECT_FALSE(FilesUnder(a_->data_dir() + "/procs").empty());
  ASSERT_EQ((*a_)({"note", "add", negotiation_, "--text", "after a crash"}).exit_code, 0);
  const auto started = std::chrono::steady_clock::now();
  Outcome wiped = (*a_)({"wipe", "--yes"});
  ASSERT_EQ(wiped.exit_code, 0) << wiped.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));  // nobody was waited for
  EXPECT_TRUE(FilesUnder(a_->data_dir()).empty());
}

}  // namespace
}  // namespace parley::cli_test
