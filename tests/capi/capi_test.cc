// The C ABI (parley.h) through libparley.so: error paths (NULL arguments, wrong passphrase,
// locked device, bad JSON, re-entry from a callback), ownership of what it returns, and the
// host hooks of docs/c-api.md (stop within a deadline and resume, connectivity), against
// real parley-relay processes on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "parley/core/crypto.h"
#include "parley/parley.h"
#include "support/relay_process.h"
#include "support/tcp_proxy.h"
#include "support/temp_dir.h"

namespace {

using Json = nlohmann::json;
using parley::testing::RelayProcess;
using parley::testing::TcpProxy;
using parley::testing::TempDir;

constexpr const char* kPass = "correct horse battery staple orbit";

// A library-allocated string, freed with parley_free.
struct Owned {
  char* p = nullptr;
  std::size_t len = 0;
  ~Owned() { parley_free(p); }
  Json json() const { return Json::parse(std::string(p, len)); }
};

// Events of one device, waited for.
struct Events {
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t arrived = 0;
  int connected = 0;
  int disconnected = 0;
  int waiting_network = 0;
  int busy_from_callback = 0;
  parley_device* device = nullptr;
  bool reenter = false;

  static void Handler(void* ctx, const parley_event* e) {
    auto* ev = static_cast<Events*>(ctx);
    if (ev->reenter) {
      // A call on the same device from its own callback is refused, never deadlocks.
      parley_error err;
      char* out = nullptr;
      if (parley_record_list(ev->device, "{\"type\":\"note\"}", PARLEY_NUL_TERMINATED, &out,
                             nullptr, &err) == PARLEY_BUSY &&
          out == nullptr && err.domain == PARLEY_DOMAIN_API) {
        std::lock_guard<std::mutex> lock(ev->mu);
        ev->busy_from_callback++;
      }
    }
    std::lock_guard<std::mutex> lock(ev->mu);
    if (e->kind == PARLEY_EVENT_CHANGES_ARRIVED) ev->arrived += e->count;
    if (e->kind == PARLEY_EVENT_CONNECTED) ev->connected++;
    if (e->kind == PARLEY_EVENT_DISCONNECTED) ev->disconnected++;
    if (e->kind == PARLEY_EVENT_SYNC_STATE && e->sync_state == PARLEY_SYNC_WAITING_NETWORK)
      ev->waiting_network++;
    ev->cv.notify_all();
  }
  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(60), pred);
  }
};

class CapiTest : public ::testing::Test {
 protected:
  // A device in dir_/name with a file key store in dir_/name-keys; created when `create`.
  parley_device* Open(const std::string& name, parley_error* err = nullptr) {
    parley_open_options o;
    parley_open_options_init(&o);
    const std::string keys = dir_.Sub(name + "-keys");
    o.key_store_dir = keys.c_str();
    o.key_store_dir_len = keys.size();
    o.backoff_base_ms = 20;
    o.backoff_cap_ms = 200;
    parley_device* d = nullptr;
    parley_error local;
    const std::string data = dir_.Sub(name);
    EXPECT_EQ(parley_device_open(data.c_str(), data.size(), &o, &d, err ? err : &local), PARLEY_OK);
    opened_.push_back(d);
    return d;
  }
  parley_device* Make(const std::string& name, const std::string& vault) {
    parley_device* d = Open(name);
    parley_create_options c;
    parley_create_options_init(&c);
    c.argon2_ops = 2;
    c.argon2_mem_bytes = 19u << 20;
    c.issue_recovery_key = 0;
    parley_error err;
    EXPECT_EQ(parley_device_create(d, name.c_str(), name.size(), vault.c_str(), vault.size(), kPass,
                                   PARLEY_NUL_TERMINATED, &c, &err),
              PARLEY_OK)
        << err.message;
    return d;
  }
  void TearDown() override {
    for (auto* d : opened_) parley_device_free(d);
  }
  static std::string Create(parley_device* d, const Json& request) {
    Owned out;
    parley_error err;
    const std::string text = request.dump();
    EXPECT_EQ(parley_record_create(d, text.data(), text.size(), &out.p, &out.len, &err), PARLEY_OK)
        << err.message;
    return out.p ? out.json()["id"].get<std::string>() : std::string();
  }
  static std::uint64_t NoteCount(parley_device* d) {
    Owned out;
    parley_error err;
    EXPECT_EQ(parley_record_list(d, "{\"type\":\"note\",\"limit\":1}", PARLEY_NUL_TERMINATED,
                                 &out.p, &out.len, &err),
              PARLEY_OK)
        << err.message;
    return out.p ? out.json()["total"].get<std::uint64_t>() : 0;
  }

