// Verifying a batch of received changes before any is applied (docs/change-format.md,
// "Checking a received change").
//
// Every change's form, id and chain links are checked, and every change's own signature is
// verified (on two threads for a large batch), so that no change is accepted on the word of
// the one after it. Where a link does not match, the signatures involved are verified
// first, so that a tampered change is reported as such (kCorrupt) and a real fork as a fork
// (kConflict).
#include <cstring>
#include <map>
#include <thread>
#include <unordered_map>

#include "log/change_codec.h"
#include "log/replica_impl.h"
#include "log/verify_batch.h"

namespace parley::log {
namespace {

// Batches of at least this many fresh changes verify their signatures on two threads.
constexpr std::size_t kParallelVerifyMin = 32;

crypto::ByteView Bv(std::string_view s) { return crypto::AsBytes(s); }

bool SameBytes(const ChangeLink& a, std::string_view b) {
  return b.size() == a.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

Status Fork(std::string_view author_key, std::uint64_t seq, std::string_view what) {
  const std::string author_hex = crypto::ToHex(Bv(author_key));
  return Error(Domain::kLog, Code::kConflict,
               "change rejected: device " + author_hex.substr(0, 16) + " seq " +
                   std::to_string(seq) + " " + std::string(what) + " (a forked or forged chain)");
}

// What the batch holds of one (author, seq) that is not a duplicate.
struct Entry {
  std::size_t fresh_index;  // into VerifiedBatch::changes
  ChangeLink link;
};

}  // namespace

Result<VerifiedBatch> ReplicaImpl::VerifyBatch(std::span<const pb::Change> changes,
                                               google::protobuf::Arena* arena) {
  VerifiedBatch out;
  out.ids.reserve(changes.size());
  // Authors are numbered in order of appearance in the batch.
  std::unordered_map<std::string, std::uint64_t> batch_authors;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Entry> batch;
  const auto where = [&](std::size_t i) {
    return "change " + std::to_string(i + 1) + " of " + std::to_string(changes.size());
  };
  const auto index_of = [&](const VerifiedChange& v) {
    return static_cast<std::size_t>(v.change - changes.data());
  };
  // A fork is reported only for a change whose own signature holds; a change that does not
  // verify is a forgery (kCorrupt), whatever it claims.
  const auto refuse = [&](const pb::Change& c, const CheckedChange& checked, std::size_t i,
                          std::string_view what) -> Status {
    if (Status s = VerifyChangeSignature(c, checked); !s.ok()) return s.Annotate(where(i));
    return Fork(checked.header.author(), checked.header.seq(), what);
  };

  for (std::size_t i = 0; i < changes.size(); ++i) {
    const pb::Change& c = changes[i];
    auto form = CheckChangeForm(c, Bv(vault_id_));
    if (!form.ok()) return form.status().Annotate(where(i));
    CheckedChange checked = std::move(form).value();
    const pb::ChangeHeader& h = checked.header;
    const std::uint64_t bauthor =
        batch_authors.try_emplace(h.author(), batch_authors.size()).first->second;
    out.ids.push_back(checked.id);
    PARLEY_ASSIGN_OR_RETURN(auto held, Held(FindAuthor(h.author()), h.seq()));
    if (held.has_value()) {
      if (held->id != checked.id)
        return refuse(c, checked, i, "differs from the change held with that number");
      ++out.duplicates;
      if (c.key_slots_size() > 0) out.held_with_slots.emplace_back(&c, checked.id);
      continue;
    }
    if (auto b = batch.find({bauthor, h.seq()}); b != batch.end()) {
      if (out.changes[b->second.fresh_index].checked.id != checked.id) {
        return refuse(c, checked, i, "appears twice with different contents");
      }
      ++out.duplicates;
      continue;
    }
    batch[{bauthor, h.seq()}] = Entry{out.changes.size(), ChangeLinkOf(checked.id, c.signature())};
    out.changes.push_back(VerifiedChange{&c, std::move(checked), nullptr});
  }

  // Links, once the batch's own changes are all known: each change against the one before it
  // (in the batch, else held), and against a held successor when the batch has none (a
  // successor in the batch checks its own link back). So a run of consecutive changes reads
  // only the held neighbours at its two ends.
  for (std::size_t k = 0; k < out.changes.size(); ++k) {
    const VerifiedChange& v = out.changes[k];
    const pb::ChangeHeader& h = v.checked.header;
    const std::uint64_t bauthor = batch_authors.at(h.author());
    const std::int64_t aid = FindAuthor(h.author());
    const std::size_t i = index_of(v);
    const ChangeLink& link = batch.at({bauthor, h.seq()}).link;
    if (h.seq() > 1) {
      std::optional<ChangeLink> prev_link;
      auto b = batch.find({bauthor, h.seq() - 1});
      if (b != batch.end()) {
        prev_link = b->second.link;
      } else {
        PARLEY_ASSIGN_OR_RETURN(auto before, Held(aid, h.seq() - 1));
        if (before.has_value()) prev_link = before->link;
      }
      if (prev_link.has_value() && !SameBytes(*prev_link, h.prev())) {
        if (b != batch.end()) {
          // The predecessor in the batch may be the tampered one.
          const VerifiedChange& p = out.changes[b->second.fresh_index];
          if (Status s = VerifyChangeSignature(*p.change, p.checked); !s.ok())
            return s.Annotate(where(index_of(p)));
        }
        return refuse(*v.change, v.checked, i, "does not link to the change before it");
      }
    }
    if (batch.count({bauthor, h.seq() + 1}) > 0) continue;
    PARLEY_ASSIGN_OR_RETURN(auto after, Held(aid, h.seq() + 1));
    if (!after.has_value()) continue;
    if (after->prev != link)
      return refuse(*v.change, v.checked, i, "is not the change the next one links to");
  }

  // Signatures: every change's own, the batch split between this thread and one more (the
  // second core) when it is large enough to pay for the thread.
  {
    const std::size_t n = out.changes.size();
    std::vector<Status> results(n);
    auto verify = [&](std::size_t from, std::size_t to) {
      for (std::size_t k = from; k < to; ++k) {
        results[k] = VerifyChangeSignature(*out.changes[k].change, out.changes[k].checked);
      }
    };
    if (n >= kParallelVerifyMin) {
      const std::size_t half = n / 2;
      std::thread other(verify, half, n);
      verify(0, half);
      other.join();
    } else {
      verify(0, n);
    }
    for (std::size_t k = 0; k < n; ++k) {
      if (!results[k].ok()) return results[k].Annotate(where(index_of(out.changes[k])));
    }
    out.signatures_verified = n;
  }
  // Bodies, once every change in the batch is authenticated.
  for (VerifiedChange& v : out.changes) {
    const pb::ChangeHeader& h = v.checked.header;
    const store::VaultKey* key = EpochKey(h.epoch());
    if (key == nullptr) continue;  // stored unread until its epoch key arrives (docs/membership.md)
    v.body = google::protobuf::Arena::CreateMessage<pb::ChangeBody>(arena);
    // Authenticated but unreadable: quarantined, so that no member can stop the others' sync.
    if (Status opened = OpenBodyInto(*v.change, h, key->key.view(), v.body); !opened.ok()) {
      v.body = nullptr;
      v.quarantined = true;
    }
  }
  return out;
}

}  // namespace parley::log
