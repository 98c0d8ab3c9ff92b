// PullBatch.heads (docs/wire-protocol.md, "Rollback"): on the last batch of a pull, the
// highest seq the relay holds of each author of the vault, so a device can see which of its
// own changes the relay lacks. At most tuning::kMaxPullHeads entries; the pulling device's
// own head comes first when the relay holds any of its changes, then the others by author.
// Thread safety: pure function.
#pragma once

#include <vector>

#include "parley/relay/relay_storage.h"
#include "parley/wire.pb.h"

namespace parley::relay {

// Sets batch->heads from `heads` (ordered by author) for the device `device`.
void SetPullHeads(pb::PullBatch* batch, const std::vector<AuthorHead>& heads, const Bytes& device);

}  // namespace parley::relay
