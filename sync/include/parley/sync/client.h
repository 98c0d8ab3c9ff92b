// The sync client: exchanges a device's changes with the relays it has pinned.
//
// One session per connection: a Connection to the relay's address opened through the
// Transport the client was given (platform/transport.h; TCP from PosixTransport(), or a
// phone host's own networking), Noise XK as initiator against
// the pinned static key, Authenticate (docs/wire-protocol.md), then in order
//   1. if this device founded the vault and the relay does not know it: RegisterVault;
//      if this device is an admin and the relay holds an older member set: SetMembership;
//   2. push every held change the relay has not acknowledged, oldest first, in frames under
//      the cap; each PushAck is recorded durably (change id -> relay sequence number);
//   3. pull from the relay's cursor in batches of a bounded byte budget; each batch goes
//      through Replica::Apply (which verifies everything) and the cursor moves only after
//      the batch is durable;
//   4. in watch mode: Subscribe, then pull on every Notify, push what arrived from other
//      relays or local edits (Wake()), Ping when idle; on any failure reconnect with
//      exponential backoff and jitter (backoff.h), resuming from the durable cursor.
// The client makes no network system call of its own: it reads and writes only through
// Connection::ReadSome/WriteSome, and waits in Poller::Poll on the connection's poll_fd()
// with its cancel and wake fds. Everything runs on the calling thread, except the receiving side of
// a pull: while a pull runs, a thread of the client's own sends the Pulls and receives the batches
// (the Poller is then called from that thread, never from two at once); the Store and Replica are
// only ever used from the calling thread. Cancel() (from any thread or a signal handler) stops it
// at the next wait; whatever was durable stays, and the next sync resumes from there
// (sync_state.h).
//
// Ownership: borrows the Store, Replica, SyncState, Poller and Transport (which must
// outlive it).
// Thread safety: one thread at a time, except Canceller::Cancel and SyncClient::Wake.
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/platform/env.h"
#include "parley/platform/transport.h"
#include "parley/sync/backoff.h"
#include "parley/sync/client_tuning.h"
#include "parley/sync/revocation.h"
#include "parley/sync/sync_options.h"
#include "parley/sync/sync_state.h"

namespace parley::sync {

// A self-pipe: Cancel() is async-signal-safe and wakes every wait of the client.
class Canceller {
 public:
  Canceller();
  ~Canceller();
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;
  void Cancel();  // async-signal-safe, idempotent
  bool cancelled() const;
  int fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

// A self-pipe that asks a watching client to push now: Wake() is async-signal-safe and may
// be called from any thread for as long as the Waker lives. A client borrows one (see
// SyncClient) when Wake() must stay safe across the client's own lifetime.
class Waker {
 public:
  Waker();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  void Wake();   // async-signal-safe
  void Drain();  // consumes every pending wake
  int fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

// Where the client waits: poll(2) and a clock. Tests substitute a fake clock that jumps
// ahead instead of sleeping (every timeout and backoff of the client goes through here).
class Poller {
 public:
  virtual ~Poller() = default;
  // Like poll(2), timeout in ms (-1: none). Returns the number of ready fds, 0 on timeout.
  virtual int Poll(pollfd* fds, nfds_t n, std::int64_t timeout_ms) = 0;
  virtual Clock& clock() = 0;
  // A random 64-bit number (for jitter).
  virtual std::uint64_t Random() = 0;
};
// poll(2), the given clock and libsodium's randomness.
std::unique_ptr<Poller> NewSystemPoller(Clock& clock);

// One of this device's changes a relay did not take.
struct RefusedChange {
  log::ChangeId id{};
  std::int32_t refusal = 0;      // a pb::Refusal value (wire.proto); REFUSAL_TOO_LARGE for one
                                 // over the relay's advertised size limit (never sent)
  std::uint64_t limit = 0;       // REFUSAL_TOO_LARGE: the relay's limit in bytes, when known
  std::string reason;            // the relay's own words (empty when it gave none)
  std::string Describe() const;  // "change <id prefix>: <reason>", for logs and tests
};

// What one sync with one relay moved.
// What a relay did that an honest relay never does, seen during one session.
enum class RelayFault {
  kRolledBack,  // its history went backwards: our cursor, or changes it acknowledged or served, are
                // gone
  kWithheld,    // a change known to exist (named by another change) was not served
  kForeignVault,  // it served a change of another vault
  kForged,        // it served a change whose signature, chain or body does not check
};
// "rolled_back", "withheld", "foreign_vault", "forged": stable, for JSON and logs.
std::string_view RelayFaultName(RelayFault fault);

struct RelayWarning {
  RelayFault fault;
  std::string detail;  // what was seen, in English (device keys abbreviated, no content)
};

struct SyncReport {
  std::string relay;             // its label
  std::uint64_t pushed = 0;      // changes the relay acknowledged (stored, or already held)
  std::uint64_t refused = 0;     // refused (the reasons are in `refusals`)
  std::uint64_t pulled = 0;      // new changes applied here
  std::uint64_t duplicates = 0;  // served but already held here
  std::uint64_t pending = 0;     // held back until their author is known to be a member
  std::uint64_t conflicts = 0;   // conflicted fields after the sync
  std::uint64_t head_seq = 0;
  std::uint64_t cursor = 0;
  bool registered_vault = false;
  bool published_members = false;
  std::vector<RefusedChange> refusals;
  std::vector<std::string> gaps;           // "device <hex>: changes a-b missing"
  std::vector<RelayWarning> relay_faults;  // misbehaviour of the relay seen in this session
  std::uint64_t resent = 0;                // changes pushed again because the relay had lost them
  std::uint64_t quarantined =
      0;  // authenticated changes whose bodies do not open: kept, never applied
  std::uint64_t set_aside =
      0;                       // own changes set aside: this device was restored from an older copy
  std::uint64_t reissued = 0;  // own set-aside changes written again as new changes and pushed
  std::uint64_t slots_redacted = 0;  // purged records' key slots the relay confirmed dropping
};

// A key envelope a relay holds for this device, and the vault it was stored under.
struct KeyEnvelope {
  crypto::Bytes vault;
  crypto::Bytes sealed;
};

// Events of a watching client, for progress output (called on the client's thread).
struct WatchObserver {
  std::function<void(const SyncReport&)> synced;  // after each exchange that moved something
  std::function<void(const std::string& relay, const Status&, std::int64_t retry_ms)> disconnected;
  std::function<void(const std::string& relay)> connected;
  // Optional: asked at the start of every pass of the loop with the poller's time (ms). A
  // non-OK status ends the watch, which returns it; a time it leaves in `*recheck_at_ms`
  // (poller ms; -1: none) bounds the next wait, so that it is asked again by then.
  std::function<Status(std::int64_t now_ms, std::int64_t* recheck_at_ms)> check;
};

class SyncClient {
 public:
  // Connections are opened through `transport` (usually env.transport()); the connect
  // itself waits in the Transport (at most options.connect_timeout_ms, on its own clock),
  // every later wait in `poller`. Wake() goes to `waker` when given (it must outlive the
  // client), else to a Waker of the client's own.
  SyncClient(store::Store& store, log::Replica& replica, SyncState& state, Poller& poller,
             Transport& transport, SyncOptions options = {}, Waker* waker = nullptr);
  ~SyncClient();

