// The state behind a Device (parley/device.h), shared by its implementation files:
// device.cc (lifecycle, records, bundles), device_sync.cc (relays, sync, status),
// device_enrol.cc (invite and join) and device_members.cc (members, roles, revocation and
// the lost-device wipe).
#pragma once

#include <algorithm>
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
  explicit Impl(DeviceOptions o)
      : options(std::move(o)), env(*options.env), key_store(*options.key_store) {}

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
  // The text of the recovery key issued last by this object, until TakeRecoveryKey() or
  // Lock() (docs/recovery.md). Never written anywhere.
  std::string issued_recovery_key;
  // Whether creating a vault issues a recovery key (CreateOptions::issue_recovery_key).
  bool issue_recovery_key = true;

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

  // ---- Recovery (device_recovery.cc, docs/recovery.md) ----
  // On an admin device: generates a recovery key, invites its recovery member as an admin,
  // keeps the invite sealed to it for publication (replacing any earlier one) and keeps the
  // key's text in `issued_recovery_key`. Returns the new member's identity key (raw).
  Result<std::string> IssueRecoveryKey();
  // Puts the kept recovery invite on each of `relays` that has not confirmed it yet;
  // records each confirmation. One entry per relay tried (none when nothing is pending).
  // Cancellation is returned; relay failures are entries (tried again at the next sync).
  Result<std::vector<InvitePublication>> PublishRecoveryInvite(
      const std::vector<sync::RelayRecord>& relays, sync::Canceller& canceller);
  // Forgets that the relay with static key `relay_key` confirmed the recovery invite, so
  // that the next sync puts it there again (its history went backwards: SyncState's
  // rollback hook, run inside its transaction).
  Status ForgetRecoveryInviteAt(crypto::ByteView relay_key);
};

namespace internal {

// The implementation's access to another Device's state (a Device made for a step of a
// call, such as the recovery member's temporary device).
class DeviceAccess {
 public:
  static Device::Impl& Of(Device& device) { return *device.impl_; }
};

// What EnrolThroughRecoveryMember did.
struct RecoveryEnrolment {
  std::vector<std::uint8_t> invite;  // for JoinWithInvite on the enrolled device; holds vault keys
  std::string recovery_member;       // hex of the recovery member's identity key
  std::string safety_code;
  std::string vault_id;  // hex
  // From a history source that reached no relay: the recovery member's admission of the
  // device (a serialized wire Admission, docs/wire-protocol.md), for the device to keep
  // (sync::SyncState::SetAdmission) so that relays take its member lists. Empty otherwise.
  std::string admission;
  RecoveryEnrolment() = default;
  RecoveryEnrolment(RecoveryEnrolment&&) = default;
  RecoveryEnrolment& operator=(RecoveryEnrolment&&) = default;
  ~RecoveryEnrolment() { std::fill(invite.begin(), invite.end(), std::uint8_t{0}); }
};

// Where the recovery member of EnrolThroughRecoveryMember takes the vault from, and where
// its change goes. Used on the calling thread, within that call.
class RecoveryHistory {
 public:
  virtual ~RecoveryHistory() = default;
  // Makes `temp` (the recovery member's device: created, with the recovery key's keys, in
  // no vault) a member of the vault that holds its whole history and every epoch key.
  virtual Status Fill(Device& temp) = 0;
  // After the recovery member invited the device (its next change, in `temp`): makes that
  // change count where the device will sync, or fills what `out` needs for that.
  virtual Status Publish(Device& temp, RecoveryEnrolment& out) = 0;
};

// The vault's relays (`relay_codes`: pairing codes) as the source (Recover): Fill pins
// them, joins through the invite sealed to the recovery member there and syncs the history;
// Publish syncs the recovery member's change to them and checks that they took it.
std::unique_ptr<RecoveryHistory> RelayHistory(std::vector<std::string> relay_codes);

// Enrols the device whose pairing code is `pairing_code` as an admin of the vault whose
// recovery key is `key`, acting as that vault's recovery member: in a private temporary
// store under `parent_dir` (created, then wiped whatever happens; an abandoned one from a
// crash is wiped first by Recover), with the keys the recovery key derives, it takes the
// vault from `history`, invites the device as an admin (the recovery member's next change)
// and has `history` publish that change.
// `base` gives the Env, KeyStore, VFS and sync options (its data_dir is ignored).
// Errors: those of `history` (RelayHistory: kNotFound "no relay holds a vault for this
// recovery key"; kPermissionDenied "this recovery key was replaced by a newer one" (the
// relays refuse it as revoked); kConflict when a relay refused the recovery member's change
// (another recovery with the same key got in first); relay errors pass through).
Result<RecoveryEnrolment> EnrolThroughRecoveryMember(const DeviceOptions& base,
                                                     const std::string& parent_dir,
                                                     const recovery::RecoveryKey& key,
                                                     RecoveryHistory& history,
                                                     std::string_view pairing_code);

// The prefix of the temporary directories EnrolThroughRecoveryMember makes under its parent.
inline constexpr std::string_view kRecoveryTempPrefix = ".recovery-";

}  // namespace internal

// Domain::kSync errors of the device.
inline Status DeviceError(Code code, std::string message) {
  return Error(Domain::kSync, code, std::move(message));
}

}  // namespace parley