  TempDir dir_;
  std::vector<parley_device*> opened_;
};

TEST_F(CapiTest, NullArgumentsAreErrorsNotCrashes) {
  parley_error err;
  parley_device* d = reinterpret_cast<parley_device*>(0x1);
  EXPECT_EQ(parley_device_open(nullptr, 0, nullptr, &d, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(d, nullptr);
  EXPECT_EQ(err.domain, PARLEY_DOMAIN_API);
  EXPECT_STRNE(err.message, "");
  EXPECT_EQ(parley_device_open("x", 1, nullptr, nullptr, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(parley_device_open(nullptr, 5, nullptr, &d, &err), PARLEY_INVALID_ARGUMENT);
  char* out = reinterpret_cast<char*>(0x1);
  std::size_t len = 99;
  EXPECT_EQ(parley_device_name(nullptr, &out, &len, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(parley_sync(nullptr, nullptr, nullptr, nullptr),
            PARLEY_INVALID_ARGUMENT);  // error may be NULL
  EXPECT_EQ(parley_sync_start(nullptr, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(parley_sync_stop(nullptr, 0, nullptr, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(parley_set_event_handler(nullptr, nullptr, nullptr, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(parley_device_is_unlocked(nullptr), 0);
  EXPECT_EQ(parley_sync_state(nullptr), PARLEY_SYNC_STOPPED);
  parley_network_changed(nullptr, 1);
  parley_wake(nullptr);
  parley_device_free(nullptr);
  parley_free(nullptr);
  EXPECT_STREQ(parley_code_name(PARLEY_LOCKED), "locked");
  EXPECT_STREQ(parley_code_name(12345), "unknown");
  EXPECT_STREQ(parley_domain_name(PARLEY_DOMAIN_STORE), "store");

  parley_device* dev = Make("a", "vault");
  // A NULL pointer with a length is refused; NULL with length 0 is the empty string.
  EXPECT_EQ(parley_record_create(dev, nullptr, 3, &out, nullptr, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(parley_record_create(dev, nullptr, 0, &out, nullptr, &err), PARLEY_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("JSON"), std::string::npos) << err.message;
  // Results may be dropped: out pointers may be NULL.
  EXPECT_EQ(parley_vault_info(dev, nullptr, nullptr, &err), PARLEY_OK);
  EXPECT_EQ(err.code, PARLEY_OK);
  EXPECT_STREQ(err.message, "");
}

TEST_F(CapiTest, WrongPassphraseLockedAndUnlock) {
  parley_device* dev = Make("a", "vault");
  parley_error err;
  EXPECT_EQ(parley_device_is_unlocked(dev), 1);
  Owned name;
  ASSERT_EQ(parley_device_name(dev, &name.p, &name.len, &err), PARLEY_OK);
  EXPECT_EQ(std::string(name.p, name.len), "a");
  EXPECT_EQ(name.p[name.len], '\0');
  ASSERT_EQ(parley_device_lock(dev, &err), PARLEY_OK);
  ASSERT_EQ(parley_device_lock(dev, &err), PARLEY_OK);  // idempotent
  char* out = nullptr;
  EXPECT_EQ(parley_device_name(dev, &out, nullptr, &err), PARLEY_LOCKED);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(parley_sync_start(dev, &err), PARLEY_LOCKED);
  EXPECT_EQ(parley_device_unlock(dev, "wrong wrong wrong wrong", PARLEY_NUL_TERMINATED, &err),
            PARLEY_WRONG_PASSPHRASE);
  EXPECT_EQ(err.domain, PARLEY_DOMAIN_STORE);
  EXPECT_EQ(parley_device_unlock(dev, kPass, PARLEY_NUL_TERMINATED, &err), PARLEY_OK);
  EXPECT_EQ(parley_device_is_unlocked(dev), 1);
  // A weak passphrase is refused at create, with the reason.
  parley_device* weak = Open("weak");
  EXPECT_EQ(parley_device_create(weak, "w", 1, nullptr, 0, "abc", 3, nullptr, &err),
            PARLEY_INVALID_ARGUMENT);
  EXPECT_NE(err.message[0], '\0');
  // A second create over the store is refused.
  EXPECT_EQ(
      parley_device_create(dev, "a", 1, nullptr, 0, kPass, PARLEY_NUL_TERMINATED, nullptr, &err),
      PARLEY_ALREADY_EXISTS);
  // Wipe: nothing left, the handle stays usable (and locked).
  const std::string data = dir_.Sub("a");
  ASSERT_EQ(parley_device_wipe(dev, &err), PARLEY_OK) << err.message;
  EXPECT_EQ(parley_store_exists(data.c_str(), data.size()), 0);
  EXPECT_EQ(parley_device_unlock(dev, kPass, PARLEY_NUL_TERMINATED, &err), PARLEY_NOT_FOUND);
}

TEST_F(CapiTest, BadJsonAndBadValuesLoseNothing) {
  parley_device* dev = Make("a", "vault");
  parley_error err;
  char* out = nullptr;
  for (const char* bad : {"{", "[]", "\"note\"", "{\"type\":7}", "{\"fields\":{}}",
                          "{\"type\":\"spaceship\",\"fields\":{}}",
                          "{\"type\":\"note\",\"fields\":{\"text\":\"x\"}}"}) {
    EXPECT_EQ(parley_record_create(dev, bad, PARLEY_NUL_TERMINATED, &out, nullptr, &err),
              PARLEY_INVALID_ARGUMENT)
        << bad;
    EXPECT_EQ(out, nullptr);
    EXPECT_NE(err.message[0], '\0') << bad;
  }
  const std::string neg = Create(dev, {{"type", "negotiation"}, {"fields", {{"buyer", "Acme"}}}});
  ASSERT_EQ(neg.size(), 32u);
  // A value the model refuses: its domain and message pass through.
  const Json bad_date = {
      {"type", "session"}, {"negotiation", neg}, {"fields", {{"date", "2025-02-30"}}}};
  EXPECT_EQ(parley_record_create(dev, bad_date.dump().c_str(), PARLEY_NUL_TERMINATED, &out, nullptr,
                                 &err),
            PARLEY_INVALID_ARGUMENT);
  EXPECT_EQ(err.domain, PARLEY_DOMAIN_MODEL);
  // An unknown record.
  EXPECT_EQ(parley_record_show(dev, "0123456789abcdef0123456789abcdef", PARLEY_NUL_TERMINATED,
                               nullptr, 0, &out, nullptr, &err),
            PARLEY_NOT_FOUND);
  EXPECT_EQ(parley_conflict_resolve(dev, "{\"record\":\"x\"}", PARLEY_NUL_TERMINATED, &err),
            PARLEY_INVALID_ARGUMENT);
  // Nothing was written by any of these.
  Owned list;
  ASSERT_EQ(parley_record_list(dev, "{\"type\":\"session\"}", PARLEY_NUL_TERMINATED, &list.p,
                               &list.len, &err),
            PARLEY_OK);
  EXPECT_EQ(list.json()["total"], 0);
  EXPECT_EQ(std::strlen(list.p), list.len);
}

TEST_F(CapiTest, ModelThroughJson) {
  parley_device* dev = Make("a", "vault");
  parley_error err;
  const std::string neg =
      Create(dev, {{"type", "negotiation"}, {"fields", {{"buyer", "Acme"}, {"title", "2026"}}}});
  const std::string party = Create(dev, {{"type", "party"},
                                         {"negotiation", neg},
                                         {"fields", {{"role", "buyer"}, {"name", "Acme Foods"}}}});
  const std::string commitment =
      Create(dev, {{"type", "commitment"},
                   {"negotiation", neg.substr(0, 8)},  // a prefix is enough
                   {"fields",
                    {{"kind", "price premium"},
                     {"text", "a penny per pound"},
                     {"amount", "0.01 USD/lb"},
                     {"by", "Acme Foods"}}}});
  const std::string element =
      Create(dev, {{"type", "bottomline_element"},
                   {"negotiation", neg},
                   {"fields",
                    {{"element", "financial_support"},
                     {"covered_by", Json::array({commitment})},
                     {"forms", Json::array({"price_premium>=0.01 USD/lb"})}}}});
  for (int i = 0; i < 5; ++i) {
    Create(dev, {{"type", "note"},
                 {"negotiation", neg},
                 {"fields", {{"text", "harvest note " + std::to_string(i)}}}});
  }
  Owned page;
  ASSERT_EQ(parley_record_list(dev, "{\"type\":\"note\",\"limit\":2,\"offset\":1}",
                               PARLEY_NUL_TERMINATED, &page.p, &page.len, &err),
            PARLEY_OK);
  EXPECT_EQ(page.json()["total"], 5);
  ASSERT_EQ(page.json()["records"].size(), 2u);
  EXPECT_EQ(page.json()["records"][0]["fields"]["text"], "harvest note 1");
  Owned hits;
  ASSERT_EQ(
      parley_search(dev, "{\"query\":\"harv\"}", PARLEY_NUL_TERMINATED, &hits.p, &hits.len, &err),
      PARLEY_OK)
      << err.message;
  EXPECT_EQ(hits.json()["hits"].size(), 5u);
  Owned report;
  ASSERT_EQ(parley_bottom_line(dev, neg.c_str(), neg.size(), &report.p, &report.len, &err),
            PARLEY_OK);
  EXPECT_EQ(report.json()["verdict"], "walk_away");  // the commitment is only proposed
  const Json edit = {{"id", commitment}, {"fields", {{"status", "signed"}}}};
  Owned written;
  ASSERT_EQ(parley_record_edit(dev, edit.dump().c_str(), PARLEY_NUL_TERMINATED, &written.p,
                               &written.len, &err),
            PARLEY_OK)
      << err.message;
  EXPECT_EQ(written.json()["written"], Json::array({"status"}));
  Owned after;
  ASSERT_EQ(parley_bottom_line(dev, neg.c_str(), neg.size(), &after.p, &after.len, &err),
            PARLEY_OK);
  EXPECT_EQ(after.json()["verdict"], "meets");
  EXPECT_EQ(after.json()["elements"][0]["id"], element);
  Owned show;
  ASSERT_EQ(parley_record_show(dev, commitment.c_str(), commitment.size(), nullptr, 0, &show.p,
                               &show.len, &err),
            PARLEY_OK);
  EXPECT_EQ(show.json()["type"], "commitment");
  EXPECT_EQ(show.json()["status_history"].size(), 2u);
  Owned history;
  ASSERT_EQ(parley_record_history(dev, commitment.c_str(), commitment.size(), &history.p,
                                  &history.len, &err),
            PARLEY_OK);
  EXPECT_GE(history.json()["history"].size(), 2u);
  Owned warning;
  ASSERT_EQ(parley_campaign_status_set(dev, neg.c_str(), neg.size(), "ended", 5, &warning.p,
                                       &warning.len, &err),
            PARLEY_OK);
  EXPECT_EQ(warning.json()["warning"], "none");  // a signed commitment
  Owned deleted;
  ASSERT_EQ(parley_record_delete(dev, party.c_str(), party.size(), "party", 5, &deleted.p,
                                 &deleted.len, &err),
            PARLEY_OK);
  EXPECT_EQ(deleted.json()["deleted"], 1);
  // A bundle round trip to a new device is refused without membership, but export works.
  const std::string bundle = dir_.Sub("all.parley");
  Owned summary;
  ASSERT_EQ(parley_bundle_export(dev, bundle.c_str(), bundle.size(), nullptr, 0, &summary.p,
                                 &summary.len, &err),
            PARLEY_OK)
      << err.message;
  EXPECT_GT(summary.json()["changes"].get<int>(), 0);
  Owned state;
  ASSERT_EQ(parley_bundle_state(dev, &state.p, &state.len, &err), PARLEY_OK);
  EXPECT_EQ(std::string(state.p, state.len).rfind("parley-state:", 0), 0u);
  Owned imported;
  ASSERT_EQ(
      parley_bundle_import(dev, bundle.c_str(), bundle.size(), &imported.p, &imported.len, &err),
      PARLEY_OK)
      << err.message;
  EXPECT_EQ(imported.json()["applied"], 0);  // everything already held
}

// Two devices of one vault over a real relay; the reader reaches it through a proxy that
// counts bytes (and can refuse connections).
class CapiSyncTest : public CapiTest {
 protected:
  void SetUp() override {
    // This program's own copy of the crypto layer reads the relay key (libparley has its own).
    ASSERT_TRUE(parley::crypto::InitCrypto().ok());
    relay_ = std::make_unique<RelayProcess>(dir_.Sub("relay"));
    ASSERT_TRUE(relay_->Start().ok());
    proxy_ = std::make_unique<TcpProxy>(relay_->port());
    ASSERT_TRUE(proxy_->status().ok());
    writer_ = Make("writer", "vault");
    reader_ = Make("reader", "");
    parley_error err;
    const std::string direct = relay_->PairingCode(relay_->port());
    const std::string proxied = relay_->PairingCode(proxy_->port());
    ASSERT_EQ(parley_relay_add(writer_, direct.c_str(), direct.size(), nullptr, nullptr, &err),
              PARLEY_OK);
    ASSERT_EQ(parley_relay_add(reader_, proxied.c_str(), proxied.size(), nullptr, nullptr, &err),
              PARLEY_OK);
    Owned code;
    ASSERT_EQ(parley_pairing_code(reader_, &code.p, &code.len, &err), PARLEY_OK);
    std::uint8_t* invite = nullptr;
    std::size_t invite_len = 0;
    ASSERT_EQ(
        parley_invite(writer_, code.p, code.len, &invite, &invite_len, nullptr, nullptr, &err),
        PARLEY_OK)
        << err.message;
    Owned joined;
    // The invite's bytes handed over directly: no sync yet.
    ASSERT_EQ(parley_join_with_invite(reader_, invite, invite_len, &joined.p, &joined.len, &err),
              PARLEY_OK)
        << err.message;
    parley_free(invite);
    EXPECT_EQ(joined.json()["vault"]["name"], "vault");
    neg_ = Create(writer_, {{"type", "negotiation"}, {"fields", {{"buyer", "Acme"}}}});
  }
  void Sync(parley_device* d, Json* result = nullptr) {
    Owned out;
    parley_error err;
    ASSERT_EQ(parley_sync(d, &out.p, &out.len, &err), PARLEY_OK) << err.message;
    if (result != nullptr) *result = out.json();
  }

  std::unique_ptr<RelayProcess> relay_;
  std::unique_ptr<TcpProxy> proxy_;
  parley_device* writer_ = nullptr;
  parley_device* reader_ = nullptr;
  std::string neg_;
};

// A sync stopped in the middle of a pull returns within its deadline; what it applied stays
// applied, and the next sync resumes from there: nothing applied twice, everything arrives.
TEST_F(CapiSyncTest, StopMidPullThenResume) {
  constexpr int kNotes = 1500;
  const std::string text(3000, 'x');
  for (int i = 0; i < kNotes; ++i) {
    Create(writer_, {{"type", "note"},
                     {"negotiation", neg_},
                     {"fields", {{"text", std::to_string(i) + text}}}});
  }
  Sync(writer_);
  const std::uint64_t total_bytes = static_cast<std::uint64_t>(kNotes) * text.size();

  std::atomic<int> rc{-1};
  std::thread pull([&] {
    parley_error err;
    rc = parley_sync(reader_, nullptr, nullptr, &err);
  });
  // Wait until about half of the notes' bytes came through the proxy, then stop.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (proxy_->downstream_bytes() < total_bytes / 2 && rc.load() == -1 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int stopped = 0;
  parley_error err;
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_EQ(parley_sync_stop(reader_, 5000, &stopped, &err), PARLEY_OK);
  const auto took = std::chrono::steady_clock::now() - asked;
  pull.join();
  EXPECT_EQ(stopped, 1);
  EXPECT_LT(took, std::chrono::milliseconds(5000));
  ASSERT_EQ(rc.load(), PARLEY_CANCELLED)
      << "the pull ended before it was stopped: make the workload larger";
  const std::uint64_t before = NoteCount(reader_);
  std::printf("stopped with %llu of %d notes applied\n", static_cast<unsigned long long>(before),
              kNotes);
  EXPECT_GT(before, 0u) << "nothing was applied before the stop";
  EXPECT_LT(before, static_cast<std::uint64_t>(kNotes));

  Json resumed;
  Sync(reader_, &resumed);
  EXPECT_EQ(resumed["relays"][0]["duplicates"], 0) << resumed.dump();
  EXPECT_EQ(NoteCount(reader_), static_cast<std::uint64_t>(kNotes));
  // Every note that arrived after the stop came in the resumed sync, and only those.
  EXPECT_EQ(resumed["relays"][0]["pulled"].get<std::uint64_t>(), kNotes - before) << resumed.dump();
}

TEST_F(CapiSyncTest, BackgroundSyncFollowsConnectivity) {
  Events ev;
  ev.device = reader_;
  parley_error err;
  ASSERT_EQ(parley_set_event_handler(reader_, &Events::Handler, &ev, &err), PARLEY_OK);
  // However the test ends, the background sync stops and lets go of `ev` before it goes.
  struct StopFirst {
    parley_device* device;
    ~StopFirst() {
      int stopped = 0;
      parley_error e;
      parley_sync_stop(device, 10000, &stopped, &e);
      parley_set_event_handler(device, nullptr, nullptr, &e);
    }
  } stop_first{reader_};
  // Offline before it starts: it waits for the network and makes no connection.
  parley_network_changed(reader_, 0);
  ASSERT_EQ(parley_sync_start(reader_, &err), PARLEY_OK);
  ASSERT_TRUE(ev.WaitFor([&] { return ev.waiting_network > 0; }));
  EXPECT_EQ(parley_sync_state(reader_), PARLEY_SYNC_WAITING_NETWORK);
  EXPECT_EQ(proxy_->connections(), 0u);
  // The network returns: it connects at once and receives what the writer pushes.
  parley_network_changed(reader_, 1);
  ASSERT_TRUE(ev.WaitFor([&] { return ev.connected > 0; }));
  EXPECT_EQ(proxy_->connections(), 1u);
  Create(writer_, {{"type", "note"}, {"negotiation", neg_}, {"fields", {{"text", "hello"}}}});
  Sync(writer_);
  ASSERT_TRUE(ev.WaitFor([&] { return ev.arrived >= 2; }));  // the negotiation and the note
  // A call from another thread pauses the watch, runs, and the watch resumes.
  EXPECT_EQ(NoteCount(reader_), 1u);
  ASSERT_TRUE(ev.WaitFor([&] { return ev.connected >= 2; }));
  // The relay goes away: disconnections with a retry delay, then back.
  proxy_->set_backend(0);
  Create(writer_, {{"type", "note"}, {"negotiation", neg_}, {"fields", {{"text", "later"}}}});
  Sync(writer_);
  parley_network_changed(reader_, 0);
  parley_network_changed(reader_, 1);
  ASSERT_TRUE(ev.WaitFor([&] { return ev.disconnected > 0; }));
  proxy_->set_backend(relay_->port());
  ASSERT_TRUE(ev.WaitFor([&] { return ev.arrived >= 3; }));
  // Re-entry from the event handler is refused with PARLEY_BUSY.
  {
    std::lock_guard<std::mutex> lock(ev.mu);
    ev.reenter = true;
  }
  Create(writer_, {{"type", "note"}, {"negotiation", neg_}, {"fields", {{"text", "third"}}}});
  Sync(writer_);
  ASSERT_TRUE(ev.WaitFor([&] { return ev.arrived >= 4 && ev.busy_from_callback > 0; }))
      << "arrived " << ev.arrived << ", busy " << ev.busy_from_callback << ", connected "
      << ev.connected << ", disconnected " << ev.disconnected << ", state "
      << parley_sync_state(reader_);
  int stopped = 0;
  ASSERT_EQ(parley_sync_stop(reader_, 5000, &stopped, &err), PARLEY_OK);
  EXPECT_EQ(stopped, 1);
  EXPECT_EQ(parley_sync_state(reader_), PARLEY_SYNC_STOPPED);
  // It can start again.
  ASSERT_EQ(parley_sync_start(reader_, &err), PARLEY_OK);
  ASSERT_EQ(parley_sync_stop(reader_, 5000, &stopped, &err), PARLEY_OK);
  EXPECT_EQ(stopped, 1);
  ASSERT_EQ(parley_set_event_handler(reader_, nullptr, nullptr, &err), PARLEY_OK);
}

TEST_F(CapiSyncTest, StopWithoutSyncReturnsAtOnce) {
  int stopped = 0;
  parley_error err;
  ASSERT_EQ(parley_sync_stop(reader_, 0, &stopped, &err), PARLEY_OK);
  EXPECT_EQ(stopped, 1);
  Owned status;
  ASSERT_EQ(parley_status(writer_, &status.p, &status.len, &err), PARLEY_OK);
  EXPECT_EQ(status.json()["sync_state"], PARLEY_SYNC_STOPPED);
  EXPECT_EQ(status.json()["vault"]["name"], "vault");
  Owned relays;
  ASSERT_EQ(parley_relay_list(writer_, &relays.p, &relays.len, &err), PARLEY_OK);
  ASSERT_EQ(relays.json()["relays"].size(), 1u);
  const std::string label = relays.json()["relays"][0]["label"];
  Owned removed;
  ASSERT_EQ(
      parley_relay_remove(writer_, label.c_str(), label.size(), &removed.p, &removed.len, &err),
      PARLEY_OK);
  EXPECT_EQ(parley_sync(writer_, nullptr, nullptr, &err), PARLEY_NOT_FOUND);
}

}  // namespace
