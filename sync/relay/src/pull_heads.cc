#include "pull_heads.h"

#include "parley/relay/tuning.h"

namespace parley::relay {

void SetPullHeads(pb::PullBatch* batch, const std::vector<AuthorHead>& heads, const Bytes& device) {
  batch->clear_heads();
  auto add = [batch](const AuthorHead& h) {
    pb::AuthorHead* out = batch->add_heads();
    out->set_author(h.author.data(), h.author.size());
    out->set_seq(h.seq);
  };
  for (const AuthorHead& h : heads) {
    if (h.author == device) add(h);
  }
  for (const AuthorHead& h : heads) {
    if (static_cast<std::size_t>(batch->heads_size()) >= tuning::kMaxPullHeads) break;
    if (h.author != device) add(h);
  }
}

}  // namespace parley::relay
