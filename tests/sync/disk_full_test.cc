// A device whose disk fills up in the middle of a pull. The author's few thousand changes
// wait at a real parley-relay process; the pulling device's store runs over a SQLite VFS
// that fails writes with SQLITE_FULL once a byte budget is spent (support/full_disk_vfs.h),
// a budget that runs out after some of the pull's gatherings are applied.
// The sync fails with Code::kDiskFull; the store opens with integrity ok; the cursor covers
// exactly the changes held (none passed that is not applied); once there is room again the
// next sync completes and the device converges with the author, nothing lost or duplicated.
// Last, the relay's disk fills up instead, while the author pushes.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "parley/core/replica_sync.h"
#include "parley/core/sqlite_util.h"
#include "support/full_disk_vfs.h"
#include "support/relay_process.h"
#include "support/tcp_proxy.h"
#include "sync_test_util.h"

namespace parley::testing {
namespace {

constexpr int kChanges = 2500;

class DiskFullSync : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RegisterFullDiskVfs());
    ASSERT_TRUE(crypto::InitCrypto().ok());
    relay_ = std::make_unique<RelayProcess>(dir_.Sub("relay"));
    Status s = relay_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    author_ = SyncDevice::Create(dir_.path(), "author", keys_, clock_);
    ASSERT_TRUE(author_->replica->CreateVault("team").ok());
    author_->Pin(relay_->public_key(), relay_->port());
    // One change per transaction; values of 1,200 hex digits (random: they do not shrink much).
    for (int i = 0; i < kChanges; ++i) {
      author_->Add("note", "text", crypto::ToHex(crypto::RandomBytes(600)));
      ASSERT_FALSE(HasFailure()) << "change " << i;
    }
    auto pushed = author_->Sync();
    ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
    ASSERT_EQ(pushed->refused, 0u);
    ASSERT_GE(pushed->pushed, static_cast<std::uint64_t>(kChanges));

