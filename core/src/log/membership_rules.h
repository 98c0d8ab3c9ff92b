// The membership rules (docs/membership.md): who is a member, who is an admin, who is
// revoked and which epoch is current, from the membership operations held. A pure function
// of the set of operations: every device that holds the same changes computes the same
// answer, whatever order they arrived in.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "parley/change.pb.h"

namespace parley::log {

// A change operation that changes membership, or a purge (both are evaluated by these
// rules, never applied to records as register operations).
bool IsMembershipOp(const pb::Op& op);

// One membership operation of a held change.
struct MemberOpRow {
  enum class Kind : int { kAdd = 1, kSetRole = 2, kRevoke = 3, kNewEpoch = 4, kPurge = 5 };
  std::string author;  // 32 raw bytes
  std::uint64_t seq = 0;
  std::uint64_t hlc = 0;  // the change's clock
  std::uint32_t index = 0;
  Kind kind = Kind::kAdd;
  std::string target;           // kAdd, kSetRole, kRevoke: 32 raw bytes; kPurge: the record id
  bool admin = false;           // kAdd, kSetRole
  std::uint64_t after_seq = 0;  // kRevoke
  std::uint32_t epoch = 0;      // kNewEpoch
  std::vector<std::string> recipients;  // kNewEpoch: identity keys
  std::vector<std::string> sealed;      // kNewEpoch: the sealed key set of each recipient
  std::vector<std::uint32_t> shared;    // kAdd, kNewEpoch: the epochs whose keys it handed out
  std::string key_check;                // kNewEpoch: commits to the new epoch's key
  std::string name, kx, seal;           // kAdd
  bool recovery = false;                // kAdd: the vault's recovery member (docs/recovery.md)
};

// The rows of one opened change body (ops that are not about membership are skipped).
std::vector<MemberOpRow> MemberOpsOf(std::string_view author, std::uint64_t seq,
                                     const pb::ChangeBody& body);

inline constexpr std::uint64_t kNotRevoked = std::numeric_limits<std::uint64_t>::max();

struct DeviceMembership {
  bool admin = false;
  bool ever_admin = false;  // an admin at some point of the evaluation
  bool revoked = false;
  bool founder = false;
  std::string enrolled_by;
  std::uint64_t enrolled_hlc = 0;
  std::string revoked_by;
  std::uint64_t revoked_hlc = 0;
  std::uint64_t after_seq = kNotRevoked;  // its changes numbered above are refused
  std::string name, kx, seal;
  bool recovery = false;  // added as the vault's recovery member (docs/recovery.md)
};

// A purge that took effect: the first, in the evaluation order, by an author who was an admin
// at that point.
struct EffectivePurge {
  std::string author;  // 32 raw bytes
  std::uint64_t seq = 0;
  std::uint64_t hlc = 0;
};

struct Membership {
  std::map<std::string, DeviceMembership> devices;  // every device ever enrolled
  std::vector<std::uint32_t> epochs{0};             // effective epochs in order; back() is current
  std::set<std::string> epoch_recipients;           // devices given the current epoch's key
  bool reaches_revoked = false;  // the current epoch's key was given to a now revoked device
  // Epochs whose key some current member with a sealing key was never handed (by an invite
  // or a NewEpoch of a device that was an admin).
  std::set<std::uint32_t> uncovered;
  std::map<std::string, EffectivePurge> purges;  // record id (16 raw bytes) -> its purge
  // Epochs that a NewEpoch creates but that never took effect: every NewEpoch creating them
  // is void or by a device that was not an admin at that point (the losing side of two admins
  // revoking each other, or an admin demoted concurrently). A member that took such a key
  // before it heard why may have written under it; the devices the key was not sealed to never
  // read those changes, so no device applies them and their author writes them again
  // (docs/change-format.md, "Changes under a void epoch").
  std::set<std::uint32_t> void_epochs;

  const DeviceMembership* Find(std::string_view identity) const;
  bool IsAdmin(std::string_view identity) const;
  bool IsMember(std::string_view identity) const;  // enrolled and not revoked
  // Whether change `seq` of `author` counts: the author was enrolled and the change is not
  // after its revocation.
  bool Entitled(std::string_view author, std::uint64_t seq) const;
  std::size_t AdminCount() const;
  // Current admins other than recovery members: the admins that are devices. Only local
  // checks use it (a device does not demote or revoke the last one); the rules above count
  // every admin.
  std::size_t DeviceAdminCount() const;
};

// Applies `ops` in the order (hlc, author, seq, index); an operation takes effect when its
// author is a current admin at that point and its change is not after its author's
// revocation. Revocations void their target's later changes, which can void operations
// seen earlier, so the evaluation repeats until the set of voided changes is stable.
Membership EvaluateMembership(std::string_view founder, std::vector<MemberOpRow> ops);

}  // namespace parley::log
