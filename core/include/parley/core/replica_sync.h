// What a sync client needs from a replica beyond replica.h: held changes in local
// insertion order (to push what a relay lacks), change ids, the vault's membership (to
// publish it to relays), per-device chain gaps, and how the vault id was derived (so a
// relay can check it). These read the replica's own tables; they never write, except
// ApplyAndRecord, which is Replica::Apply with the caller's own writes in its transaction.
//
// The vault id of a vault created by Replica::CreateVault is
//   BLAKE2b-256("parley/vault/v1" || founder identity key (32) || nonce (32))
// (docs/wire-protocol.md, RegisterVault), with the nonce kept in the replica.
//
// REQUIRES: `replica` was returned by Replica::Open (these use its internal tables).
// Thread safety: the thread that owns the Replica. Failures: the store's SQLite errors.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parley/change.pb.h"
#include "parley/core/change_rules.h"
#include "parley/core/crypto.h"
#include "parley/core/replica.h"

namespace parley::log {

inline constexpr std::string_view kVaultIdLabel = "parley/vault/v1";

// BLAKE2b-256(kVaultIdLabel || founder || nonce).
crypto::Bytes DeriveVaultId(crypto::ByteView founder, crypto::ByteView nonce);

// The vault's id, founder and the nonce its id was derived from (empty nonce for a vault
// created before ids were derived, or one this device joined and never founded).
struct VaultIdentity {
  crypto::Bytes vault;
  crypto::Bytes founder;
  crypto::Bytes nonce;
};
// Code::kNotFound when the replica has no vault.
Result<VaultIdentity> GetVaultIdentity(Replica& replica);

// One held change, with its position in this device's log (grows with every change this
// device stores, local or received; never reused).
struct HeldChange {
  std::int64_t local_seq = 0;
  ChangeId id{};
  std::string author;  // 32 raw bytes
  std::uint64_t seq = 0;
  pb::Change change;
};

// Held changes with local_seq > `after`, in local order, until `max_bytes` of change data
// would be exceeded (the first is always returned) or `max_count` are read. Pending ones
// (author not yet known to be a member) are included.
Result<std::vector<HeldChange>> HeldChangesAfter(Replica& replica, std::int64_t after,
                                                 std::size_t max_bytes, std::size_t max_count);

// A key slot that a purge applied here dropped (docs/change-format.md, "Purge"): what an
// admin device asks each relay to drop too (wire SlotRedaction).
struct SlotRedactionRef {
  ChangeId change_id{};
  std::string slot_hash;  // 32 bytes
};
// Every such slot known here (a purged record whose originating create was held), in
// record order. Empty on a device that purged nothing.
Result<std::vector<SlotRedactionRef>> ListSlotRedactions(Replica& replica);

// Id, author and number of held changes (no bodies), in local order; only `author`'s when
// it is not empty.
struct ChangeRef {
  std::int64_t local_seq = 0;
  ChangeId id{};
  std::string author;
  std::uint64_t seq = 0;
};
Result<std::vector<ChangeRef>> ListChangeRefs(Replica& replica, std::string_view author = {});

// Replica::Apply, with `within` run on the store's connection inside Apply's transaction,
// just before it commits (in a transaction of its own when every change is a duplicate):
// what `within` writes (e.g. a relay cursor) becomes durable together with the batch, with
// one commit. A failure of `within` rolls the whole batch back and is returned. `within`
// is given the id of every change of the batch, in batch order (ids[i] of changes[i]).
// REQUIRES: `within` neither begins nor ends a transaction.
using WithinApply = std::function<Status(std::span<const ChangeId> ids)>;
Result<ApplyReport> ApplyAndRecord(Replica& replica, std::span<const pb::Change> changes,
                                   const WithinApply& within);

// ChangeIdOf and the other change rules: parley/core/change_rules.h.

// Every device ever enrolled in the vault, as the membership changes held here say
// (docs/membership.md): current members and revoked devices, ordered by identity key.
struct MemberInfo {
  std::string identity;  // 32 raw bytes
  std::string name;
  bool admin = false;  // a current admin (always false once revoked)
  bool revoked = false;
  bool founder = false;  // the vault's founder (enrolled by nobody)
  std::string
      enrolled_by;  // 32 raw bytes: the admin whose AddMember took effect; empty for the founder
  std::uint64_t enrolled_hlc = 0;  // clock of that change (ms << 16 | counter)
  std::string revoked_by;          // 32 raw bytes: the admin who revoked it; empty unless revoked
  std::uint64_t revoked_hlc = 0;
  std::uint64_t revoked_after_seq = 0;  // its changes numbered above this are refused
  std::uint64_t last_seq = 0;           // its newest change held here (0: none)
  std::uint64_t last_change_hlc = 0;    // that change's clock (0: none, or not readable yet)
  bool has_seal_key = false;            // enrolled with a sealing key (can receive new epochs)
  bool recovery =
      false;  // the vault's recovery member: an admin whose keys are on paper (docs/recovery.md)
};
// Current members only (revoked == false) unless `include_revoked`.
Result<std::vector<MemberInfo>> ListMembers(Replica& replica, bool include_revoked = false);

// The epoch key this device writes under (the newest effective epoch it holds,
// docs/membership.md); nullptr without a vault. Valid until the next call on the replica.
const store::VaultKey* CurrentEpochKey(Replica& replica);

// Changes known to exist but not held, per author: "device X: changes a-b missing".
struct ChainGap {
  std::string author;  // 32 raw bytes
  std::string name;    // device label, if known
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
Result<std::vector<ChainGap>> ListGaps(Replica& replica);

// Writes this device's set-aside changes (ApplyReport::set_aside) again as new changes on
// top of its chain, one transaction each, their references to one another renumbered;
// returns how many were written. A sync client calls it after each pull.
Result<std::size_t> ReissueSetAside(Replica& replica);

// The largest serialized change every relay of this device accepts (0: no limit): kept in
// the replica, and a local change larger than it is refused at Commit with
// kInvalidArgument, before it could block this device's later changes at a relay.
Status SetChangeSizeLimit(Replica& replica, std::size_t bytes);

// Where the vault's devices stand, as this device knows it (docs/change-format.md, "What
// the author had seen"): for each device that wrote changes, the newest seq known to exist
// (held, or named by a held change) and what is held of it.
struct DeviceHead {
  std::string identity;       // 32 raw bytes
  std::string name;           // device label, if known
  std::uint64_t known = 0;    // newest seq known to exist
  std::uint64_t contig = 0;   // every change up to this is held
  std::uint64_t held = 0;     // changes held
  std::uint64_t max_seq = 0;  // highest seq held
  bool self = false;
};
Result<std::vector<DeviceHead>> ListDeviceHeads(Replica& replica);

// What this device's log holds beyond the records: changes quarantined (authenticated but
// unreadable, never applied), own changes set aside after a restore and not yet written
// again, and the totals ever set aside and written again.
struct LogHealth {
  std::uint64_t quarantined = 0;
  std::uint64_t set_aside_waiting = 0;
  std::uint64_t set_aside_total = 0;
  std::uint64_t reissued_total = 0;
};
Result<LogHealth> GetLogHealth(Replica& replica);

// A device pairing code ("parley-device:..."), decoded. Code::kInvalidArgument when bad.
// The enrolment secret of a v2 code is not returned (docs/enrolment.md).
struct DeviceCode {
  crypto::Bytes identity;
  crypto::Bytes kx;  // Noise handshake key
  std::string name;
  crypto::Bytes seal;  // sealing key: what invites are sealed to; empty in a v1 code
  std::uint8_t version = 2;
};
Result<DeviceCode> DecodeDeviceCode(std::string_view code);

}  // namespace parley::log
