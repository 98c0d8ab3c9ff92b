#include "change_check.h"

#include <map>

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
  if (change.ByteSizeLong() > max_size) return Refuse(pb::REFUSAL_TOO_LARGE, "the change is too large");
  auto form = log::CheckChangeForm(change, vault);
  if (!form.ok()) {
    const bool other_vault = form.status().code() == Code::kInvalidArgument;
    return Refuse(other_vault ? pb::REFUSAL_WRONG_VAULT : pb::REFUSAL_MALFORMED, Reason(form.status()));
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

std::vector<CheckResult> CheckPushedChanges(const google::protobuf::RepeatedPtrField<pb::Change>& changes,
                                            crypto::ByteView vault) {
  const auto n = static_cast<std::size_t>(changes.size());
  std::vector<CheckResult> out(n);
  std::vector<log::CheckedChange> forms(n);
  // (author, seq) -> index of the well-formed change with that number; -1 when the push
  // holds it twice (then neither vouches for anything).
  std::map<std::pair<Bytes, std::uint64_t>, long> by_number;
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = CheckForm(changes[static_cast<int>(i)], vault, wire::kMaxWholeChangeBytes, &forms[i]);
    if (out[i].refusal != pb::REFUSAL_NONE) continue;
    auto [it, fresh] = by_number.try_emplace({out[i].change.author, out[i].change.author_seq}, static_cast<long>(i));
    if (!fresh) it->second = -1;
  }
  // From each author's newest change down: a change whose successor in the push is
  // authenticated and links to it is vouched for; every other one has its signature
  // verified (in practice: the newest of each run).
  std::vector<bool> authentic(n, false);
  for (auto it = by_number.rbegin(); it != by_number.rend(); ++it) {
    if (it->second < 0) continue;
    const auto i = static_cast<std::size_t>(it->second);
    auto next = by_number.find({it->first.first, it->first.second + 1});
    if (next != by_number.end() && next->second >= 0) {
      const auto j = static_cast<std::size_t>(next->second);
      if (authentic[j] && out[j].change.prev == out[i].change.link) {
        authentic[i] = true;
        continue;
      }
    }
    if (Status s = log::VerifyChangeSignature(changes[static_cast<int>(i)], forms[i]); !s.ok()) {
      out[i] = Refuse(pb::REFUSAL_BAD_SIGNATURE, Reason(s));
      continue;
    }
    authentic[i] = true;
  }
  // A change pushed twice in one push is checked on its own.
  for (std::size_t i = 0; i < n; ++i) {
    if (out[i].refusal != pb::REFUSAL_NONE || authentic[i]) continue;
    if (Status s = log::VerifyChangeSignature(changes[static_cast<int>(i)], forms[i]); !s.ok()) {
      out[i] = Refuse(pb::REFUSAL_BAD_SIGNATURE, Reason(s));
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (out[i].refusal == pb::REFUSAL_NONE) changes[static_cast<int>(i)].SerializeToString(&out[i].change.data);
  }
  return out;
}

CheckResult CheckPushedChange(const pb::Change& change, crypto::ByteView vault, std::size_t max_size) {
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