    // What a whole pull writes, measured on a device with room.
    auto roomy = NewDevice("roomy");
    ASSERT_NE(roomy, nullptr);
    const std::int64_t before = DiskBytesWritten();
    auto pulled = roomy->Sync();
    ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
    ASSERT_GE(pulled->pulled, static_cast<std::uint64_t>(kChanges));
    pull_bytes_ = DiskBytesWritten() - before;
  }
  void TearDown() override {
    SetDiskBudget(-1);
    if (HasFailure() && relay_) std::fprintf(stderr, "relay log:\n%s", relay_->Log().c_str());
  }

  // A device enrolled in the author's vault (the relay told), pinned to the relay, whose
  // store runs over the full-disk VFS (with no budget yet).
  std::unique_ptr<SyncDevice> NewDevice(const std::string& name) {
    auto d = SyncDevice::Create(dir_.path(), name, keys_, clock_);
    EnrollOffline(*author_, *d);
    auto published = author_->Sync();
    EXPECT_TRUE(published.ok()) << published.status().ToString();
    if (!published.ok()) return nullptr;
    if (!d->Reopen(keys_, clock_, kFullDiskVfs)) return nullptr;
    d->Pin(relay_->public_key(), relay_->port());
    return d;
  }

  // Every change of the author's, by the relay sequence number the relay acknowledged it with.
  std::map<std::uint64_t, log::ChangeId> AuthorChangesBySeq() {
    std::map<std::uint64_t, log::ChangeId> out;
    const crypto::Bytes& me = author_->store->device().identity.public_key;
    auto refs = log::ListChangeRefs(*author_->replica, std::string(me.begin(), me.end()));
    EXPECT_TRUE(refs.ok());
    for (const auto& r : *refs) {
      auto seq = author_->state->AckOf(author_->relay, r.id);
      EXPECT_TRUE(seq.ok() && seq->has_value());
      if (seq.ok() && seq->has_value()) out[**seq] = r.id;
    }
    return out;
  }

  // The pull fails for want of room and leaves a consistent state; returns the cursor.
  std::uint64_t PullUntilFull(SyncDevice& d) {
    const std::uint64_t held_before = d.Changes();
    auto refs = log::ListChangeRefs(*d.replica);
    EXPECT_TRUE(refs.ok());
    for (const auto& r : *refs) held_before_.insert(r.id);
    SetDiskBudget(pull_bytes_ / 2);
    auto r = d.Sync();
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kDiskFull) << r.status().ToString();
    EXPECT_EQ(DiskBudget(), 0) << "the budget did not run out";
    // Some gatherings were applied before the disk filled up, not all.
    const std::uint64_t held = d.Changes();
    EXPECT_GT(held, held_before);
    EXPECT_LT(held, held_before + kChanges);
    auto relay = d.state->Relay(d.relay);
    EXPECT_TRUE(relay.ok());
    return relay.ok() ? relay->cursor : 0;
  }

  // Every author change at or below `cursor` is held by `d`, none above it is, and the
  // acks `d` recorded for served changes match.
  void ExpectCursorMatchesHeld(SyncDevice& d, std::uint64_t cursor) {
    auto refs = log::ListChangeRefs(*d.replica);
    ASSERT_TRUE(refs.ok()) << refs.status().ToString();
    std::set<log::ChangeId> held;
    for (const auto& r : *refs) EXPECT_TRUE(held.insert(r.id).second) << "a change is held twice";
    const auto by_seq = AuthorChangesBySeq();
    ASSERT_GE(by_seq.size(), static_cast<std::size_t>(kChanges));
    EXPECT_GT(cursor, by_seq.begin()->first) << "no gathering was applied";
    EXPECT_LT(cursor, by_seq.rbegin()->first) << "the whole pull was applied";
    std::size_t below = 0;
    for (const auto& [seq, id] : by_seq) {
      const bool is_held = held.count(id) > 0;
      if (seq <= cursor) {
        ++below;
        EXPECT_TRUE(is_held) << "the cursor (" << cursor << ") passed change " << seq
                             << ", not applied";
      } else {
        // (unless the device held it before the pull: the invite hands over the vault's start)
        EXPECT_EQ(is_held, held_before_.count(id) > 0)
            << "change " << seq << " is applied beyond the cursor (" << cursor << ")";
      }
      // Served changes are recorded as held by the relay with the cursor. (A change the
      // device held before may also have been acknowledged by its own push.)
      auto ack = d.state->AckOf(d.relay, id);
      ASSERT_TRUE(ack.ok());
      if (held_before_.count(id) == 0) {
        EXPECT_EQ(ack->has_value(), seq <= cursor) << "ack of change " << seq;
      }
      if (ack->has_value()) {
        EXPECT_EQ(**ack, seq);
      }
    }
    EXPECT_GT(below, 0u);
  }

  void ExpectIntegrityOk(SyncDevice& d) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(d.store->db(), "PRAGMA integrity_check", -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "ok");
    sqlite3_finalize(stmt);
  }

  // The next syncs complete and `d` holds exactly what the author holds.
  void ExpectConverges(SyncDevice& d) {
    auto again = d.Sync();
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->refused, 0u);
    EXPECT_EQ(again->cursor, again->head_seq);
    auto author = author_->Sync();  // what the other devices added (their membership changes)
    ASSERT_TRUE(author.ok()) << author.status().ToString();
    auto last = d.Sync();
    ASSERT_TRUE(last.ok()) << last.status().ToString();
    EXPECT_EQ(d.Changes(), author_->Changes());
    EXPECT_EQ(d.Dump(), author_->Dump());
    auto refs = log::ListChangeRefs(*d.replica);
    ASSERT_TRUE(refs.ok());
    std::set<log::ChangeId> ids;
    for (const auto& r : *refs) ids.insert(r.id);
    EXPECT_EQ(ids.size(), refs->size()) << "a change is held twice";
    EXPECT_EQ(ids.size(), author_->Changes());
  }

  TempDir dir_;
  FakeClock clock_;
  MemoryKeyStore keys_;
  std::unique_ptr<RelayProcess> relay_;
  std::unique_ptr<SyncDevice> author_;
  std::int64_t pull_bytes_ = 0;
  std::set<log::ChangeId> held_before_;
};

