// The brief's queries: the bottom-line report, the stall signal and the campaign warning.
// The exact rules are written in docs/model.md; keep the two in step.
#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "parley/core/model.h"

namespace parley::model {
namespace {

bool Has(const std::vector<RecordId>& ids, const RecordId& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A commitment covers an element only when every surviving version of its status is
// "agreed" or "signed": a conflict between "agreed" and "withdrawn" does not count.
bool Binding(const log::Record& commitment) {
  const log::Field* f = commitment.field("status");
  if (f == nullptr || f->values.empty()) return false;
  return std::all_of(f->values.begin(), f->values.end(),
                     [](const log::Value& v) { return v.data == "agreed" || v.data == "signed"; });
}

// Proposed or countered in some surviving version, and not binding.
bool Pending(const log::Record& commitment) {
  const log::Field* f = commitment.field("status");
  if (f == nullptr || Binding(commitment)) return false;
  return std::any_of(f->values.begin(), f->values.end(), [](const log::Value& v) {
    return v.data == "proposed" || v.data == "countered";
  });
}

// Of kind `form` in every surviving version.
bool OfKind(const log::Record& commitment, std::string_view form) {
  const log::Field* f = commitment.field("kind");
  if (f == nullptr || f->values.empty()) return false;
  return std::all_of(f->values.begin(), f->values.end(),
                     [&](const log::Value& v) { return v.data == form; });
}

// How a binding commitment's amount stands against `minimum`: every surviving version at or
// above it (kEqual), some below (kLess), or some not comparable (absent, unreadable, or in
// another currency, unit or kind of value): kNotComparable wins over kLess.
Comparison AgainstMinimum(const log::Record& commitment, const MoneyValue& minimum) {
  const log::Field* f = commitment.field("amount");
  if (f == nullptr || f->values.empty()) return Comparison::kNotComparable;
  Comparison worst = Comparison::kEqual;
  for (const auto& v : f->values) {
    auto value = ParseValue(v.data);
    const Comparison c = value.ok() ? CompareValues(*value, minimum) : Comparison::kNotComparable;
    if (c == Comparison::kNotComparable) return c;
    if (c == Comparison::kLess) worst = Comparison::kLess;
  }
  return worst;
}

// Checks one stored requirement item against the negotiation's commitments (oldest first).
RequirementStatus Check(std::string_view item, const std::vector<log::Record>& commitments) {
  RequirementStatus s;
  auto parsed = ParseFormRequirement(item);
  if (!parsed.ok()) {  // a damaged or foreign item: shown as stored, never met
    s.form = std::string(item);
    return s;
  }
  s.form = parsed->form;
  s.minimum = parsed->minimum;
  std::optional<MoneyValue> minimum;
  if (!s.minimum.empty()) {
    auto value = ParseValue(s.minimum);
    if (value.ok()) minimum = *value;
  }
  bool below = false;
  for (const auto& c : commitments) {
    if (!OfKind(c, s.form)) continue;
    if (Pending(c)) {
      s.pending.push_back(c.id);
      continue;
    }
    if (!Binding(c)) continue;
    const Comparison against = minimum ? AgainstMinimum(c, *minimum) : Comparison::kEqual;
    if (against == Comparison::kEqual || against == Comparison::kGreater) {
      s.meeting.push_back(c.id);
    } else {
      s.short_of.push_back(c.id);
      below = below || against == Comparison::kLess;
    }
  }
  if (!s.meeting.empty()) {
    s.verdict = RequirementVerdict::kMet;
  } else if (!s.short_of.empty()) {
    s.verdict = below ? RequirementVerdict::kBelowMinimum : RequirementVerdict::kNotComparable;
  } else if (!s.pending.empty()) {
    s.verdict = RequirementVerdict::kPending;
  } else {
    s.verdict = RequirementVerdict::kMissing;
  }
  return s;
}

bool Signed(const log::Record& commitment) {
  const log::Field* f = commitment.field("status");
  if (f == nullptr) return false;
  return std::all_of(f->values.begin(), f->values.end(),
                     [](const log::Value& v) { return v.data == "signed"; });
}

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kNoBottomLine:
      return "no_bottom_line";
    case Verdict::kMeets:
      return "meets";
    case Verdict::kWalkAway:
      return "walk_away";
  }
  return "unknown";
}

std::string_view RequirementVerdictName(RequirementVerdict verdict) {
  switch (verdict) {
    case RequirementVerdict::kMet:
      return "met";
    case RequirementVerdict::kBelowMinimum:
      return "below_minimum";
    case RequirementVerdict::kNotComparable:
      return "not_comparable";
    case RequirementVerdict::kPending:
      return "pending";
    case RequirementVerdict::kMissing:
      return "missing";
  }
  return "unknown";
}

std::string_view CampaignWarningName(CampaignWarningCode warning) {
  switch (warning) {
    case CampaignWarningCode::kNone:
      return "none";
    case CampaignWarningCode::kEndedWithoutAgreement:
      return "ended_without_agreement";
    case CampaignWarningCode::kPausedWithoutAgreement:
      return "paused_without_agreement";
  }
  return "unknown";
}

Result<std::vector<ElementStatus>> Model::Elements(const NegotiationOverview& o) {
  std::map<RecordId, const log::Record*> commitments;
  for (const auto& c : o.commitments) commitments[c.id] = &c;
  std::vector<ElementStatus> out;
  for (const auto& e : o.elements) {
    ElementStatus s;
    s.id = e.id;
    s.element = e.get("element");
    // Every surviving version of the forms counts: a requirement written on one device is
    // not dropped by a concurrent edit on another.
    const log::Field* form_field = e.field("forms");
    if (form_field) {
      for (const auto& version : form_field->values) {
        const std::string& forms = version.data;
        std::size_t start = 0;
        while (start < forms.size()) {
          std::size_t comma = std::min(forms.find(',', start), forms.size());
          std::string item = forms.substr(start, comma - start);
          if (comma > start && std::find(s.forms.begin(), s.forms.end(), item) == s.forms.end()) {
            s.forms.push_back(item);
          }
          start = comma + 1;
        }
      }
    }
    for (const auto& item : s.forms) s.requirements.push_back(Check(item, o.commitments));
    const log::Field* links = e.field("covered_by");
    const log::Field* name = e.field("element");
    s.conflicted = (links && links->conflicted()) || (name && name->conflicted()) ||
                   (form_field && form_field->conflicted());
    // Covered only when covered under every surviving version of the links.
    bool every_version_covered = links != nullptr;
    if (links) {
      for (const auto& version : links->values) {
        PARLEY_ASSIGN_OR_RETURN(auto ids, ParseIdList(version.data));
        bool this_version = false;
        for (const auto& id : ids) {
          if (!Has(s.linked, id)) s.linked.push_back(id);
          auto it = commitments.find(id);
          if (it == commitments.end()) continue;  // deleted, or of another negotiation
          const log::Field* st = it->second->field("status");
          if (st && st->conflicted()) s.conflicted = true;
          if (Binding(*it->second)) {
            this_version = true;
            if (!Has(s.covering, id)) s.covering.push_back(id);
          }
        }
        every_version_covered = every_version_covered && this_version;
      }
    }
    s.covered = every_version_covered;
    if (!s.requirements.empty()) {
      // The forms decide: each must be met on its own; the links only show what was meant.
      s.covered = std::all_of(
          s.requirements.begin(), s.requirements.end(),
          [](const RequirementStatus& r) { return r.verdict == RequirementVerdict::kMet; });
      s.covering.clear();
      for (const auto& r : s.requirements) {
        for (const auto& id : r.meeting) {
          if (!Has(s.covering, id)) s.covering.push_back(id);
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<StallSignal> Model::StallOf(const NegotiationOverview& o,
                                   const std::vector<ElementStatus>& elements) {
  StallSignal signal;
  signal.sessions = o.sessions.size();
  if (o.sessions.size() < kStallSessions) return signal;
  const log::Record& boundary = o.sessions[o.sessions.size() - kStallSessions];
  signal.since = boundary.get("date");
  if (!ValidateDate(signal.since).ok()) return signal;  // a conflicted or damaged date: no signal
  PARLEY_ASSIGN_OR_RETURN(std::optional<log::ChangeStamp> recorded, CreationOf(boundary.id));
  if (!recorded) return signal;
  std::map<RecordId, bool> in_negotiation;
  for (const auto& c : o.commitments) in_negotiation[c.id] = true;
  // Whether a commitment moved: it was created, or its status set, by a change that did not
  // happen before the boundary session's recording (made after it or concurrently).
  std::map<RecordId, bool> moved_commitments;
  auto moved_since = [&](const RecordId& id) -> Result<bool> {
    if (auto it = moved_commitments.find(id); it != moved_commitments.end()) return it->second;
    PARLEY_ASSIGN_OR_RETURN(auto history, replica_.History(id));
    bool moved = false;
    for (auto h = history.rbegin(); h != history.rend(); ++h) {  // the newest are likeliest
      if (h->op != "create" && !(h->op == "set" && h->field == "status")) continue;
      PARLEY_ASSIGN_OR_RETURN(bool before,
                              replica_.HappenedBefore({h->author, h->seq, h->hlc}, *recorded));
      if (!before) {
        moved = true;
        break;
      }
    }
    moved_commitments[id] = moved;
    return moved;
  };
  for (const auto& e : elements) {
    if (e.covered) continue;
    // The linked commitments, and the commitments of each required form.
    std::vector<RecordId> watched = e.linked;
    for (const auto& r : e.requirements) {
      for (const auto* ids : {&r.meeting, &r.short_of, &r.pending}) {
        for (const auto& id : *ids) {
          if (!Has(watched, id)) watched.push_back(id);
        }
      }
    }
    bool moved = false;
    for (const auto& id : watched) {
      if (!in_negotiation.count(id)) continue;
      PARLEY_ASSIGN_OR_RETURN(moved, moved_since(id));
      if (moved) break;
    }
    if (!moved) signal.elements.push_back(e.element);
  }
  signal.stalled = !signal.elements.empty();
  return signal;
}

CampaignWarningCode Model::WarningOf(const NegotiationOverview& o) {
  const std::string status = o.negotiation.get("campaign_status");
  CampaignWarningCode warning = CampaignWarningCode::kNone;
  if (status == "ended") warning = CampaignWarningCode::kEndedWithoutAgreement;
  if (status == "paused") warning = CampaignWarningCode::kPausedWithoutAgreement;
  for (const auto& c : o.commitments) {
    if (Signed(c)) return CampaignWarningCode::kNone;
  }
  return warning;
}

Result<BottomLineReport> Model::BottomLine(const RecordId& negotiation) {
  PARLEY_ASSIGN_OR_RETURN(auto o, Overview(negotiation));
  BottomLineReport r;
  r.negotiation = negotiation;
  PARLEY_ASSIGN_OR_RETURN(r.elements, Elements(o));
  if (r.elements.empty()) {
    r.verdict = Verdict::kNoBottomLine;
  } else {
    r.meets = std::all_of(r.elements.begin(), r.elements.end(),
                          [](const ElementStatus& e) { return e.covered; });
    r.verdict = r.meets ? Verdict::kMeets : Verdict::kWalkAway;
  }
  PARLEY_ASSIGN_OR_RETURN(r.stall, StallOf(o, r.elements));
  r.campaign_warning = WarningOf(o);
  return r;
}

Result<StallSignal> Model::Stall(const RecordId& negotiation) {
  PARLEY_ASSIGN_OR_RETURN(auto o, Overview(negotiation));
  PARLEY_ASSIGN_OR_RETURN(auto elements, Elements(o));
  return StallOf(o, elements);
}

Result<CampaignWarningCode> Model::CampaignWarning(const RecordId& negotiation) {
  PARLEY_ASSIGN_OR_RETURN(auto o, Overview(negotiation));
  return WarningOf(o);
}

}  // namespace parley::model
