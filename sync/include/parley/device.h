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
// store (kWrongPassphrase, kMissingSecret, kCorrupt, kBusy, kDiskFull), of the replica and
// model (kInvalidArgument, kNotFound, kPermissionDenied, kCorrupt) and of sync (kUnavailable,
// kCancelled, kPermissionDenied) pass through unchanged. Results are data: verdicts,
// refusals and warnings come back as codes and fields for the caller to put in words.
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

#include "parley/core/bundle.h"
#include "parley/core/crypto.h"
#include "parley/core/model.h"
#include "parley/core/replica.h"
#include "parley/platform/env.h"
#include "parley/platform/status.h"
#include "parley/sync/sync_options.h"

namespace parley {

struct DeviceOptions {
  Env* env = nullptr;             // required; borrowed
  KeyStore* key_store = nullptr;  // required; borrowed (the platform's key store)
  std::string data_dir;           // required
  // The SQLite VFS under the page-encrypting one; empty: SQLite's default. Tests only.
  std::string base_vfs;
  sync::SyncOptions sync;         // timeouts and backoff of the sync client
};

struct CreateOptions {
  std::string device_name;  // shown to the other devices of the vault
  std::string vault_name;   // empty: no vault yet (the device will join one)
  crypto::Argon2Params argon2 = crypto::DefaultArgon2Params();
};

// The vault this device belongs to.
struct VaultSummary {
  std::string id;    // 64 hex characters
  std::string name;
};

// A pinned relay.
struct RelayInfo {
  std::int64_t id = 0;
  std::string label;         // its address (or the key's first hex digits)
  std::string address;       // "host:port"
  std::string public_key;    // 64 hex characters
  std::string pairing_code;
  std::uint64_t cursor = 0;          // the last relay sequence number applied here
  std::uint64_t head_seq = 0;        // the relay's newest sequence number, as last seen
  bool registered = false;           // the vault is known to the relay
  std::uint64_t members_version = 0;
  std::int64_t last_sync_ms = 0;     // Unix ms of the last complete sync; 0: never
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
};
std::string_view RefusalCodeName(RefusalCode code);  // "bad_signature", "too_large", ...

struct Refusal {
  log::ChangeId change{};
  RefusalCode code = RefusalCode::kUnknown;
  std::uint64_t limit = 0;  // kTooLarge: the relay's size limit in bytes
  std::string relay_reason; // the relay's own words, untranslated (may be empty)
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
  std::string relay;        // its label
  Status status;            // OK, or why this relay was not synced (the others still were)
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
  std::uint64_t resent = 0;       // changes pushed again because the relay had lost them
  std::uint64_t quarantined = 0;  // authenticated changes whose bodies do not open: kept, never applied
  std::uint64_t set_aside = 0;    // own changes set aside: this device was restored from an older copy
  std::uint64_t reissued = 0;     // those written again as new changes
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
struct DeviceStatus {
  std::optional<VaultSummary> vault;
  std::vector<RelayStanding> relays;
  std::uint64_t own_changes = 0;
  std::uint64_t own_acknowledged = 0;  // safely on at least one relay
  std::uint64_t own_unacknowledged() const { return own_changes - own_acknowledged; }
  std::vector<OwnChange> own;          // oldest first
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
  std::uint64_t quarantined = 0;        // changes kept but never applied: their bodies do not open
  std::uint64_t set_aside_waiting = 0;  // own changes set aside after a restore, not yet written again
  std::uint64_t reissued_total = 0;     // own changes written again after a restore, ever
};

// Enrolment.
struct InvitePublication {
  std::string relay;  // label
  Status status;      // OK: members and the sealed invite are on that relay
};
struct InviteResult {
  std::vector<std::uint8_t> invite;  // the invite file's bytes (sealed keys inside)
  std::string vault_id;              // hex
  std::vector<InvitePublication> relays;  // one per pinned relay (none when none pinned)
  std::string safety_code;  // "123-456": show it; the new device shows the same when it joins
};
struct JoinResult {
  VaultSummary vault;                   // its name is the one the invite carried
  std::vector<RelaySyncResult> synced;  // the first sync after joining through relays
  std::string inviter;       // the inviting admin device's name
  std::string inviter_id;    // hex of its identity key
  std::string safety_code;   // "123-456": the admin device showed the same
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
  std::string id;           // 64 hex characters (identity key)
  bool admin = false;       // a current admin (false once revoked)
  bool founder = false;     // created the vault
  std::string enrolled_by;       // hex of the admin whose invite enrolled it; empty for the founder
  std::string enrolled_by_name;  // that admin's device name (empty when unknown)
  std::int64_t enrolled_ms = 0;  // when that enrolment was committed
  std::uint64_t last_seq = 0;         // its newest change held here (0: none)
  std::int64_t last_change_ms = 0;    // when that change was made
  bool revoked = false;
  std::string revoked_by;        // hex of the admin who revoked it; empty unless revoked
  std::string revoked_by_name;
  std::int64_t revoked_ms = 0;
  std::uint64_t revoked_after_seq = 0;  // its changes numbered above this are refused everywhere
  bool can_receive_keys = false;  // enrolled with a sealing key: new epoch keys reach it
  bool is_self = false;           // this device
};

// What Promote, Demote or Revoke did: the member as it stands after the change, and the
// publication of the change to every pinned relay (one Sync(); empty when none is pinned).
struct MembershipChange {
  MemberSummary member;
  std::vector<RelaySyncResult> synced;
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
  std::string by;       // hex of the revoking admin's identity key; empty when unknown
  std::string by_name;  // its device name; empty when unknown
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
  // its admin) and leaves the device unlocked. kAlreadyExists when a store is there.
  Status Create(const CreateOptions& create, std::string_view passphrase);
  // kNotFound (no store), kWrongPassphrase, kMissingSecret, kCorrupt, kBusy.
  Status Unlock(std::string_view passphrase);
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
  Status CreateVault(std::string_view name);

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
  Result<log::RecordId> ResolveId(std::string_view prefix);
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
  Result<bundle::ExportSummary> ExportBundle(const std::string& path, std::string_view since_state = {});
  // Verifies and applies a bundle; emits kChangesArrived / kConflictsChanged.
  Result<ImportResult> ImportBundle(const std::string& path);

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
  explicit Device(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley
