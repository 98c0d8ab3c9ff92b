// Device: one Parley device, the object a client application holds for one data directory.
//
// It owns everything a phone app or the `parley` command needs: the encrypted store and its
// key hierarchy, the replica (change log and merge), the negotiation model, the pinned relays
// and the sync client, bundles, pairing codes and enrolment. Applications parse input, render
// output and map codes to words; every rule lives here.
//
// Lifecycle:
//   auto dev = Device::Open(options);     // no key is read yet; the device is locked
//   dev->Create(create, passphrase);      // a new store (and vault), left unlocked; or
//   dev->Unlock(passphrase);              // an existing store
//   ... model(), Sync(), Status(), ...
//   dev->Lock();                          // checkpoint, close, zero every key (idempotent)
//   dev->Wipe();                          // panic wipe: keys first, then files; no passphrase
// Destroying a Device locks it.
//
// Ownership: a Device borrows the Env and the KeyStore of its options (both must outlive it)
// and owns everything else. References it returns (model(), the records in results) stay
// valid until Lock(), Wipe() or destruction.
//
// Threads: a Device is used from one thread at a time (the "owner thread"), except
// CancelSync() and Wake(), which any thread (and a signal handler) may call. Sync calls run
// on the calling thread, which also receives every event (SetEventHandler) while the call
// runs; the sync client may run one thread of its own during a pull, which never calls back.
//
// Failures: every call returns a Status (or Result) with a domain and a code, never throws.
// Calls that need the keys return Code::kLocked while the device is locked. The codes of the
// store (kWrongPassphrase, kThrottled, kWiped, kMissingSecret, kCorrupt, kBusy, kDiskFull),
// of the replica and model (kInvalidArgument, kNotFound, kPermissionDenied, kCorrupt) and of
// sync (kUnavailable, kCancelled, kPermissionDenied) pass through unchanged. Results are data:
// verdicts, refusals and warnings come back as codes and fields for the caller to put in words.
//
// Lost-device wipe: after any call that applies changes from elsewhere (Sync, Watch,
// ImportBundle, JoinThroughRelays, and Unlock, which finds what a crash left behind), a
// device that those changes revoke destroys its keys and store (as Wipe() does), emits
// kRevokedAndWiped and the call returns kPermissionDenied, "this device was revoked from the
// vault by NAME; its keys and data have been destroyed". Until it hears of its revocation it
// keeps working offline.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parley/core/backup.h"
#include "parley/core/bundle.h"
#include "parley/core/crypto.h"
#include "parley/core/integrity.h"
#include "parley/core/model.h"
#include "parley/core/recovery_key.h"
#include "parley/core/replica.h"
#include "parley/platform/env.h"
#include "parley/platform/status.h"
#include "parley/sync/sync_options.h"

namespace parley {

namespace internal {
class DeviceAccess;  // the implementation's own access to a Device's state
}  // namespace internal

struct DeviceOptions {
  Env* env = nullptr;             // required; borrowed
  KeyStore* key_store = nullptr;  // required; borrowed (the platform's key store)
  std::string data_dir;           // required
  // The SQLite VFS under the page-encrypting one; empty: SQLite's default. Tests only.
  std::string base_vfs;
  sync::SyncOptions sync;  // timeouts and backoff of the sync client
};

struct CreateOptions {
  std::string device_name;  // shown to the other devices of the vault
  std::string vault_name;   // empty: no vault yet (the device will join one)
  crypto::Argon2Params argon2 = crypto::DefaultArgon2Params();
  // When set, the device's keys are those the recovery key derives: the device acts as the
  // vault's recovery member (docs/recovery.md). Borrowed for the call.
  const recovery::RecoveryKey* identity_from = nullptr;
  // When a vault is created (here or by CreateVault): issue its recovery key and enrol its
  // recovery member (docs/recovery.md); TakeRecoveryKey() then returns the key once.
  bool issue_recovery_key = true;
  // Wipe the store after this many consecutive failed unlocks; 0: never (SetWipeAfter).
  std::uint32_t wipe_after = 0;
};

// Watch() with a lock timeout.
struct WatchOptions {
  // When > 0: once this long passes without local activity (a change of this device pushed,
  // including changes committed by other processes on this data directory, or a Wake()),
  // the device locks itself (zeroes every key, as Lock()) and Watch returns kLocked,
  // "locked after N minutes idle". Changes arriving from other devices do not count: they
  // are not use of this device. 0: watch until cancelled, unlocked.
  std::int64_t lock_after_idle_ms = 0;
};

// The vault this device belongs to.
struct VaultSummary {
  std::string id;  // 64 hex characters
  std::string name;
};

// A pinned relay.
struct RelayInfo {
  std::int64_t id = 0;
  std::string label;       // its address (or the key's first hex digits)
  std::string address;     // "host:port"
  std::string public_key;  // 64 hex characters
  std::string pairing_code;
  std::uint64_t cursor = 0;    // the last relay sequence number applied here
  std::uint64_t head_seq = 0;  // the relay's newest sequence number, as last seen
  bool registered = false;     // the vault is known to the relay
  std::uint64_t members_version = 0;
  std::int64_t last_sync_ms = 0;  // Unix ms of the last complete sync; 0: never
};

// Why a relay refused one of this device's changes (wire Refusal codes, docs/wire-protocol.md).
enum class RefusalCode {
  kUnknown,
  kBadSignature,
  kBrokenChain,
  kNotMember,
  kMalformed,
  kWrongVault,
  kPurged,
  kTooLarge,  // larger than the relay accepts (`limit` holds its limit)
  kRevoked,   // its author was revoked from the vault (docs/membership.md)
  // the vault is over its quota on that relay (`relay_reason` gives the figures); the change
  // stays on this device and is pushed again by later syncs, once the relay has room
  kOverQuota,
};
std::string_view RefusalCodeName(RefusalCode code);  // "bad_signature", "too_large", ...

struct Refusal {
  log::ChangeId change{};
  RefusalCode code = RefusalCode::kUnknown;
  std::uint64_t limit = 0;   // kTooLarge: the relay's size limit in bytes
  std::string relay_reason;  // the relay's own words, untranslated (may be empty)
};

// Changes known to exist but not held here: seq first..last of a device of the vault.
struct Gap {
  std::string device;       // 64 hex characters (identity key)
  std::string device_name;  // empty when unknown
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

// What one exchange with one relay moved.
struct RelaySyncResult {
  std::string relay;  // its label
  Status status;      // OK, or why this relay was not synced (the others still were)
  std::uint64_t pushed = 0, refused = 0, pulled = 0, duplicates = 0, pending = 0;
  std::uint64_t conflicts = 0;  // conflicted fields after the exchange
  std::uint64_t cursor = 0, head_seq = 0;
  std::vector<Refusal> refusals;
  std::vector<Gap> gaps;
  // What the relay did that an honest relay never does (sync::RelayFault): a history that
  // went backwards, changes it lists and did not serve. The exchange still converged as far
  // as it could: lost changes were offered again (`resent`).
  struct RelayFault {
    std::string fault;   // "rolled_back", "withheld", "foreign_vault", "forged" (stable)
    std::string detail;  // what was seen, in English
  };
  std::vector<RelayFault> relay_faults;
  std::uint64_t resent = 0;  // changes pushed again because the relay had lost them
  std::uint64_t quarantined =
      0;  // authenticated changes whose bodies do not open: kept, never applied
  std::uint64_t set_aside =
      0;                       // own changes set aside: this device was restored from an older copy
  std::uint64_t reissued = 0;  // those written again as new changes
  std::uint64_t slots_redacted = 0;  // purged records' key slots the relay confirmed dropping
};

// One Sync(): a result per pinned relay. With several relays a second round carries what
// one relay served to the others.
struct SyncResult {
  std::vector<RelaySyncResult> relays;
  bool any_ok() const;
};

// Where this device's data stands (Status()). Counts come from one query each.
struct RelayStanding {
  RelayInfo relay;
  std::uint64_t waiting = 0;  // held changes the relay has not acknowledged
};
struct OwnChange {
  std::uint64_t seq = 0;
  log::ChangeId id{};
  std::vector<std::pair<std::string, std::uint64_t>> acks;  // (relay label, relay seq)
};
// A record an id prefix matches (Device::IdCandidates).
struct IdCandidate {
  log::RecordId id{};
  std::string type;   // "" for a purged record
  std::string label;  // model::RecordLabel, whole (may be long); "" for a purged record
};
inline constexpr std::size_t kMaxIdCandidates = 20;

struct DeviceStatus {
  std::optional<VaultSummary> vault;
  std::vector<RelayStanding> relays;
  std::uint64_t own_changes = 0;
  std::uint64_t own_acknowledged = 0;  // safely on at least one relay
  std::uint64_t own_unacknowledged() const { return own_changes - own_acknowledged; }
  std::vector<OwnChange> own;  // oldest first
  std::vector<Gap> gaps;
  // Per device of the vault that wrote changes: the newest change known to exist (held here,
  // or named by a change that had seen it) and how much of it this device holds.
  struct DeviceStanding {
    std::string device;  // identity key, hex
    std::string name;
    bool self = false;
    std::uint64_t known = 0;   // newest seq known to exist
    std::uint64_t contig = 0;  // every change up to this is held here
    bool complete() const { return contig >= known; }
  };
  std::vector<DeviceStanding> devices;
  std::uint64_t quarantined = 0;  // changes kept but never applied: their bodies do not open
  std::uint64_t set_aside_waiting =
      0;                             // own changes set aside after a restore, not yet written again
  std::uint64_t reissued_total = 0;  // own changes written again after a restore, ever
};

// Enrolment.
struct InvitePublication {
  std::string relay;  // label
  Status status;      // OK: members and the sealed invite are on that relay
};
struct InviteResult {
  std::vector<std::uint8_t> invite;       // the invite file's bytes (sealed keys inside)
  std::string vault_id;                   // hex
  std::vector<InvitePublication> relays;  // one per pinned relay (none when none pinned)
  std::string safety_code;  // "123-456": show it; the new device shows the same when it joins
};
struct JoinResult {
  VaultSummary vault;                   // its name is the one the invite carried
  std::vector<RelaySyncResult> synced;  // the first sync after joining through relays
  std::string inviter;                  // the inviting admin device's name
  std::string inviter_id;               // hex of its identity key
  std::string safety_code;              // "123-456": the admin device showed the same
};

// Bundles.
struct ImportResult {
  log::ApplyReport report;
  std::size_t conflicts = 0;  // conflicted fields after the import
};

// Members (docs/membership.md). Times are Unix ms taken from the changes' clocks (hlc >> 16);
// 0 means unknown or none.
struct MemberSummary {
  std::string name;
  std::string id;                // 64 hex characters (identity key)
  bool admin = false;            // a current admin (false once revoked)
  bool founder = false;          // created the vault
  std::string enrolled_by;       // hex of the admin whose invite enrolled it; empty for the founder
  std::string enrolled_by_name;  // that admin's device name (empty when unknown)
  std::int64_t enrolled_ms = 0;  // when that enrolment was committed
  std::uint64_t last_seq = 0;    // its newest change held here (0: none)
  std::int64_t last_change_ms = 0;  // when that change was made
  bool revoked = false;
  std::string revoked_by;  // hex of the admin who revoked it; empty unless revoked
  std::string revoked_by_name;
  std::int64_t revoked_ms = 0;
  std::uint64_t revoked_after_seq = 0;  // its changes numbered above this are refused everywhere
  bool can_receive_keys = false;        // enrolled with a sealing key: new epoch keys reach it
  bool is_self = false;                 // this device
  // The vault's recovery member: an admin whose keys a recovery key derives; it exists only
  // on paper (docs/recovery.md). Not counted as "the last admin" by Demote and Revoke.
  bool recovery = false;
};

// What Promote, Demote or Revoke did: the member as it stands after the change, and the
// publication of the change to every pinned relay (one Sync(); empty when none is pinned).
struct MembershipChange {
  MemberSummary member;
  std::vector<RelaySyncResult> synced;
};

// Recovery (docs/recovery.md).
// What Recover() did.
struct RecoveryResult {
  VaultSummary vault;
  std::string
      recovery_member;        // hex of the recovery member's identity key that enrolled this device
  std::string safety_code;    // of the invite the recovery member made for this device
  std::uint64_t changes = 0;  // changes held here after the recovery: the vault's history
  std::uint64_t records = 0;  // records (not deleted)
  std::uint64_t conflicts = 0;          // conflicted fields, kept as they were
  std::uint64_t members = 0;            // current members, this device included
  std::vector<RelaySyncResult> synced;  // this device's first sync, one per pinned relay
};
// What RotateRecoveryKey() did.
struct RecoveryKeyRotation {
  std::string recovery_key;  // the new key's text: show it once, never store it
  std::string revoked;       // hex of the old recovery member (empty when the vault had none)
  std::vector<RelaySyncResult> synced;       // the publishing Sync(); empty without relays
  std::vector<InvitePublication> published;  // the new recovery invite, per pinned relay
};

// What Purge did here, and its publication to every pinned relay (one Sync(); empty when
// none is pinned). The relays drop the record's key slot in that exchange
// (RelaySyncResult's report, slots_redacted).
struct PurgeResult {
  log::RecordId record{};
  log::PurgeOutcome outcome;
  std::vector<RelaySyncResult> synced;
};

// Who revoked this device, as far as the changes it received say (kRevokedAndWiped).
struct Revocation {
  std::string by;          // hex of the revoking admin's identity key; empty when unknown
  std::string by_name;     // its device name; empty when unknown
  std::int64_t at_ms = 0;  // when; 0 when unknown
};

// Events, delivered on the thread that runs the call that caused them.
struct DeviceEvent {
  enum class Kind {
    kChangesArrived,    // `count` new changes applied (from `relay`, or a bundle when empty)
    kConflictsChanged,  // the number of conflicted fields is now `count`
    kConnected,         // watching: connected to `relay`
    kDisconnected,      // watching: lost `relay` (`status` says why), retry in `retry_ms`
    kSynced,            // watching: an exchange with `relay` moved something (`result`)
    // The vault revoked this device (`revocation` says who): its keys and store are
    // destroyed, the device is locked for good and the call returns kPermissionDenied.
    kRevokedAndWiped,
  };
  Kind kind = Kind::kChangesArrived;
  std::string relay;
  std::uint64_t count = 0;
  Status status;
  std::int64_t retry_ms = 0;
  const RelaySyncResult* result = nullptr;  // kSynced only; valid during the callback
  Revocation revocation;                    // kRevokedAndWiped only
};
using EventHandler = std::function<void(const DeviceEvent&)>;

// Backups (docs/backup-format.md).
struct BackupResult {
  backup::Summary summary;
  VaultSummary vault;
};
struct BackupInfo {
  backup::Summary summary;
  VaultSummary vault;
  std::string device_name;  // the device it was taken from
  std::int64_t created_unix_ms = 0;
  std::size_t epochs = 0;  // vault keys it holds
};
struct RestoreOptions {
  // The new device: its name (empty: the backup's device name + " (restored)") and the
  // Argon2id parameters of its passphrase. `vault_name` and `identity_from` are ignored: a
  // restored device always has fresh keys of its own.
  CreateOptions create;
  // When set, the restored device enrols itself as an admin through the vault's recovery
  // member (it may be the key the backup was made with). Borrowed for the call.
  const recovery::RecoveryKey* enrol_with = nullptr;
};
struct RestoreResult {
  VaultSummary vault;
  std::string from_device;    // the name of the device the backup was taken from
  std::uint64_t changes = 0;  // changes restored
  bool enrolled = false;      // a member of the vault (through the recovery member)
  // Why not, when not enrolled ("no recovery key was given", "the vault has no recovery
  // member"...): an admin enrols it with `device invite` and `join` (its pairing code).
  std::string not_enrolled_reason;
  std::string pairing_code;  // when not enrolled
};

// Initializes the cryptographic library. Call once before anything else (Device::Open also
// does); idempotent and thread-safe. Code::kInternal when libsodium cannot start.
Status Initialize();

class Device {
 public:
  // True when `data_dir` holds a Parley store.
  static bool Exists(Env& env, const std::string& data_dir);
  // A locked handle on `options.data_dir`; reads nothing yet. kInvalidArgument when the env,
  // key store or directory is missing from the options.
  static Result<std::unique_ptr<Device>> Open(DeviceOptions options);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // ---- Lifecycle ----
  // Creates the store (and the vault when `create.vault_name` is set; this device is then
  // its admin) and leaves the device unlocked. kAlreadyExists when a store is there;
  // kInvalidArgument when the passphrase is below the strength floor
  // (store::CheckPassphraseStrength, docs/passphrase-policy.md; the message gives its
  // length and estimated entropy).
  Status Create(const CreateOptions& create, std::string_view passphrase);
  // kNotFound (no store), kWrongPassphrase, kMissingSecret, kCorrupt, kBusy, and for failed
  // unlocks (docs/device-api.md): kThrottled ("wait N s": too soon after failed attempts;
  // the passphrase was not tried) and kWiped (this attempt reached the store's wipe_after
  // limit: the store has destroyed itself, nothing is left to unlock). A tampered key file
  // is kCorrupt and never counts as a failed unlock.
  Status Unlock(std::string_view passphrase);
  // Replaces the passphrase (REQUIRES unlocked(); kLocked otherwise). `current` is checked
  // against the key file (kWrongPassphrase; not counted as a failed unlock); `next` must
  // pass the strength floor (kInvalidArgument with the message). Only the master key's
  // wrap changes (new salt); the key file is replaced atomically; every record is kept.
  Status ChangePassphrase(std::string_view current, std::string_view next);
  // The failed-unlock wipe (REQUIRE unlocked()): consecutive failed unlocks after which the
  // store wipes itself; 0 means never. Kept, authenticated, in the key file.
  Result<std::uint32_t> WipeAfter();
  Status SetWipeAfter(std::uint32_t failed_unlocks);
  // Checkpoints, closes and zeroes every key. Idempotent; OK when locked.
  Status Lock();
  // Panic wipe: locks, stops every other process that has this data directory open
  // (SIGTERM, then SIGKILL; docs/device-api.md), then destroys the key file first
  // (crypto-erase) and every file. Blocks until those processes have let go (about 7 s at
  // most). kBusy when one did not (the files are destroyed all the same).
  Status Wipe();
  bool unlocked() const;
  const std::string& data_dir() const;

