// The rules every party applies to a received change, in one place (docs/change-format.md):
// devices when they apply changes, relays when they accept a push.
//
//   id        = BLAKE2b-256("parley/change-id/v1" || le64(len(header)) || header || body)
//   signature = Ed25519(header.author, "parley/change/v1" || id)
//   link      = BLAKE2b-256("parley/change-link/v1" || id || signature)
//   header.prev of change seq (seq > 1) = link of the same author's change seq - 1
//
// Because a link covers the previous change's signature as well as its id, a verified
// signature on an author's change authenticates every change (and signature) it reaches
// through its chain of links.
//
// Thread safety: pure functions, any thread.
#pragma once

#include <string_view>

#include "parley/change.pb.h"
#include "parley/core/crypto.h"
#include "parley/core/replica.h"

namespace parley::log {

// The chain link of a change: what the author's next change carries as header.prev.
using ChangeLink = ChangeId;

// A received change whose header parsed and whose id was computed (and, from CheckChange,
// whose signature verified).
struct CheckedChange {
  pb::ChangeHeader header;
  ChangeId id{};
};

// The form of the header (sizes, seq range, prev present exactly when seq > 1, body size)
// against `vault`, and the id. No signature check. Code::kCorrupt with a message naming the
// fault; Code::kInvalidArgument ("another vault") when the vault id differs.
Result<CheckedChange> CheckChangeForm(const pb::Change& change, crypto::ByteView vault);

// Verifies the change's signature over `checked.id` with `checked.header.author()`.
// Code::kCorrupt ("the signature does not verify (seq N)") when it does not.
Status VerifyChangeSignature(const pb::Change& change, const CheckedChange& checked);

// CheckChangeForm, then VerifyChangeSignature.
Result<CheckedChange> CheckChange(const pb::Change& change, crypto::ByteView vault);

// The id of a change (no other check).
ChangeId ChangeIdOf(const pb::Change& change);

// The link of a change with id `id` and signature `signature` (64 bytes).
ChangeLink ChangeLinkOf(const ChangeId& id, std::string_view signature);

}  // namespace parley::log
