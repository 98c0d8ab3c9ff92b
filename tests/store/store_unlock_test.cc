// Hardened unlock: a key file authenticated in every byte (format 2) before Argon2id runs,
// the upgrade of format 1 key files, the failed-unlock counter with its delay and optional
// wipe (on a fake clock), the passphrase change and the strength floor.
#include <cstring>
#include <functional>

#include "parley/core/passphrase_policy.h"
#include "parley/keys.pb.h"
#include "parley/testing/fake_env.h"
#include "store/key_file.h"
#include "store/unlock_guard.h"
#include "store_test_util.h"

namespace parley::store {
namespace {

using testutil::kPassphrase;
using testutil::ReadAll;
using testutil::WriteAll;

constexpr char kWrong[] = "not the passphrase";

class StoreUnlockTest : public testutil::StoreFixture {
 protected:
  Env& fenv() { return fenv_; }
  std::string key_path() const { return data_dir() + "/keys"; }
  std::string failures_path() const { return data_dir() + "/failures"; }

  void CreateWith(std::uint32_t wipe_after) {
    StoreOptions o = testutil::FastOptions(data_dir());
    o.wipe_after = wipe_after;
    ASSERT_TRUE(Store::Create(fenv(), key_store(), o, kPassphrase).ok());
  }
  Result<std::unique_ptr<Store>> Open(std::string_view passphrase) {
    return Store::Open(fenv(), key_store(), data_dir(), passphrase);
  }
  // The failure count as stored (0 without a file). The layout is docs/storage-format.md's.
  std::uint32_t StoredFailures() {
    if (!env().FileExists(failures_path())) return 0;
    auto b = ReadAll(failures_path());
    EXPECT_EQ(b.size(), 72u);
    if (b.size() != 72u) return ~0u;
    EXPECT_EQ(std::memcmp(b.data(), "PRLYFAIL", 8), 0);
    return static_cast<std::uint32_t>(b[28]) | static_cast<std::uint32_t>(b[29]) << 8 |
           static_cast<std::uint32_t>(b[30]) << 16 | static_cast<std::uint32_t>(b[31]) << 24;
  }
  crypto::SecretBytes Secret(const internal::KeyFileData& kf) {
    auto raw = key_store().Get(internal::KeyStoreName(kf.header.store_id));
    EXPECT_TRUE(raw.ok());
    return crypto::SecretBytes::Copy(raw.ok() ? *raw : std::vector<std::uint8_t>(32));
  }

  // What an attacker holding only the files can write: the KeyFile edited by `mutate`, the
  // old MAC kept (or, with `mac_from_checksum`, replaced by an unkeyed BLAKE2b-256 of the
  // body), and the unkeyed checksum recomputed.
  void AttackerRewrite(const std::vector<std::uint8_t>& pristine,
                       const std::function<void(pb::KeyFile&)>& mutate,
                       bool mac_from_checksum = false, const std::string& extra = "") {
    ASSERT_EQ(std::memcmp(pristine.data(), "PRLYKEY2", 8), 0);
    pb::KeyFile kf;
    ASSERT_TRUE(kf.ParseFromArray(pristine.data() + 8, static_cast<int>(pristine.size() - 8 - 64)));
    mutate(kf);
    const std::string body = kf.SerializeAsString() + extra;
    // Built as one string, then one vector: GCC 12 at -O2/-O3 reports false bounds and null
    // warnings for a memcpy or an insert into a fresh 8-byte vector here (x86-64, aarch64).
    const std::string head = std::string(reinterpret_cast<const char*>(pristine.data()), 8) + body;
    std::vector<std::uint8_t> out(head.begin(), head.end());
    if (mac_from_checksum) {
      crypto::Hash fake = crypto::Blake2b256(out);
      out.insert(out.end(), fake.begin(), fake.end());
    } else {
      out.insert(out.end(), pristine.end() - 64, pristine.end() - 32);
    }
    crypto::Hash sum = crypto::Blake2b256(out);
    out.insert(out.end(), sum.begin(), sum.end());
    WriteAll(key_path(), out);
  }

