// The relay's check of a pushed change, by the same rules as devices
// (parley/core/change_rules.h, docs/change-format.md). The relay sees only the header; it
// checks the header's form, recomputes the id, computes the change's link and checks the
// signature (verified, or vouched for by an authenticated successor in the same push). The chain (prev against the link of
// the held predecessor) is checked by the storage, inside the transaction that stores the
// change.
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
  std::string reason;   // for a refusal: what is wrong (no payload data)
  NewChange change;     // for REFUSAL_NONE: ready to store
};

// One change: its form, id, link and signature. `max_size` bounds the serialized change:
// wire::kMaxWholeChangeBytes for a change pushed whole, the relay's max_change_bytes for one
// reassembled from parts.
CheckResult CheckPushedChange(const pb::Change& change, crypto::ByteView vault,
                              std::size_t max_size = wire::kMaxWholeChangeBytes);

// The changes of one Push, each pushed whole, with the same verdicts as CheckPushedChange
// one by one, but with fewer signature verifications: a change whose successor in the push
// is authenticated and links to it (the link covers its id and signature) is vouched for,
// so one signature per author's run is verified. Result i is for changes[i].
std::vector<CheckResult> CheckPushedChanges(const google::protobuf::RepeatedPtrField<pb::Change>& changes,
                                            crypto::ByteView vault);

}  // namespace parley::relay
