// Restores, with real `parley` and `parley-relay` processes: a relay brought back from an
// older copy of its data directory while devices keep working, and a device brought back
// from an older copy of its own data directory that writes before it syncs. In both cases
// every device converges without anyone's help, nothing is lost, and the device says what
// happened.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "relay_fixture.h"

namespace parley::cli_test {
namespace {

namespace fs = std::filesystem;

std::set<std::string> NoteTexts(const Device& d, const std::string& negotiation) {
  std::set<std::string> out;
  const auto show = d.Json({"negotiation", "show", negotiation});
  for (const auto& n : show["notes"].AsArray()) out.insert(n["fields"]["text"].AsString());
  return out;
}

void CopyDir(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

class CliRestore : public CliWithRelay {
 protected:
  void Enrol() {
    ana_ = NewDevice("ana", "coalition");
    bea_ = NewDevice("bea", "");
    ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
    Outcome invited = (*ana_)({"vault", "invite", PairingCode(*bea_)});
    ASSERT_EQ(invited.exit_code, 0) << invited.err;
    Outcome joined = (*bea_)({"join"});
    ASSERT_EQ(joined.exit_code, 0) << joined.err;
    negotiation_ = ana_->Id({"negotiation", "add", "--buyer", "Acme"});
  }
  // Restarts the relay (it comes back on another port) and gives the devices its address.
  void RestartRelay(const std::vector<Device*>& devices) {
    Status s = relay_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    code_ = relay_->PairingCode(relay_->port());
    // Already pinned (same key): the address is updated, and the command says so with
    // "already exists".
    for (Device* d : devices) {
      Outcome added = (*d)({"relay", "add", code_});
      ASSERT_TRUE(added.exit_code == 0 || added.exit_code == 6) << added.err;
    }
  }
  void AddNote(Device& d, const std::string& text) {
    Outcome added = d({"note", "add", negotiation_, "--text", text});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }
  testing::json::Value Sync(Device& d) { return d.Json({"sync"})["relays"][std::size_t{0}]; }

  std::unique_ptr<Device> ana_, bea_;
  std::string negotiation_;
};

TEST_F(CliRestore, ARelayRestoredFromAnOlderCopyIsDetectedAndRefilled) {
  Enrol();
  AddNote(*ana_, "one");
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  ASSERT_EQ((*bea_)({"sync"}).exit_code, 0);
  const std::string relay_dir = root_.Sub("relay");
  const std::string older = root_.Sub("relay-older");
  ASSERT_TRUE(relay_->Stop().ok());
  CopyDir(relay_dir, older);
  RestartRelay({ana_.get(), bea_.get()});
  AddNote(*ana_, "two");
  AddNote(*ana_, "three");
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  AddNote(*bea_, "four");
  ASSERT_EQ((*bea_)({"sync"}).exit_code, 0);
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  EXPECT_EQ(ana_->Json({"status"})["own_unacknowledged"].AsInt(), 0);

  // The relay comes back from the older copy; the devices keep working meanwhile.
  ASSERT_TRUE(relay_->Stop().ok());
  CopyDir(older, relay_dir);
  RestartRelay({ana_.get(), bea_.get()});
  AddNote(*ana_, "five");

  Outcome raw = (*ana_)({"--json", "sync"});
  ASSERT_EQ(raw.exit_code, 0) << raw.out << raw.err;
  const auto ana_sync = raw.Json()["relays"][std::size_t{0}];
  ASSERT_TRUE(ana_sync["error"].is_null());
  ASSERT_GE(ana_sync["relay_faults"].size(), 1u);
  EXPECT_EQ(ana_sync["relay_faults"][std::size_t{0}]["fault"].AsString(), "rolled_back");
  EXPECT_GE(ana_sync["resent"].AsInt(), 2);  // two, three (and bea's four, which ana holds)
  // ana gave the relay back everything it held (bea's change too), in the order it had
  // them: bea's place in the relay's history holds the same change again, so bea just syncs.
  const auto bea_sync = Sync(*bea_);
  ASSERT_TRUE(bea_sync["error"].is_null());
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);

  const std::set<std::string> all = {"one", "two", "three", "four", "five"};
  EXPECT_EQ(NoteTexts(*ana_, negotiation_), all);
  EXPECT_EQ(NoteTexts(*bea_, negotiation_), all);
  for (Device* d : {ana_.get(), bea_.get()}) {
    const auto status = d->Json({"status"});
    EXPECT_EQ(status["own_unacknowledged"].AsInt(), 0);
    EXPECT_EQ(status["gaps"].size(), 0u);
  }
  // A device that joins afterwards gets everything, with no gap.
  auto carl = NewDevice("carl", "");
  ASSERT_EQ((*ana_)({"vault", "invite", PairingCode(*carl)}).exit_code, 0);
  ASSERT_EQ((*carl)({"join"}).exit_code, 0);
  EXPECT_EQ(NoteTexts(*carl, negotiation_), all);
  EXPECT_EQ(carl->Json({"status"})["gaps"].size(), 0u);
}

TEST_F(CliRestore, ADeviceRestoredFromAnOlderCopyKeepsWhatItWritesAndForksNothing) {
  Enrol();
  AddNote(*ana_, "one");
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  const std::string older = root_.Sub("ana-older");
  CopyDir(ana_->data_dir(), older);
  AddNote(*ana_, "two");
  AddNote(*ana_, "three");
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  ASSERT_EQ((*bea_)({"sync"}).exit_code, 0);

  // ana's phone is restored from the older copy and writes before it syncs: its next change
  // has the number "two" already has on the relay.
  CopyDir(older, ana_->data_dir());
  AddNote(*ana_, "written after the restore");
  const auto synced = Sync(*ana_);
  ASSERT_TRUE(synced["error"].is_null()) << synced["error"].AsString();
  EXPECT_GE(synced["set_aside"].AsInt(), 1);
  EXPECT_GE(synced["reissued"].AsInt(), 1);
  const std::set<std::string> all = {"one", "two", "three", "written after the restore"};
  EXPECT_EQ(NoteTexts(*ana_, negotiation_), all);
  const auto status = ana_->Json({"status"});
  EXPECT_EQ(status["own_unacknowledged"].AsInt(), 0);
  EXPECT_GE(status["reissued_total"].AsInt(), 1);
  Outcome text = (*ana_)({"status"});
  EXPECT_NE(text.out.find("restored from an older copy"), std::string::npos) << text.out;

  ASSERT_EQ((*bea_)({"sync"}).exit_code, 0);
  EXPECT_EQ(NoteTexts(*bea_, negotiation_), all);
  // Later syncs and bundles go on as usual on both.
  AddNote(*ana_, "after");
  ASSERT_EQ((*ana_)({"sync"}).exit_code, 0);
  ASSERT_EQ((*bea_)({"sync"}).exit_code, 0);
  EXPECT_EQ(NoteTexts(*bea_, negotiation_).count("after"), 1u);
}

}  // namespace
}  // namespace parley::cli_test