  // ---- This device and its vault ---- (REQUIRE unlocked(); kLocked otherwise)
  Result<std::string> DeviceName();
  // "parley-device:..." (docs/wire-protocol.md): the code an admin needs to invite it.
  Result<std::string> PairingCode();
  // nullopt when the device belongs to no vault yet.
  Result<std::optional<VaultSummary>> Vault();
  // Creates a vault with this device as its admin (and, unless
  // CreateOptions::issue_recovery_key was false at Create, its recovery key).
  Status CreateVault(std::string_view name);

  // ---- Recovery key ---- (docs/recovery.md)
  // The text of the recovery key issued by the last Create (with a vault), CreateVault or
  // RotateRecoveryKey of this Device object, once: a second call, or a call after Lock(),
  // returns kNotFound. The key is never stored on the device; it exists only in this call's
  // result (and on the paper it is written on).
  Result<std::string> TakeRecoveryKey();
  // On a device that belongs to no vault yet, with at least one pinned relay: restores the
  // vault whose recovery key `recovery_key` is (typed by a person: case, spaces and dashes
  // do not matter). Acts as the recovery member in a temporary store inside the data
  // directory, which fetches the invite sealed to it and the history from the relays and
  // enrols this device as an admin; then this device joins and syncs the whole history,
  // and the temporary store is wiped (also when a step fails). Codes: kInvalidArgument for a
  // mistyped key (the message says which check failed); kNotFound when no relay is pinned,
  // or "no relay holds a vault for this recovery key"; kPermissionDenied "this recovery key
  // was replaced by a newer one" when the relays refuse it as revoked; kAlreadyExists when
  // this device already belongs to a vault; kConflict when another recovery with the same
  // key got in first (try again); relay errors pass through. A failed call leaves this
  // device as it was (no vault), and can be retried.
  Result<RecoveryResult> Recover(std::string_view recovery_key);
  // On an admin device: issues a new recovery key (a new recovery member, invited as an
  // admin) and revokes the old recovery member (a new epoch: the old key reads nothing
  // written afterwards and relays refuse it), then publishes with one Sync() and puts the
  // new invite on every pinned relay. kPermissionDenied when this device is not an admin;
  // kNotFound without a vault. The new key is in the result (and TakeRecoveryKey() once).
  Result<RecoveryKeyRotation> RotateRecoveryKey();

