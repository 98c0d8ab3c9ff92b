// The device against a hostile relay: a scripted relay of the test's own (real wire: length
// framing, Noise XK responder with its own pinned key, Welcome), reached through an
// in-memory LoopbackTransport instead of TCP, serves real changes of a real author,
// tampered with. The device must refuse forged or altered changes and out-of-order
// sequence numbers without applying anything of the bad gathering or moving its cursor past
// what it did not apply, must report a change the relay silently dropped as a gap, and must
// converge once the relay serves honestly again.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "parley/core/replica_sync.h"
#include "parley/sync/change_parts.h"
#include "parley/sync/session.h"
#include "parley/testing/loopback_transport.h"
#include "scripted_relay.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

class HostileRelayTest : public ::testing::Test {
 protected:
  TempDir dir;
  FakeClock clock;
  MemoryKeyStore keys;
  ScriptedRelay relay;
  std::unique_ptr<SyncDevice> author;
  std::unique_ptr<SyncDevice> device;
  std::vector<Served> relay_log;  // everything the author holds, as an honest relay would number it
  std::size_t note_begin = 0;     // index in `relay_log` of the author's first note

  void SetUp() override {
    author = SyncDevice::Create(dir.path(), "author", keys, clock);
    device = SyncDevice::Create(dir.path(), "device", keys, clock);
    ASSERT_TRUE(author->replica->CreateVault("team").ok());
    EnrollOffline(*author, *device);
    device->UseTransport(relay.transport());
    device->PinAddress(relay.public_key(), ScriptedRelay::kAddress);
    note_begin = Held().size();
    for (int i = 0; i < 8; ++i) author->Add("note", "text", "note " + std::to_string(i));
    relay_log.clear();
    std::uint64_t seq = 0;
    for (log::HeldChange& h : Held()) relay_log.push_back(Served{++seq, std::move(h.change)});
    ASSERT_EQ(relay_log.size(), note_begin + 8);
  }

  std::vector<log::HeldChange> Held() {
    auto held = log::HeldChangesAfter(*author->replica, 0, 1u << 30, 1u << 20);
    EXPECT_TRUE(held.ok()) << held.status().ToString();
    return held.ok() ? std::move(held).value() : std::vector<log::HeldChange>{};
  }

  std::set<std::string> DeviceHolds() {
    auto refs = log::ListChangeRefs(*device->replica);
    EXPECT_TRUE(refs.ok()) << refs.status().ToString();
    std::set<std::string> ids;
    if (refs.ok()) {
      for (const auto& r : *refs) ids.emplace(r.id.begin(), r.id.end());
    }
    return ids;
  }

  static std::string IdOf(const pb::Change& c) {
    const log::ChangeId id = log::ChangeIdOf(c);
    return std::string(id.begin(), id.end());
  }

  std::uint64_t Cursor() {
    auto r = device->state->Relay(device->relay);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->cursor : ~0ULL;
  }

  static std::uint64_t AuthorSeq(const pb::Change& c) {
    pb::ChangeHeader h;
    EXPECT_TRUE(h.ParseFromString(c.header()));
    return h.seq();
  }

  // The cursor covers only what the device holds: every honest change numbered at or below
  // it is held there.
  void ExpectCursorCovered(const std::vector<Served>& served) {
    const std::uint64_t cursor = Cursor();
    const std::set<std::string> holds = DeviceHolds();
    for (const Served& s : served) {
      if (s.relay_seq <= cursor) {
        EXPECT_TRUE(holds.count(IdOf(s.change)))
            << "cursor " << cursor << " passes relay_seq " << s.relay_seq;
      }
    }
  }

  // A failed sync with `code` whose message names `what`, then: nothing of it applied, the
  // cursor where it was; then an honest serve converges.
  void ExpectRefusedThenConverge(Code code, const std::string& what, const std::string& bad_id) {
    const std::uint64_t changes_before = device->Changes();
    const std::uint64_t cursor_before = Cursor();
    const int pulls_before = relay.pulls();
    auto r = device->Sync();
    ASSERT_FALSE(r.ok()) << "a tampered serve was accepted";
    EXPECT_GT(relay.pulls(), pulls_before) << "the sync failed before it pulled";
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().ToString();
    EXPECT_EQ(device->Changes(), changes_before);
    EXPECT_EQ(Cursor(), cursor_before);
    EXPECT_EQ(DeviceHolds().count(bad_id), 0u);
    ExpectCursorCovered(relay_log);
    ExpectHonestConvergence();
  }

  void ExpectHonestConvergence() {
    relay.SetScript([this](std::uint64_t after) { return ServeHonestly(relay_log, after); });
    auto r = device->Sync();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->gaps.empty()) << r->gaps.front();
    EXPECT_EQ(Cursor(), relay_log.back().relay_seq);
    const std::set<std::string> holds = DeviceHolds();
    for (const Served& s : relay_log)
      EXPECT_TRUE(holds.count(IdOf(s.change))) << "relay_seq " << s.relay_seq;
    EXPECT_EQ(device->Dump(), author->Dump());
    auto gaps = log::ListGaps(*device->replica);
    ASSERT_TRUE(gaps.ok());
    EXPECT_TRUE(gaps->empty());
  }
};

TEST_F(HostileRelayTest, FlippedSignatureInTheMiddleOfARunIsRefused) {
  std::vector<Served> bad = relay_log;
  pb::Change& victim = bad[note_begin + 3].change;
  const std::string bad_id = IdOf(victim);  // the id does not cover the signature
  std::string sig = victim.signature();
  sig[sig.size() / 2] = static_cast<char>(sig[sig.size() / 2] ^ 0x01);
  victim.set_signature(sig);
  relay.SetScript([bad](std::uint64_t after) { return ServeHonestly(bad, after); });
  ExpectRefusedThenConverge(Code::kCorrupt, "signature", bad_id);
}

