// bottomline require/report, campaign status, campaign action add.
#include <map>

#include "app.h"
#include "model_text.h"
#include "table.h"

namespace parley::cli {

namespace {

// The warning as JSON: its text under `key` and its code under `key`_code, both null when
// there is none.
void AddWarningJson(Json& json, const std::string& key, model::CampaignWarningCode warning) {
  const bool none = warning == model::CampaignWarningCode::kNone;
  json[key] = none ? Json() : Json(CampaignWarningText(warning));
  json[key + "_code"] = none ? Json() : Json(model::CampaignWarningName(warning));
}

Json IdsJson(const std::vector<log::RecordId>& ids) {
  Json out = Json::array();
  for (const auto& id : ids) out.push_back(log::ToString(id));
  return out;
}

Status Require(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  model::ElementInput in;
  in.element = inv.args[1];
  for (const auto& list : inv.All("covered-by")) {
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) {
        PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(list.substr(start, comma - start)));
        in.covered_by.push_back(id);
      }
      start = comma + 1;
    }
  }
  for (const auto& list : inv.All("form")) {
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) in.forms.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
  }
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().RequireElement(neg, in));
  return PrintAdded(app, "bottom-line element", id, in.element);
}

std::string Ids(const std::vector<log::RecordId>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + ShortId(log::ToString(id));
  return out;
}

Status Report(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto o, app.model().Overview(neg));
  PARLEY_ASSIGN_OR_RETURN(auto r, app.model().BottomLine(neg));
  std::map<log::RecordId, const log::Record*> commitments;
  for (const auto& c : o.commitments) commitments[c.id] = &c;
  if (app.json()) {
    Json elements = Json::array();
    for (const auto& e : r.elements) {
      Json requirements = Json::array();
      for (const auto& q : e.requirements) {
        requirements.push_back({{"form", q.form},
                                {"minimum", q.minimum.empty() ? Json() : Json(q.minimum)},
                                {"verdict_code", model::RequirementVerdictName(q.verdict)},
                                {"met", q.verdict == model::RequirementVerdict::kMet},
                                {"met_by", IdsJson(q.meeting)},
                                {"short_of", IdsJson(q.short_of)},
                                {"pending", IdsJson(q.pending)}});
      }
      elements.push_back({{"id", log::ToString(e.id)},
                          {"element", e.element},
                          {"covered", e.covered},
                          {"conflicted", e.conflicted},
                          {"forms", e.forms},
                          {"covered_by", IdsJson(e.covering)},
                          {"linked", IdsJson(e.linked)},
                          {"requirements", std::move(requirements)}});
    }
    Json stall = {{"stalled", r.stall.stalled},
                  {"sessions", r.stall.sessions},
                  {"since", r.stall.since.empty() ? Json() : Json(r.stall.since)},
                  {"elements", r.stall.elements},
                  {"message", r.stall.stalled ? Json(StallText()) : Json()}};
    Json json = {{"negotiation", log::ToString(neg)},
                 {"elements", std::move(elements)},
                 {"meets", r.meets},
                 {"verdict", VerdictText(r.verdict)},
                 {"verdict_code", model::VerdictName(r.verdict)},
                 {"stall", std::move(stall)}};
    AddWarningJson(json, "campaign_warning", r.campaign_warning);
    app.PrintJson(json);
    return Status::Ok();
  }
  std::string out = "Bottom line — " + Cell(o.negotiation, "buyer");
  if (!o.negotiation.get("title").empty()) out += ": " + Cell(o.negotiation, "title");
  out += "\n\n";
  Table table({"", "ELEMENT", "COVERED BY", "LINKED (STATUS)"}, 60);
  for (const auto& e : r.elements) {
    std::string name = e.element;
    if (!e.forms.empty() && e.requirements.empty()) {
      name += " (";
      for (std::size_t i = 0; i < e.forms.size(); ++i) name += (i ? ", " : "") + e.forms[i];
      name += ")";
    }
    std::string linked;
    for (const auto& id : e.linked) {
      auto it = commitments.find(id);
      std::string status = it == commitments.end() ? "gone" : Cell(*it->second, "status");
      linked += (linked.empty() ? "" : ", ") + ShortId(log::ToString(id)) + " (" + status + ")";
    }
    table.Row({e.covered ? "✔" : "✘", name + (e.conflicted ? " ⚠ conflict" : ""),
               e.covering.empty() ? "—" : Ids(e.covering), linked.empty() ? "—" : linked});
    for (const auto& q : e.requirements) {  // each required form on its own row
      const bool met = q.verdict == model::RequirementVerdict::kMet;
      std::string who = Ids(met ? q.meeting : q.short_of);
      if (!q.pending.empty())
        who += (who.empty() ? "" : "; ") + std::string("pending ") + Ids(q.pending);
      table.Row({"",
                 std::string(met ? "  ✔ " : "  ✘ ") + q.form +
                     (q.minimum.empty() ? "" : " ≥ " + q.minimum),
                 std::string(model::RequirementVerdictName(q.verdict)), who.empty() ? "—" : who});
    }
  }
  if (!table.empty()) out += table.Render(2) + "\n";
  out += std::string(r.meets ? "✔ " : "✘ ") + VerdictText(r.verdict) + "\n";
  if (r.stall.stalled) {
    std::string elements;
    for (const auto& e : r.stall.elements) elements += (elements.empty() ? "" : ", ") + e;
    out += "⚠ " + StallText() + " (no movement on " + elements + " over the last " +
           std::to_string(model::kStallSessions) + " sessions, since " + r.stall.since + ")\n";
  }
  if (r.campaign_warning != model::CampaignWarningCode::kNone) {
    out += "⚠ " + CampaignWarningText(r.campaign_warning) + "\n";
  }
  app.Print(out);
  return Status::Ok();
}

