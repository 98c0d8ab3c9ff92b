// The replica's SQLite tables, created in the Store's (encrypted) connection.
//
//   log_meta        key/value: "founder" (root admin's identity key), "hlc" (last clock).
//   log_authors     every device key seen, as a small integer id used by the hot tables;
//                   chain state (max_seq, held, contig) and effective membership role
//                   (0 none or revoked, 1 member, 2 admin), recomputed from the membership
//                   changes (membership_rules.h).
//   log_changes     every change held, exactly as received (header, body, signature), with
//                   its id, link, clock, whether it is held back (pending: its author is not
//                   a member yet, it comes after its author's revocation, or its epoch key
//                   has not arrived) and `membership`: 1 when its body holds membership
//                   operations, 0 when not, 2 while its body could not be read, 3 when
//                   it is quarantined (its body does not open with the key held).
//   log_seen        what each change's author had seen (ChangeBody.seen, a delta): the
//                   change (author, seq) says its author held every change of device `of`
//                   up to `upto`. The newest seq known to exist of each device follows.
//   log_set_aside   this device's own changes taken off its chain because the chain had
//                   moved on elsewhere (a restored device): their bodies are written again
//                   as new changes (reissue.cc), then the rows go.
//   log_records     record ids as small integers, with type, first creation clock and
//                   `last_op`: the newest op of the record held here (arrival order).
//   log_ops         every operation ever applied (history, including old values), keyed by
//                   the packed op id (tuning.h). Append-only: a row is never updated. `prev`
//                   chains the ops of one record in arrival order (0 ends the chain), so a
//                   record's history needs no index on rid.
//   log_live        the live ops, clustered by (rid, field, op): the surviving values of a
//                   register are one range. Superseding a held op deletes its row here.
//   log_superseded  (op, rid) named as superseded before the op arrived: dead on arrival.
//                   Only ops not held yet get a row; the row goes when the op arrives.
// Invariant: an op is live (has a log_live row) iff it is held and no held op of the same
// record names it (whichever arrived first). Everything is a pure function of the set of changes
// held.
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "parley/platform/status.h"

namespace parley::log {

enum OpKind : int { kOpCreate = 1, kOpSet = 2, kOpDelete = 3 };
enum Role : int { kRoleNone = 0, kRoleMember = 1, kRoleAdmin = 2 };
// log_changes.membership
inline constexpr std::int64_t kMembershipNone = 0;
inline constexpr std::int64_t kMembershipOps = 1;
inline constexpr std::int64_t kMembershipUnknown = 2;
// Authenticated, but its body does not open, parse or pass the checks with the key held:
// kept and counted, never applied, never read again (docs/change-format.md, "Quarantine").
inline constexpr std::int64_t kMembershipQuarantined = 3;

// Creates the tables if they do not exist. Idempotent.
Status CreateSchema(sqlite3* db);

}  // namespace parley::log