  // ---- Members ---- (docs/membership.md)
  // Every device ever enrolled in the vault, current and revoked, ordered by name then id.
  // An empty list when the device belongs to no vault yet.
  Result<std::vector<MemberSummary>> Members();
  // A member from its exact name or a prefix (at least 4 hex characters) of its id. A name
  // shared by a revoked device and one current member means the current one. kNotFound
  // when nothing matches; kInvalidArgument ("ambiguous", listing each candidate's name and
  // id prefix) when several do.
  Result<MemberSummary> ResolveMember(std::string_view device);
  // On an admin device: makes the member an admin (Promote) or a plain member (Demote),
  // commits the change and publishes it with one Sync(). The replica's codes pass through:
  // kPermissionDenied when this device is not an admin, kNotFound for a device that is not a
  // current member, kAlreadyExists when it already has that role, kConflict when demoting
  // the last admin.
  Result<MembershipChange> Promote(std::string_view device);
  Result<MembershipChange> Demote(std::string_view device);
  // On an admin device: revokes the member (its later changes are refused everywhere and a
  // new epoch key, sealed to the remaining members, protects what is written from now on),
  // then publishes with one Sync(). kInvalidArgument for this device itself; otherwise as
  // Promote (kConflict for the last admin).
  Result<MembershipChange> Revoke(std::string_view device);
  // Set once this Device destroyed itself because the vault revoked it (then every call that
  // returned kPermissionDenied "this device was revoked from the vault ..." did so for that).
  const std::optional<Revocation>& revoked_and_wiped() const;

  // ---- Records ----
  // The model over this device's replica. REQUIRES unlocked(); the reference is valid until
  // Lock(), Wipe() or destruction.
  model::Model& model();
  // A record id from a unique hex prefix (at least 4 characters) or a full id.
  // Code::kNotFound when no record starts with it; Code::kInvalidArgument when it is too
  // short, not hex, or ambiguous: then the message names the records it starts (type and
  // first 8 hex characters, no content) and IdCandidates() lists them.
  Result<log::RecordId> ResolveId(std::string_view prefix);
  // The records whose id starts with `prefix` (as ResolveId reads it), in id order, at most
  // kMaxIdCandidates: what to show when a prefix is ambiguous. Empty when none matches.
  Result<std::vector<IdCandidate>> IdCandidates(std::string_view prefix);
  Result<std::optional<log::Record>> GetRecord(const log::RecordId& id);
  // On an admin device: purges the record for good (docs/change-format.md, "Purge"): its key,
  // values and history are destroyed here, and on every device that applies the purge; then
  // publishes with one Sync(), asking each relay to drop the record's key slot.
  // kPermissionDenied when this device is not an admin; kNotFound for an unknown or already
  // purged record. A failed publication leaves the purge committed here (the next Sync()
  // publishes it).
  Result<PurgeResult> Purge(const log::RecordId& id);

