// The state behind a Device (parley/device.h), shared by its implementation files:
// device.cc (lifecycle, records, bundles), device_sync.cc (relays, sync, status),
// device_enrol.cc (invite and join) and device_members.cc (members, roles, revocation and
// the lost-device wipe).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parley/core/store.h"
#include "parley/device.h"
#include "parley/sync/client.h"
#include "parley/sync/sync_state.h"

namespace parley {

struct Device::Impl {
  explicit Impl(DeviceOptions o) : options(std::move(o)), env(*options.env), key_store(*options.key_store) {}

  DeviceOptions options;
  Env& env;
  KeyStore& key_store;

  // Where Wake() writes, from any thread: it lives as long as the Device, so a Wake() racing
  // with the owner thread opening or closing the sync client never touches the client. Every
  // client of this device borrows it (declared first: it outlives them).
  sync::Waker waker;
  // Set by Wake() (any thread, async-signal-safe): local activity for Watch's lock timeout.
  std::atomic<bool> woken{false};

  // Open while unlocked; destroyed in reverse order by Close().
  std::unique_ptr<store::Store> store;
  std::unique_ptr<log::Replica> replica;
  std::unique_ptr<model::Model> model;
  // Opened on first use by a relay call (OpenSync()).
  std::unique_ptr<sync::SyncState> state;
  std::unique_ptr<sync::Poller> poller;
  std::unique_ptr<sync::SyncClient> client;

  EventHandler handler;
  // Set when this device destroyed itself because the vault revoked it.
  std::optional<Revocation> revoked;
  std::optional<std::uint64_t> conflicts;  // last count announced through the handler

  // The canceller of the running (or next) Sync/Watch. A used one is replaced at the start
  // of the next call and kept until the Device goes away, so that CancelSync() from another
  // thread never touches a destroyed one.
  std::vector<std::unique_ptr<sync::Canceller>> cancellers;
  std::atomic<sync::Canceller*> cancel{nullptr};

  Status RequireUnlocked() const;
  Status OpenSync();
  sync::Canceller& FreshCanceller();
  void Close();
  // Close(), then checkpoints, closes and zeroes the store. Idempotent.
  Status LockStore();
  // When the changes held here revoke this device (Replica::Revoked()): WipeRevoked with
  // what the member list says about who revoked it. OK otherwise (and when locked).
  Status CheckRevoked();
  // When the last session's relay answered ERROR_REVOKED with a notice that proves this
  // device's revocation (sync::CheckRevocationNotice: signed by an admin this device knows,
  // for its vault): WipeRevoked. A notice that does not prove it changes nothing (OK).
  // `*unproven` (when not null) receives, for a notice that does not prove it, a status that
  // says so for people.
  Status CheckRelayNotice(Status* unproven = nullptr);
  // The lost-device wipe: destroys the keys and the store (as Device::Wipe), remembers
  // `why`, emits kRevokedAndWiped and returns the kPermissionDenied every call that heard of
  // the revocation returns. The one place a revocation, however learned, ends this device.
  Status WipeRevoked(const Revocation& why);
  void Emit(const DeviceEvent& event);
  // Announces kConflictsChanged when the number of conflicted fields moved to `now`.
  void NoteConflicts(std::uint64_t now);
  // The pinned relays; kNotFound when there is none.
  Result<std::vector<sync::RelayRecord>> PinnedRelays();
  // kChangesArrived and kConflictsChanged for what one exchange did.
  void NoteExchange(const sync::SyncReport& report);
  // One relay's report, as data; gaps from the replica.
  Result<RelaySyncResult> ToResult(const sync::SyncReport& report);
  Result<std::vector<Gap>> Gaps();
  static RelayInfo ToInfo(const sync::RelayRecord& r);
};

// Domain::kSync errors of the device.
inline Status DeviceError(Code code, std::string message) { return Error(Domain::kSync, code, std::move(message)); }

}  // namespace parley
