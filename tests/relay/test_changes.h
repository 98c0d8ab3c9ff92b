// Builds signed changes for relay tests by the rules of docs/change-format.md (the body is
// random bytes: the relay never decrypts it), one author's chain at a time.
#pragma once

#include <string>
#include <vector>

#include "parley/change.pb.h"
#include "parley/core/crypto.h"

namespace parley::testing {

struct Chain {
  Chain() = default;
  Chain(const crypto::SignKeyPair* a, crypto::Bytes v) : author(a), vault(std::move(v)) {}
  const crypto::SignKeyPair* author = nullptr;
  crypto::Bytes vault;
  std::uint64_t seq = 0;    // of the last change made
  crypto::Bytes last_id;    // of the last change made
  crypto::Bytes last_link;  // of the last change made (the next one's prev)

  // The next change of the chain (body of `body_size` random bytes). Its id in `id_out`.
  pb::Change Next(std::size_t body_size = 64, crypto::Bytes* id_out = nullptr);
};

// The id of a change by the documented rule.
crypto::Bytes ChangeIdOf(const pb::Change& change);

// The link of a change (what the author's next change carries as prev), by the documented rule.
crypto::Bytes ChangeLinkOf(const crypto::Bytes& id, const std::string& signature);

// A change with explicit fields (for forged or broken ones).
pb::Change MakeChange(const crypto::SignKeyPair& author, const crypto::Bytes& vault,
                      std::uint64_t seq, const crypto::Bytes& prev, std::size_t body_size);

}  // namespace parley::testing
