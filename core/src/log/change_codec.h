// The change codec: sealing a local change (encrypt, hash, sign) and checking a received one.
//
// Layout and rules (docs/change-format.md):
//   id        = BLAKE2b-256("parley/change-id/v1" || le64(len(header)) || header || body)
//   signature = Ed25519(author, "parley/change/v1" || id)
//   body      = XChaCha20-Poly1305(epoch key, header.nonce, padded ChangeBody, ad = header bytes)
//               (padding: body_padding.h)
//   link      = BLAKE2b-256("parley/change-link/v1" || id || signature); header.prev of
//               seq > 1 is the link of seq - 1
// Checking is split in two steps so that a receiver can reject a forgery before it looks
// for keys: CheckChange (header sanity, id, signature) and OpenBody (decrypt and parse).
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstdint>

#include "parley/change.pb.h"
#include "parley/core/change_rules.h"
#include "parley/core/crypto.h"
#include "parley/core/replica.h"

namespace parley::log {

// What a sealed change needs besides its body.
struct SealParams {
  crypto::ByteView vault;  // 32 bytes
  const crypto::SignKeyPair* author = nullptr;
  std::uint64_t seq = 0;  // 1-based
  crypto::ByteView prev;  // link of seq-1 (ChangeLinkOf), empty when seq == 1
  std::uint32_t epoch = 0;
  crypto::ByteView epoch_key;  // 32 bytes
};

// Pads, encrypts and signs `body`. On success `out` holds the change and `id` its id.
// Code::kInvalidArgument when the padded body would exceed kMaxChangeBodySize.
Status SealChange(const SealParams& params, const pb::ChangeBody& body, pb::Change* out,
                  ChangeId* id);

// Checking a received change (form, id, signature, link): parley/core/change_rules.h.

// Decrypts the body of a checked change, strips its padding, parses it and checks its
// sanity (record ids, op id references, limits, the clock's range, and that every
// originating create is the author's own: record_identity.h). Code::kCorrupt on any
// failure.
Result<pb::ChangeBody> OpenBody(const pb::Change& change, crypto::ByteView epoch_key);
// The same, for a change whose header was already parsed (by CheckChange).
Result<pb::ChangeBody> OpenBody(const pb::Change& change, const pb::ChangeHeader& header,
                                crypto::ByteView epoch_key);
// The same, parsing into `out` (which may live on an arena). On failure `out` holds
// nothing that may be used.
Status OpenBodyInto(const pb::Change& change, const pb::ChangeHeader& header,
                    crypto::ByteView epoch_key, pb::ChangeBody* out);

ChangeId ComputeChangeId(crypto::ByteView header, crypto::ByteView body);

}  // namespace parley::log