  // One session with `relay`: connect, authenticate, register/publish, push, pull, close.
  // Code::kUnavailable when the relay cannot be reached or the connection drops (nothing
  // lost; run again), kCancelled when cancelled, kPermissionDenied when the relay refuses
  // this device, kCorrupt when a served change fails verification (nothing applied).
  // A relay that says this device was revoked (ERROR_REVOKED, at authentication or on any
  // request) fails the session with kPermissionDenied ("this device was revoked from the
  // vault (relay says so; ...)") and leaves its proof in last_revocation().
  Result<SyncReport> SyncOnce(std::int64_t relay, Canceller* cancel = nullptr);

  // Stays connected to every given relay until cancelled (returns OK then), reconnecting
  // with backoff. A permanent refusal (not a member, bad key) is reported through the
  // observer and retried at the backoff cap. A relay that says this device was revoked is
  // not retried: the observer's `disconnected` gets the kPermissionDenied status with
  // retry_ms -1, and Watch returns that status at once (for every relay: the caller
  // checks last_revocation() with CheckRevocationNotice and decides; it may watch again
  // without that relay when the notice is not proven).
  Status Watch(const std::vector<std::int64_t>& relays, Canceller& cancel,
               const WatchObserver& observer = {});

  // What the relay said when it last answered ERROR_REVOKED in the current (or last)
  // session: the signed list it gave as proof, verbatim, and its label. Cleared when
  // SyncOnce, Watch, PutEnvelope, GetEnvelopes or ListEnvelopes starts; empty when no
  // relay said so. Unverified: see CheckRevocationNotice (revocation.h). The reference is
  // valid until the next such call.
  const std::optional<RevocationNotice>& last_revocation() const;

  // Asks a watching client to push local changes now (thread-safe, async-signal-safe).
  void Wake();

  // Enrollment through a relay. On an admin device: makes sure the relay knows the vault
  // and its current members, then stores `sealed` for `recipient` (identity key).
  Status PutEnvelope(std::int64_t relay, crypto::ByteView recipient, crypto::ByteView sealed,
                     Canceller* cancel = nullptr);
  // On an invited device: the envelopes the relay holds for this device in `vault`.
  // Code::kPermissionDenied when the relay does not list this device as a member of it.
  Result<std::vector<crypto::Bytes>> GetEnvelopes(std::int64_t relay, crypto::ByteView vault,
                                                  Canceller* cancel = nullptr);
  // On an invited device that does not know the vault id: the envelopes the relay holds
  // for this device in every vault whose member list holds it (as many as fit one frame;
  // docs/wire-protocol.md). Nothing here is opened or verified: the envelopes are sealed to
  // this device and the caller opens them. Code::kUnsupported when the relay predates
  // listing across vaults.
  Result<std::vector<KeyEnvelope>> ListEnvelopes(std::int64_t relay, Canceller* cancel = nullptr);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::sync
