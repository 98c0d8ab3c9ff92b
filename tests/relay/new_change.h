// A test change (test_changes.h) as the relay hands it to its storage.
#pragma once

#include "parley/relay/relay_storage.h"
#include "test_changes.h"

namespace parley::testing {

inline relay::NewChange NewChangeOf(const pb::Change& c, const crypto::Bytes& vault) {
  pb::ChangeHeader h;
  h.ParseFromString(c.header());
  relay::NewChange n;
  n.vault = vault;
  n.id = ChangeIdOf(c);
  n.author.assign(h.author().begin(), h.author().end());
  n.author_seq = h.seq();
  n.prev.assign(h.prev().begin(), h.prev().end());
  n.link = ChangeLinkOf(n.id, c.signature());
  c.SerializeToString(&n.data);
  return n;
}

}  // namespace parley::testing