Status CampaignStatus(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto warning, app.model().SetCampaignStatus(neg, inv.args[1]));
  if (app.json()) {
    Json json = {{"negotiation", log::ToString(neg)}, {"campaign_status", inv.args[1]}};
    AddWarningJson(json, "warning", warning);
    app.PrintJson(json);
  } else {
    app.Print("Campaign status: " + inv.args[1] + "\n");
    if (warning != model::CampaignWarningCode::kNone)
      app.Print("⚠ Warning: " + CampaignWarningText(warning) + "\n");
  }
  return Status::Ok();
}

Status ActionAdd(App& app, const Invocation& inv) {
  PARLEY_ASSIGN_OR_RETURN(auto neg, app.ResolveId(inv.args[0]));
  model::CampaignActionInput in{inv.Get("date"), inv.Get("kind"), inv.Get("text")};
  PARLEY_ASSIGN_OR_RETURN(auto id, app.model().AddCampaignAction(neg, in));
  return PrintAdded(app, "campaign action", id, in.date + " " + in.kind);
}

}  // namespace

void AddBottomLineCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"bottomline", "require"},
       "NEGOTIATION_ID ELEMENT [--covered-by COMMITMENT_ID...] [--form FORM...]",
       "require an element of the bottom line, optionally linked to the commitments covering it",
       {{"covered-by", true, true}, {"form", true, true, /*text=*/true}},
       2,
       2,
       &Require,
       /*needs_store=*/true,
       /*text_args=*/{1}});
  commands.push_back(
      {{"bottomline", "report"},
       "NEGOTIATION_ID",
       "the bottom line at a glance: covered elements, verdict, stall signal, campaign warning",
       {},
       1,
       1,
       &Report});
  commands.push_back(
      {{"campaign", "status"},
       "NEGOTIATION_ID active|paused|ended|won",
       "set the campaign's status (warns when it stops before an agreement is signed)",
       {},
       2,
       2,
       &CampaignStatus});
  commands.push_back({{"campaign", "action", "add"},
                      "NEGOTIATION_ID --date YYYY-MM-DD --kind KIND [--text T]",
                      "record a campaign action",
                      {{"date", true}, TextOption("kind"), TextOption("text")},
                      1,
                      1,
                      &ActionAdd});
}

}  // namespace parley::cli