  testing::FakeClock clock_;
  testing::FaultEnv fenv_{PosixEnv(), &clock_};
};

std::string Flip(const std::string& s) {
  std::string out = s.empty() ? std::string(1, '\0') : s;
  out[0] = static_cast<char>(out[0] ^ 0x01);
  return out;
}

TEST_F(StoreUnlockTest, NewKeyFilesAreFormatTwo) {
  CreateWith(0);
  const auto bytes = ReadAll(key_path());
  ASSERT_GT(bytes.size(), 72u);
  EXPECT_EQ(std::memcmp(bytes.data(), "PRLYKEY2", 8), 0);
  pb::KeyFile kf;
  ASSERT_TRUE(kf.ParseFromArray(bytes.data() + 8, static_cast<int>(bytes.size() - 8 - 64)));
  EXPECT_EQ(kf.format(), 2u);
  EXPECT_TRUE(kf.header_mac().empty());
}

// Every field, one at a time: a flipped bit with the unkeyed checksum fixed (and, again, with
// the MAC replaced by an unkeyed hash) is kCorrupt before the passphrase is tried — never
// kWrongPassphrase — and the failure counter does not move. The store id names another
// key-store entry: kMissingSecret, not counted either.
TEST_F(StoreUnlockTest, EveryFieldTamperedWithRecomputedChecksumIsCorruptAndNotCounted) {
  CreateWith(3);
  ASSERT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase);
  ASSERT_EQ(StoredFailures(), 1u);
  const auto counter = ReadAll(failures_path());
  const auto pristine = ReadAll(key_path());
  using Mutation = std::pair<const char*, std::function<void(pb::KeyFile&)>>;
  const std::vector<Mutation> fields = {
      {"format", [](pb::KeyFile& k) { k.set_format(k.format() ^ 1); }},
      {"argon2_ops", [](pb::KeyFile& k) { k.set_argon2_ops(k.argon2_ops() ^ 1); }},
      {"argon2_mem", [](pb::KeyFile& k) { k.set_argon2_mem(k.argon2_mem() ^ 1); }},
      {"salt", [](pb::KeyFile& k) { k.set_salt(Flip(k.salt())); }},
      {"header_mac", [](pb::KeyFile& k) { k.set_header_mac(std::string(32, 'm')); }},
      {"master_nonce", [](pb::KeyFile& k) { k.set_master_nonce(Flip(k.master_nonce())); }},
      {"wrapped_master", [](pb::KeyFile& k) { k.set_wrapped_master(Flip(k.wrapped_master())); }},
      {"wrapped_master tag",
       [](pb::KeyFile& k) {
         std::string w = k.wrapped_master();
         w.back() = static_cast<char>(w.back() ^ 0x80);
         k.set_wrapped_master(w);
       }},
      {"bundle_nonce", [](pb::KeyFile& k) { k.set_bundle_nonce(Flip(k.bundle_nonce())); }},
      {"wrapped_bundle", [](pb::KeyFile& k) { k.set_wrapped_bundle(Flip(k.wrapped_bundle())); }},
      {"wipe_after", [](pb::KeyFile& k) { k.set_wipe_after(k.wipe_after() ^ 1); }},
      {"wipe_after off", [](pb::KeyFile& k) { k.set_wipe_after(0); }},
  };
  for (bool mac_from_checksum : {false, true}) {
    for (const auto& [name, mutate] : fields) {
      AttackerRewrite(pristine, mutate, mac_from_checksum);
      auto r = Open(kPassphrase);
      ASSERT_FALSE(r.ok()) << name << " tampered, yet the store opened";
      EXPECT_EQ(r.status().code(), Code::kCorrupt) << name << ": " << r.status().ToString();
      EXPECT_NE(r.status().message().find("tampered"), std::string::npos) << r.status().message();
      EXPECT_EQ(ReadAll(failures_path()), counter) << name << " moved the failure counter";
    }
  }
  // A field this version does not know (number 99, varint 1), appended.
  AttackerRewrite(
      pristine, [](pb::KeyFile&) {}, false, std::string("\x98\x06\x01", 3));
  EXPECT_EQ(Open(kPassphrase).status().code(), Code::kCorrupt);
  // The magic, with the checksum fixed: another format number, and format 1's magic (whose
  // trailer layout differs).
  for (char last : {'3', '1'}) {
    auto bytes = pristine;
    bytes[7] = static_cast<std::uint8_t>(last);
    bytes.resize(bytes.size() - 32);
    crypto::Hash sum = crypto::Blake2b256(bytes);
    bytes.insert(bytes.end(), sum.begin(), sum.end());
    WriteAll(key_path(), bytes);
    EXPECT_EQ(Open(kPassphrase).status().code(), Code::kCorrupt) << last;
  }
  AttackerRewrite(pristine, [](pb::KeyFile& k) { k.set_store_id(Flip(k.store_id())); });
  EXPECT_EQ(Open(kPassphrase).status().code(), Code::kMissingSecret);
  EXPECT_EQ(ReadAll(failures_path()), counter);
  WriteAll(key_path(), pristine);
  auto ok = Open(kPassphrase);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(StoredFailures(), 0u) << "a successful unlock resets the count";
}

// A key file written by the previous version (format 1: header MAC over fields 1-5 only,
// unkeyed checksum) opens, and its first successful unlock rewrites it as format 2.
TEST_F(StoreUnlockTest, FormatOneKeyFileOpensAndIsRewrittenAsFormatTwo) {
  CreateWith(0);
  crypto::Bytes identity;
  {
    auto s = Open(kPassphrase);
    ASSERT_TRUE(s.ok());
    identity = (*s)->device().identity.public_key;
    ASSERT_TRUE(Exec((*s)->db(), "CREATE TABLE t(v); INSERT INTO t VALUES('kept')").ok());
  }
  {
    auto kf = internal::ParseKeyFile(ReadAll(key_path()));
    ASSERT_TRUE(kf.ok());
    crypto::SecretBytes secret = Secret(*kf);
    auto kek = internal::DeriveKek(kPassphrase, kf->header, secret);
    ASSERT_TRUE(kek.ok());
    auto master = internal::UnwrapMaster(*kf, *kek);
    ASSERT_TRUE(master.ok());
    auto material = internal::UnwrapBundle(*kf, *master);
    ASSERT_TRUE(material.ok());
    internal::KeyFileData v1 = *kf;
    v1.header.format = internal::kKeyFileFormatV1;
    internal::WrapMaster(v1, secret, *kek, *master);
    internal::WrapBundle(v1, *master, *material);
    WriteAll(key_path(), internal::EncodeKeyFileV1(v1));
  }
  ASSERT_EQ(std::memcmp(ReadAll(key_path()).data(), "PRLYKEY1", 8), 0);
  // Format 1's weakness, which format 2 closes: a wrong passphrase is all it can say.
  EXPECT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase);
  clock_.AdvanceMs(60'000);
  {
    auto s = Open(kPassphrase);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->device().identity.public_key, identity);
    auto rows = testutil::Query((*s)->db(), "SELECT v FROM t");
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(*rows, std::vector<std::string>{"kept"});
  }
  const auto upgraded = ReadAll(key_path());
  EXPECT_EQ(std::memcmp(upgraded.data(), "PRLYKEY2", 8), 0) << "rewritten as format 2";
  EXPECT_FALSE(env().FileExists(key_path() + ".tmp"));
  auto again = Open(kPassphrase);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->device().identity.public_key, identity);
}