TEST_F(DiskFullSync, FailsWithDiskFullAndResumesAfterReopen) {
  auto d = NewDevice("phone");
  ASSERT_NE(d, nullptr);
  const std::uint64_t cursor = PullUntilFull(*d);
  ASSERT_FALSE(HasFailure());
  // Closed while the disk is still full, then opened without the fault.
  ASSERT_TRUE(d->Reopen(keys_, clock_));
  ExpectIntegrityOk(*d);
  ExpectCursorMatchesHeld(*d, cursor);
  // Room again: over the same VFS with no budget.
  SetDiskBudget(-1);
  ASSERT_TRUE(d->Reopen(keys_, clock_, kFullDiskVfs));
  ExpectConverges(*d);
  ASSERT_TRUE(d->Reopen(keys_, clock_));
  ExpectIntegrityOk(*d);
}

TEST_F(DiskFullSync, ResumesInPlaceOnceThereIsRoom) {
  auto d = NewDevice("phone");
  ASSERT_NE(d, nullptr);
  const std::uint64_t cursor = PullUntilFull(*d);
  ASSERT_FALSE(HasFailure());
  ExpectCursorMatchesHeld(*d, cursor);
  // Space is freed while the store stays open: the same client syncs again.
  SetDiskBudget(-1);
  ExpectConverges(*d);
  ASSERT_TRUE(d->Reopen(keys_, clock_));
  ExpectIntegrityOk(*d);
}

// The relay's disk fills up instead (the relay process may not grow a file past 1 MiB): the
// author's sync fails with Code::kUnavailable and the relay's "storage unavailable"; once the
// relay has room again the next sync pushes the rest, and another device converges.
TEST(DiskFullRelaySync, PushFailsUnavailableAndResumesWhenTheRelayHasRoom) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir dir;
  FakeClock clock;
  MemoryKeyStore keys;
  auto relay = std::make_unique<RelayProcess>(dir.Sub("relay"));
  relay->set_file_size_limit(1 << 20);
  ASSERT_TRUE(relay->Start().ok());
  TcpProxy front(relay->port());  // the address devices pin; the relay restarts behind it
  auto author = SyncDevice::Create(dir.path(), "author", keys, clock);
  auto other = SyncDevice::Create(dir.path(), "other", keys, clock);
  ASSERT_TRUE(author->replica->CreateVault("team").ok());
  EnrollOffline(*author, *other);
  author->Pin(relay->public_key(), front.port());
  other->Pin(relay->public_key(), front.port());
  for (int i = 0; i < 1500; ++i)
    author->Add("note", "text", crypto::ToHex(crypto::RandomBytes(600)));
  ASSERT_FALSE(HasFailure());

  auto full = author->Sync();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), Code::kUnavailable) << full.status().ToString();
  EXPECT_NE(full.status().message().find("storage unavailable"), std::string::npos)
      << full.status().ToString();
  EXPECT_TRUE(relay->WaitForLog("event=storage_error"));
  auto waiting = author->state->Relay(author->relay);
  ASSERT_TRUE(waiting.ok());
  EXPECT_LT(waiting->push_mark, static_cast<std::int64_t>(author->Changes()))
      << "the push mark passed refused changes";

  // Room again.
  EXPECT_EQ(relay->Terminate(), 0);
  relay = std::make_unique<RelayProcess>(dir.Sub("relay"));
  ASSERT_TRUE(relay->Start().ok());
  front.set_backend(relay->port());
  auto pushed = author->Sync();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->refused, 0u);
  EXPECT_GT(pushed->pushed, 0u);
  auto pulled = other->Sync();
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  auto back = author->Sync();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(other->Changes(), author->Changes());
  EXPECT_EQ(other->Dump(), author->Dump());
  if (HasFailure()) std::fprintf(stderr, "relay log:\n%s", relay->Log().c_str());
}

}  // namespace
}  // namespace parley::testing
