#include "relay/change_check.h"

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

}  // namespace

CheckResult CheckPushedChange(const pb::Change& change, crypto::ByteView vault, std::size_t max_size) {
  if (change.ByteSizeLong() > max_size) return Refuse(pb::REFUSAL_TOO_LARGE, "the change is too large");
  auto form = log::CheckChangeForm(change, vault);
  if (!form.ok()) {
    const bool other_vault = form.status().code() == Code::kInvalidArgument;
    return Refuse(other_vault ? pb::REFUSAL_WRONG_VAULT : pb::REFUSAL_MALFORMED, Reason(form.status()));
  }
  if (Status s = log::VerifyChangeSignature(change, *form); !s.ok()) {
    return Refuse(pb::REFUSAL_BAD_SIGNATURE, Reason(s));
  }
  const pb::ChangeHeader& h = form->header;
  const log::ChangeLink link = log::ChangeLinkOf(form->id, change.signature());
  CheckResult out;
  out.change.vault.assign(vault.begin(), vault.end());
  out.change.id.assign(form->id.begin(), form->id.end());
  out.change.author.assign(h.author().begin(), h.author().end());
  out.change.author_seq = h.seq();
  out.change.prev.assign(h.prev().begin(), h.prev().end());
  out.change.link.assign(link.begin(), link.end());
  change.SerializeToString(&out.change.data);
  return out;
}

}  // namespace parley::relay
