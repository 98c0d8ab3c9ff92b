#include "change_check.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "parley/core/change_rules.h"

namespace parley::relay {
namespace {

CheckResult Refuse(pb::Refusal r, std::string reason) {
  CheckResult out;
  out.refusal = r;
  out.reason = std::move(reason);
  return out;
}

// The core's message without its "change rejected: " prefix.
std::string Reason(const Status& s) {
  constexpr std::string_view kPrefix = "change rejected: ";
  std::string m = s.message();
  if (m.rfind(kPrefix, 0) == 0) m.erase(0, kPrefix.size());
  return m;
}

// The form and id of `change` (no signature check); `form` receives the parsed header.
CheckResult CheckForm(const pb::Change& change, crypto::ByteView vault, std::size_t max_size,
                      log::CheckedChange* form_out) {
  if (change.ByteSizeLong() > max_size)
    return Refuse(pb::REFUSAL_TOO_LARGE, "the change is too large");
  auto form = log::CheckChangeForm(change, vault);
  if (!form.ok()) {
    const bool other_vault = form.status().code() == Code::kInvalidArgument;
    return Refuse(other_vault ? pb::REFUSAL_WRONG_VAULT : pb::REFUSAL_MALFORMED,
                  Reason(form.status()));
  }
  *form_out = std::move(form).value();
  CheckResult out;
  const pb::ChangeHeader& h = form_out->header;
  const log::ChangeLink link = log::ChangeLinkOf(form_out->id, change.signature());
  out.change.vault.assign(vault.begin(), vault.end());
  out.change.id.assign(form_out->id.begin(), form_out->id.end());
  out.change.author.assign(h.author().begin(), h.author().end());
  out.change.author_seq = h.seq();
  out.change.prev.assign(h.prev().begin(), h.prev().end());
  out.change.link.assign(link.begin(), link.end());
  return out;
}

}  // namespace

std::vector<CheckResult> CheckPushedChanges(
    const google::protobuf::RepeatedPtrField<pb::Change>& changes, crypto::ByteView vault) {
  const auto n = static_cast<std::size_t>(changes.size());
  std::vector<CheckResult> out(n);
  // The chain fields of each well-formed change, kept when its signature is refused.
  std::vector<NewChange> formed(n);
  std::vector<bool> well_formed(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const pb::Change& change = changes[static_cast<int>(i)];
    log::CheckedChange form;
    out[i] = CheckForm(change, vault, wire::kMaxWholeChangeBytes, &form);
    if (out[i].refusal != pb::REFUSAL_NONE) continue;
    well_formed[i] = true;
    formed[i] = out[i].change;
    if (Status s = log::VerifyChangeSignature(change, form); !s.ok())
      out[i] = Refuse(pb::REFUSAL_BAD_SIGNATURE, Reason(s));
  }
  // A change whose prev is the link of a refused change of its author (refused for its
  // signature, or itself for this reason) extends no chain the relay will hold: it is refused
  // here, never stored. Walked in (author, seq) order, whatever the order in the push.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < n; ++i) {
    if (well_formed[i]) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return std::tie(formed[x].author, formed[x].author_seq, x) <
           std::tie(formed[y].author, formed[y].author_seq, y);
  });
  std::set<std::pair<Bytes, Bytes>> refused;  // (author, link) of refused changes
  for (std::size_t i : order) {
    if (out[i].refusal == pb::REFUSAL_NONE &&
        refused.count({formed[i].author, formed[i].prev}) > 0) {
      out[i] = Refuse(pb::REFUSAL_BROKEN_CHAIN, "its predecessor in this push was refused");
    }
    if (out[i].refusal != pb::REFUSAL_NONE) refused.emplace(formed[i].author, formed[i].link);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (out[i].refusal == pb::REFUSAL_NONE)
      changes[static_cast<int>(i)].SerializeToString(&out[i].change.data);
  }
  return out;
}

CheckResult CheckPushedChange(const pb::Change& change, crypto::ByteView vault,
                              std::size_t max_size) {
  log::CheckedChange form;
  CheckResult out = CheckForm(change, vault, max_size, &form);
  if (out.refusal != pb::REFUSAL_NONE) return out;
  if (Status s = log::VerifyChangeSignature(change, form); !s.ok()) {
    return Refuse(pb::REFUSAL_BAD_SIGNATURE, Reason(s));
  }
  change.SerializeToString(&out.change.data);
  return out;
}

}  // namespace parley::relay