TEST_F(HostileRelayTest, FlippedBodyByteIsRefused) {
  std::vector<Served> bad = relay_log;
  pb::Change& victim = bad[note_begin + 4].change;
  std::string body = victim.body();
  ASSERT_FALSE(body.empty());
  body[body.size() / 2] = static_cast<char>(body[body.size() / 2] ^ 0x01);
  victim.set_body(body);
  relay.SetScript([bad](std::uint64_t after) { return ServeHonestly(bad, after); });
  const std::uint64_t changes_before = device->Changes();
  auto r = device->Sync();
  ASSERT_FALSE(r.ok()) << "a change with an altered body was accepted";
  EXPECT_EQ(r.status().code(), Code::kCorrupt) << r.status().ToString();
  const std::string seq = "(seq " + std::to_string(AuthorSeq(bad[note_begin + 4].change)) + ")";
  EXPECT_NE(r.status().message().find("does not verify " + seq), std::string::npos)
      << r.status().ToString();
  EXPECT_EQ(device->Changes(), changes_before);
  EXPECT_EQ(Cursor(), 0u);
  EXPECT_EQ(DeviceHolds().count(IdOf(bad[note_begin + 4].change)), 0u);
  ExpectCursorCovered(relay_log);
  ExpectHonestConvergence();
}

TEST_F(HostileRelayTest, SequenceNumbersOutOfOrderAreRefused) {
  relay.SetScript([this](std::uint64_t after) {
    std::vector<pb::PullBatch> batches = ServeHonestly(relay_log, after);
    auto* changes = batches[0].mutable_changes();
    if (changes->size() < 2) return batches;
    // Swap the relay numbers of two neighbours in the middle of the batch.
    const int i = changes->size() / 2;
    const std::uint64_t a = changes->Get(i).relay_seq();
    changes->Mutable(i)->set_relay_seq(changes->Get(i + 1).relay_seq());
    changes->Mutable(i + 1)->set_relay_seq(a);
    return batches;
  });
  ExpectRefusedThenConverge(Code::kCorrupt, "out of order", std::string());
}

TEST_F(HostileRelayTest, ChangeInPartsWithAnotherAnnouncedIdIsRefused) {
  // First everything but the last note, honestly.
  std::vector<Served> prefix(relay_log.begin(), relay_log.end() - 1);
  relay.SetScript([prefix](std::uint64_t after) { return ServeHonestly(prefix, after); });
  auto first = device->Sync();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(Cursor(), prefix.back().relay_seq);

  // Then the last note in parts, announced under the id of another change.
  const Served last = relay_log.back();
  const std::string real_id = IdOf(last.change);
  const std::string other_id = IdOf(relay_log[note_begin].change);
  relay.SetScript([last, other_id](std::uint64_t after) {
    std::vector<pb::PullBatch> batches;
    if (after >= last.relay_seq) return batches;
    const std::string serialized = last.change.SerializeAsString();
    for (pb::ChangePart& p :
         wire::SplitChange(serialized, crypto::AsBytes(other_id), serialized.size() / 3 + 1)) {
      pb::PullBatch b;
      p.set_relay_seq(last.relay_seq);
      *b.mutable_part() = std::move(p);
      b.set_head_seq(last.relay_seq);
      batches.push_back(std::move(b));
    }
    return batches;
  });
  ExpectRefusedThenConverge(Code::kCorrupt, "announced", real_id);
}

TEST_F(HostileRelayTest, SilentlyDroppedChangeIsReportedAsAGap) {
  const std::size_t dropped = note_begin + 4;
  const std::uint64_t dropped_seq = AuthorSeq(relay_log[dropped].change);
  const std::string dropped_id = IdOf(relay_log[dropped].change);
  // The hostile relay numbers what it keeps without a hole, so nothing on the wire betrays it.
  std::vector<Served> kept;
  for (std::size_t i = 0; i < relay_log.size(); ++i) {
    if (i != dropped) kept.push_back(Served{kept.size() + 1, relay_log[i].change});
  }
  relay.SetScript([kept](std::uint64_t after) { return ServeHonestly(kept, after); });
  auto r = device->Sync();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string range =
      "changes " + std::to_string(dropped_seq) + "-" + std::to_string(dropped_seq) + " missing";
  ASSERT_EQ(r->gaps.size(), 1u);
  EXPECT_NE(r->gaps[0].find(range), std::string::npos) << r->gaps[0];
  auto gaps = log::ListGaps(*device->replica);
  ASSERT_TRUE(gaps.ok());
  ASSERT_EQ(gaps->size(), 1u);
  EXPECT_EQ((*gaps)[0].first, dropped_seq);
  EXPECT_EQ((*gaps)[0].last, dropped_seq);
  const std::set<std::string> holds = DeviceHolds();
  EXPECT_EQ(holds.count(dropped_id), 0u);
  for (const Served& s : kept)
    EXPECT_TRUE(holds.count(IdOf(s.change))) << "relay_seq " << s.relay_seq;
  EXPECT_EQ(Cursor(), kept.back().relay_seq);

  // The relay later serves the missing change (after what it already served): the gap closes.
  relay_log = kept;
  relay_log.push_back(Served{kept.size() + 1, log::HeldChange{}.change});
  auto held = Held();
  for (auto& h : held) {
    if (std::string(h.id.begin(), h.id.end()) == dropped_id) relay_log.back().change = h.change;
  }
  ASSERT_EQ(IdOf(relay_log.back().change), dropped_id);
  ExpectHonestConvergence();
}

}  // namespace
}  // namespace parley::testing