TEST_F(StoreUnlockTest, DelayScheduleGrowsAndIsCapped) {
  EXPECT_EQ(internal::UnlockDelayMs(0), 0);
  EXPECT_EQ(internal::UnlockDelayMs(1), 0);
  EXPECT_EQ(internal::UnlockDelayMs(2), 0);
  EXPECT_EQ(internal::UnlockDelayMs(3), 1'000);
  EXPECT_EQ(internal::UnlockDelayMs(4), 2'000);
  EXPECT_EQ(internal::UnlockDelayMs(5), 4'000);
  EXPECT_EQ(internal::UnlockDelayMs(11), 256'000);
  EXPECT_EQ(internal::UnlockDelayMs(12), 300'000);
  EXPECT_EQ(internal::UnlockDelayMs(1'000'000), 300'000);
}

// Failures count, delays grow on the Env's clock, an early attempt is refused without trying
// the passphrase (even the right one), and the limit wipes the store.
TEST_F(StoreUnlockTest, FailedUnlocksAreDelayedThenWipeTheStore) {
  CreateWith(5);
  auto r = Open(kWrong);
  EXPECT_EQ(r.status().code(), Code::kWrongPassphrase);
  EXPECT_NE(r.status().message().find("1 failed unlock"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("wipes itself after 5"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase);  // 2: no delay yet
  r = Open(kWrong);                                                 // 3
  EXPECT_EQ(r.status().code(), Code::kWrongPassphrase);
  EXPECT_NE(r.status().message().find("wait 1 s"), std::string::npos) << r.status().message();
  EXPECT_EQ(StoredFailures(), 3u);

  r = Open(kPassphrase);  // too soon: refused, not tried, not counted
  EXPECT_EQ(r.status().code(), Code::kThrottled) << r.status().ToString();
  EXPECT_NE(r.status().message().find("wait 1 s"), std::string::npos) << r.status().message();
  EXPECT_EQ(StoredFailures(), 3u);
  clock_.AdvanceMs(999);
  EXPECT_EQ(Open(kWrong).status().code(), Code::kThrottled);
  clock_.AdvanceMs(1);
  EXPECT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase);  // 4
  clock_.AdvanceMs(1'000);
  r = Open(kWrong);
  EXPECT_EQ(r.status().code(), Code::kThrottled);
  EXPECT_NE(r.status().message().find("wait 1 s"), std::string::npos)
      << "2 s delay, 1 s gone: " << r.status().message();
  clock_.AdvanceMs(1'000);
  r = Open(kWrong);  // 5: the limit
  EXPECT_EQ(r.status().code(), Code::kWiped) << r.status().ToString();
  EXPECT_NE(r.status().message().find("wiped after 5 failed unlocks"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(Store::Exists(env(), data_dir()));
  EXPECT_TRUE(testutil::ListFilesRecursive(data_dir()).empty());
  EXPECT_TRUE(testutil::ListFilesRecursive(ks_dir()).empty())
      << "the key-store secret is erased too";
  EXPECT_EQ(Open(kPassphrase).status().code(), Code::kNotFound);
}

TEST_F(StoreUnlockTest, WithoutALimitFailuresOnlyDelay) {
  CreateWith(0);
  for (int i = 0; i < 8; ++i) {
    clock_.AdvanceMs(300'000);
    ASSERT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase) << i;
  }
  clock_.AdvanceMs(300'000);
  ASSERT_TRUE(Open(kPassphrase).ok());
  EXPECT_FALSE(env().FileExists(failures_path()));
  EXPECT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase) << "the count started again";
  EXPECT_EQ(StoredFailures(), 1u);
}

TEST_F(StoreUnlockTest, ClockSetBackWaitsTheDelayAgainNeverLonger) {
  CreateWith(0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase);
  clock_.SetUnixMs(clock_.NowUnixMs() - 86'400'000);
  auto r = Open(kPassphrase);
  EXPECT_EQ(r.status().code(), Code::kThrottled);
  EXPECT_NE(r.status().message().find("wait 1 s"), std::string::npos) << r.status().message();
}

TEST_F(StoreUnlockTest, EditedOrForeignCounterIsTamper) {
  CreateWith(3);
  ASSERT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase);
  const auto counter = ReadAll(failures_path());
  for (std::size_t i = 0; i < counter.size(); ++i) {
    auto edited = counter;
    edited[i] ^= 0x01;
    WriteAll(failures_path(), edited);
    auto r = Open(kPassphrase);
    ASSERT_EQ(r.status().code(), Code::kCorrupt) << "byte " << i << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("failed-unlock counter"), std::string::npos)
        << r.status().message();
  }
  // A count of zero written without the key-store secret: still tamper.
  auto zeroed = counter;
  zeroed[28] = 0;
  WriteAll(failures_path(), zeroed);
  EXPECT_EQ(Open(kPassphrase).status().code(), Code::kCorrupt);
  // Deleting it resets the count (documented: the counter guards the device, not copies).
  ASSERT_TRUE(env().RemoveFile(failures_path()).ok());
  EXPECT_TRUE(Open(kPassphrase).ok());
}

TEST_F(StoreUnlockTest, WipeAfterCanBeChangedAndIsKeptAuthenticated) {
  CreateWith(0);
  {
    auto s = Open(kPassphrase);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->wipe_after(), 0u);
    ASSERT_TRUE((*s)->SetWipeAfter(2).ok());
  }
  {
    auto s = Open(kPassphrase);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->wipe_after(), 2u);
  }
  EXPECT_EQ(Open(kWrong).status().code(), Code::kWrongPassphrase);
  EXPECT_EQ(Open(kWrong).status().code(), Code::kWiped);
  EXPECT_FALSE(Store::Exists(env(), data_dir()));
}

// Passphrase change: every record kept, the old passphrase stops working, the new one opens.
TEST_F(StoreUnlockTest, ChangePassphraseKeepsEveryRecord) {
  constexpr char kNext[] = "zebra cactus lantern harbour";
  CreateWith(0);
  crypto::Bytes master_wrap_before;
  {
    auto s = Open(kPassphrase);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(Exec((*s)->db(), "CREATE TABLE t(v); INSERT INTO t VALUES('one'),('two')").ok());
    VaultKeys v;
    v.vault_id = crypto::RandomBytes(32);
    v.name = "team";
    v.epochs.push_back(VaultKey{0, crypto::SecretBytes::Random(32)});
    ASSERT_TRUE((*s)->SetVault(std::move(v)).ok());
    EXPECT_EQ((*s)->ChangePassphrase(kWrong, kNext).code(), Code::kWrongPassphrase);
    auto weak = (*s)->ChangePassphrase(kPassphrase, "password123");
    EXPECT_EQ(weak.code(), Code::kInvalidArgument);
    EXPECT_NE(weak.message().find("11 characters"), std::string::npos) << weak.message();
    const auto before = ReadAll(key_path());
    ASSERT_TRUE((*s)->ChangePassphrase(kPassphrase, kNext).ok());
    EXPECT_NE(ReadAll(key_path()), before);
    // Still usable, and a second change from the new passphrase works in the same session.
    ASSERT_TRUE(Exec((*s)->db(), "INSERT INTO t VALUES('three')").ok());
  }
  EXPECT_FALSE(env().FileExists(key_path() + ".tmp"));
  EXPECT_EQ(Open(kPassphrase).status().code(), Code::kWrongPassphrase);
  auto s = Open(kNext);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto rows = testutil::Query((*s)->db(), "SELECT v FROM t ORDER BY rowid");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::vector<std::string>{"one", "two", "three"}));
  ASSERT_TRUE((*s)->vault().has_value());
  EXPECT_EQ((*s)->vault()->name, "team");
}

// The key file is replaced through Env::WriteFileAtomic: a write that fails (here, a full
// disk) leaves the old key file whole, and the old passphrase still opens the store.
TEST_F(StoreUnlockTest, FailedPassphraseChangeKeepsTheOldKeyFile) {
  CreateWith(0);
  const auto before = ReadAll(key_path());
  {
    auto s = Open(kPassphrase);
    ASSERT_TRUE(s.ok());
    fenv_.FailWritesAfter(0);
    Status st = (*s)->ChangePassphrase(kPassphrase, "zebra cactus lantern harbour");
    fenv_.ClearFaults();
    EXPECT_EQ(st.code(), Code::kDiskFull) << st.ToString();
  }
  EXPECT_EQ(ReadAll(key_path()), before);
  EXPECT_FALSE(env().FileExists(key_path() + ".tmp"));
  EXPECT_TRUE(Open(kPassphrase).ok());
}

TEST(PassphrasePolicy, FloorOfLengthAndEstimatedEntropy) {
  for (const char* good : {"correct horse battery staple", "test passphrase for alice",
                           "test passphrase for a", "zebra cactus lantern", "Tr0ub4dor&3x"}) {
    EXPECT_TRUE(CheckPassphraseStrength(good).ok())
        << good << ": " << CheckPassphraseStrength(good).message();
  }
  for (const char* weak :
       {"password123", "aaaaaaaaaaaa", "1234567890", "qwertyuiop", "x", "correct horse", ""}) {
    Status s = CheckPassphraseStrength(weak);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << weak;
  }
  Status s = CheckPassphraseStrength("x");
  EXPECT_NE(s.message().find("1 characters"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("bits"), std::string::npos) << s.message();
  const PassphraseEstimate e = EstimatePassphrase("correct horse battery staple");
  EXPECT_EQ(e.characters, 28u);
  EXPECT_GT(e.entropy_bits, 60.0);
  EXPECT_TRUE(e.acceptable);
  EXPECT_EQ(EstimatePassphrase("mañana mañana").characters, 13u) << "characters, not bytes";
}

}  // namespace
}  // namespace parley::store