  // ---- Bundles ----
  // What this device holds, as a "parley-state:" code (docs/bundle-format.md).
  Result<std::string> BundleState();
  // Writes the changes a holder of `since_state` lacks (every change when empty) to `path`.
  Result<bundle::ExportSummary> ExportBundle(const std::string& path,
                                             std::string_view since_state = {});
  // Verifies and applies a bundle; emits kChangesArrived / kConflictsChanged.
  Result<ImportResult> ImportBundle(const std::string& path);

  // ---- Backup and restore ---- (docs/backup-format.md)
  // Writes a consistent snapshot of the vault to `path` (REQUIRES unlocked(); kLocked
  // otherwise), encrypted under `secret`: everything committed before the call began, read
  // in one SQLite read transaction while other processes may go on writing, streamed to
  // path + ".tmp", fsynced and renamed (no partial file on failure). `path` is checked as a
  // bundle's (bundle::CheckBundleTarget). kNotFound when the device belongs to no vault;
  // kInvalidArgument for a backup passphrase below the backup passphrase policy
  // (store::kBackupPassphrase: 12 characters, 40 bits; docs/passphrase-policy.md).
  // `argon2` (passphrase only; raised to the floor) makes the passphrase costly to guess.
  Result<BackupResult> Backup(const std::string& path, const backup::BackupSecret& secret,
                              const crypto::Argon2Params& argon2 = crypto::DefaultArgon2Params());
  // Checks a backup without restoring it (no store needed): every frame authenticated, the
  // end present. kWrongPassphrase when `secret` is not the one it was made with,
  // kInvalidArgument when it needs the other kind of secret, kCorrupt when it is damaged,
  // tampered with or truncated.
  static Result<BackupInfo> VerifyBackup(Env& env, const std::string& path,
                                         const backup::BackupSecret& secret);
  // On a Device whose data directory holds no store (and is empty or absent): verifies the
  // whole backup first (VerifyBackup's codes; nothing is created when it fails), then
  // creates a store with fresh device keys and `passphrase`, gives it the backup's vault
  // keys and applies every change of the backup; then, with `options.enrol_with`, enrols it
  // as an admin through the recovery member, offline, and keeps the recovery member's
  // admission of it, so that its first sync works with no other admin online (relays take
  // its member list on that admission; docs/backup-format.md). Leaves the device unlocked. A
  // failure after the store was created wipes it: no store is left behind. kAlreadyExists when a
  // store (or any file) is in the data directory. The restored device never writes as the device
  // the backup came from: it has its own identity and its own chain.
  Result<RestoreResult> RestoreBackup(const std::string& path, const backup::BackupSecret& secret,
                                      const RestoreOptions& options, std::string_view passphrase);
  // The store's integrity check (parley/core/integrity.h). REQUIRES unlocked().
  Result<log::IntegrityReport> CheckIntegrity();

