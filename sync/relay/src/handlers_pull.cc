// Pull (docs/wire-protocol.md, §7 and "Rollback"). The answer is read on the storage reader
// thread in one go: the vault's head, the cursor check, the changes after the cursor and,
// when they are the last ones, the author heads.
//
// Cursor check: a Pull with after_seq > 0 and an after_change_id is answered `rewound`
// (no changes) unless the relay holds that very change at relay_seq after_seq; the history
// the device pulled from is then not this relay's (it was restored from an older copy, or
// is another relay's). Without after_change_id the cursor is taken as it is.
//
// Heads ride on the last batch of every pull (more == false): rewound, up to date, or after
// the last changes. When they do not fit beside the batch's changes, the batch says `more`
// and goes without them; the next Pull (after those changes) is answered with no changes
// and the heads, which always fit an otherwise empty batch (tuning::kMaxPullHeads).
#include <algorithm>

#include "connection.h"
#include "log.h"
#include "parley/relay/tuning.h"
#include "pull_heads.h"

namespace parley::relay {
namespace {

using tuning::kBatchOverhead;
using tuning::kMaxPullBytes;
using tuning::kMaxPullChanges;
using tuning::kRetryAfterStorageErrorMs;

crypto::ByteView View(const std::string& s) { return crypto::AsBytes(s); }

// Whether a stored change fits alone in one PullBatch frame. Every change pushed whole
// (at most wire::kMaxWholeChangeBytes) does (tuning.h checks it).
bool FitsOneBatch(const ChangeRow& row) {
  return row.data.size() + kBatchOverhead <= wire::kMaxFramePlaintext;
}

struct Answer {
  std::uint64_t head = 0;
  bool rewound = false;
  std::vector<ChangeRow> rows;
  bool more = false;
  std::vector<AuthorHead> heads;  // read when no stored change is left after `rows`
};

}  // namespace

asio::awaitable<void> Connection::HandlePull(std::uint64_t id, const pb::Pull& pull) {
  auto view = co_await RequireMember(id, pull.vault(), false);
  if (!view) co_return;
  const bool check_cursor = pull.after_seq() > 0 && !pull.after_change_id().empty();
  if (check_cursor && pull.after_change_id().size() != 32) {
    SendError(id, pb::ERROR_MALFORMED, "after_change_id is a 32-byte change id");
    co_return;
  }
  const std::size_t budget = pull.max_bytes() == 0
                                 ? kMaxPullBytes
                                 : std::min<std::size_t>(pull.max_bytes(), kMaxPullBytes);
  // The storage task keeps its own copy.
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
  const std::string vault = pull.vault();
  const std::uint64_t after = pull.after_seq();
  const std::string after_id = check_cursor ? pull.after_change_id() : std::string();
  auto fn = [vault, after, after_id, budget](RelayStorage& s) -> Result<Answer> {
    Answer a;
    PARLEY_ASSIGN_OR_RETURN(VaultInfo info, s.GetVault(View(vault)));
    a.head = info.head_seq;
    if (!after_id.empty()) {
      PARLEY_ASSIGN_OR_RETURN(std::optional<Bytes> held, s.ChangeIdAt(View(vault), after));
      if (!held || !crypto::ConstantTimeEqual(*held, View(after_id))) {
        a.rewound = true;
        PARLEY_ASSIGN_OR_RETURN(a.heads, s.AuthorHeads(View(vault)));
        return a;
      }
    }
    PARLEY_ASSIGN_OR_RETURN(a.rows,
                            s.ReadChanges(View(vault), after, budget, kMaxPullChanges, &a.more));
    if (!a.more) {
      PARLEY_ASSIGN_OR_RETURN(a.heads, s.AuthorHeads(View(vault)));
    }
    return a;
  };
  auto got = co_await Call<Result<Answer>>(ctx_.storage, false, std::move(fn));
  if (!got.ok()) {
    ctx_.metrics.storage_errors.fetch_add(1, std::memory_order_relaxed);
    SendError(id, pb::ERROR_UNAVAILABLE, "storage unavailable", kRetryAfterStorageErrorMs);
    co_return;
  }
  pb::Frame answer;
  answer.set_id(id);
  auto* batch = answer.mutable_pull_batch();
  if (got->rewound) {
    batch->set_rewound(true);
    batch->set_head_seq(got->head);
    SetPullHeads(batch, got->heads, device_);
    LogInfo(
        "pull_rewound",
        {{"conn", id_}, {"device", device_hex_}, {"after_seq", after}, {"head_seq", got->head}});
    SendFrame(answer);
    co_return;
  }
  const std::uint64_t last = got->rows.empty() ? 0 : got->rows.back().relay_seq;
  if (!got->rows.empty() && !FitsOneBatch(got->rows.front())) {
    // A change only the parts path can carry is served alone (the budget may be exceeded
    // by this one change); rows after it are left for the next Pull.
    const bool more = got->more || got->rows.size() > 1;
    co_await ServeInParts(id, got->rows.front(), std::max(got->head, got->rows.front().relay_seq),
                          more, got->heads);
    co_return;
  }
  for (const ChangeRow& row : got->rows) {
    pb::StoredChange* sc = batch->add_changes();
    sc->set_relay_seq(row.relay_seq);
    sc->mutable_change()->ParseFromString(row.data);
  }
  batch->set_more(got->more);
  batch->set_head_seq(std::max(got->head, last));
  while (answer.ByteSizeLong() > wire::kMaxFramePlaintext && batch->changes_size() > 1) {
    batch->mutable_changes()->RemoveLast();
    batch->set_more(true);
  }
  if (!batch->more()) {
    SetPullHeads(batch, got->heads, device_);
    if (answer.ByteSizeLong() > wire::kMaxFramePlaintext) {
      batch->clear_heads();
      batch->set_more(true);
    }
  }
  ctx_.metrics.changes_served.fetch_add(static_cast<std::uint64_t>(batch->changes_size()),
                                        std::memory_order_relaxed);
  SendFrame(answer);
}

}  // namespace parley::relay
