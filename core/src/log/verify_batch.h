// The result of ReplicaImpl::VerifyBatch (verify_batch.cc): the changes of a received batch
// that this replica does not hold yet, each authenticated and with its body opened.
#pragma once

#include <cstddef>
#include <vector>

#include "parley/change.pb.h"
#include "parley/core/change_rules.h"

namespace parley::log {

struct VerifiedChange {
  const pb::Change* change;  // points into the caller's batch
  CheckedChange checked;
  pb::ChangeBody* body;      // on the caller's arena; null while this device lacks its epoch key
  bool quarantined = false;  // its body does not open with the key held (body is null)
};

struct VerifiedBatch {
  std::vector<ChangeId> ids;            // of every change of the batch, in batch order
  std::vector<VerifiedChange> changes;  // fresh changes, in batch order
  std::size_t duplicates = 0;           // already held, or repeated in the batch
  // Held duplicates that carry key slots, with their ids: a slot this device lacks may come
  // with them (ReplicaImpl::FillMissingSlots).
  std::vector<std::pair<const pb::Change*, ChangeId>> held_with_slots;
  std::size_t signatures_verified = 0;  // signatures checked (the rest were vouched for by links)
};

}  // namespace parley::log