  // ---- Relays ----
  // Pins a relay from its pairing code ("parley-relay:..."). kAlreadyExists when that key is
  // pinned (its address is then updated), kInvalidArgument for a bad code.
  Result<RelayInfo> AddRelay(std::string_view pairing_code);
  Result<std::vector<RelayInfo>> Relays();
  // Unpins the relay named by its address, label, pairing code or a prefix (at least 4
  // characters) of its key's hex; forgets its cursor and acknowledgements.
  // kNotFound when none matches, kInvalidArgument when several do (the message lists them).
  Result<RelayInfo> RemoveRelay(std::string_view relay);

  // ---- Enrolment ----
  // On an admin device: approves the device with `pairing_code` and publishes the members
  // and the invite (sealed to the new device) to every pinned relay. kPermissionDenied when
  // this device is not an admin; kUnsupported when the sealed invite exceeds the relay
  // envelope limit; the first relay error when no relay took it (and some are pinned).
  Result<InviteResult> Invite(std::string_view pairing_code);
  // On a new device: accepts an invite file's bytes (every check of log::CheckInvite;
  // docs/enrolment.md). kAlreadyExists when the device already belongs to a vault;
  // kPermissionDenied for an invite not made from this device's pairing code (made by
  // someone who knows only its public keys, or for another device), or not from an admin;
  // kCorrupt for a tampered one. `synced` stays empty.
  Result<JoinResult> JoinWithInvite(std::span<const std::uint8_t> invite);
  // On a new device: fetches the invites sealed to it on the pinned relays (only in
  // `vault_id_hex` when not empty), checks each on its own (the relay's filing of them by
  // vault is not trusted: an invite counts for the vault it names, and one that fails a
  // check is set aside), accepts the one that passes, then syncs with every relay.
  // kNotFound when no relay holds one; kPermissionDenied (the first refusal's message) when
  // some are held but none passes; kInvalidArgument when valid invites from several vaults
  // wait and no vault was named (the message lists their ids); kAlreadyExists when the
  // device already belongs to a vault.
  Result<JoinResult> JoinThroughRelays(std::string_view vault_id_hex = {});

  // ---- Sync ----
  // One exchange with every pinned relay. kNotFound when none is pinned. Per-relay
  // failures are in the result; the call fails only for local errors.
  Result<SyncResult> Sync();
  // Stays connected to every pinned relay until CancelSync(), reconnecting with backoff;
  // reports through the event handler. OK when cancelled.
  Status Watch();
  // The same, with a lock timeout (WatchOptions): kLocked ("locked after N minutes idle")
  // when it locked the device; unlocked() is then false and every key is zeroed.
  Status Watch(const WatchOptions& options);
  // Any thread, async-signal-safe: stops a running Sync() or Watch() at its next wait.
  void CancelSync();
  // Any thread, async-signal-safe: a watching device pushes local changes now.
  void Wake();
  // Where this device's changes stand: waiting per relay, own changes and which relays hold
  // them, gaps.
  Result<DeviceStatus> SyncStatus();

  // Called on the owner thread for every event, during the call that causes it.
  void SetEventHandler(EventHandler handler);

  struct Impl;

 private:
  friend class internal::DeviceAccess;
  explicit Device(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley
