// The relay's check of a pushed change, by the same rules as devices
// (parley/core/change_rules.h, docs/change-format.md). The relay sees only the header; it
// checks the header's form, recomputes the id, computes the change's link and verifies the
// change's own signature (every change, whatever follows it: a successor's link covers a
// signature, it does not make it valid). The chain (prev against the link of the held
// predecessor) is checked by the storage, inside the transaction that stores the change.
// Thread safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "parley/change.pb.h"
#include "parley/relay/relay_storage.h"
#include "parley/sync/wire_limits.h"
#include "parley/wire.pb.h"

namespace parley::relay {

struct CheckResult {
  pb::Refusal refusal = pb::REFUSAL_NONE;
  std::string reason;  // for a refusal: what is wrong (no payload data)
  NewChange change;    // for REFUSAL_NONE: ready to store
};

// One change: its form, id, link and signature. `max_size` bounds the serialized change:
// wire::kMaxWholeChangeBytes for a change pushed whole, the relay's max_change_bytes for one
// reassembled from parts.
CheckResult CheckPushedChange(const pb::Change& change, crypto::ByteView vault,
                              std::size_t max_size = wire::kMaxWholeChangeBytes);

// The changes of one Push, each pushed whole: the verdict of CheckPushedChange for each,
// except that a well-formed, correctly signed change whose prev is the link of a change of
// the same author refused in this push (for its signature, or itself for this reason) is
// refused REFUSAL_BROKEN_CHAIN: it extends no chain the relay will hold. Result i is for
// changes[i]; a refused result carries no change data.
std::vector<CheckResult> CheckPushedChanges(
    const google::protobuf::RepeatedPtrField<pb::Change>& changes, crypto::ByteView vault);

}  // namespace parley::relay
