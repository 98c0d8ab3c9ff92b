// JSON shapes of the C ABI (docs/c-api.md).
#include "convert.h"

#include "parley/core/model.h"

namespace parley::capi {
namespace {

Json Ids(const std::vector<log::RecordId>& ids) {
  Json out = Json::array();
  for (const auto& id : ids) out.push_back(log::ToString(id));
  return out;
}

const char* ExistenceName(log::Existence e) {
  switch (e) {
    case log::Existence::kAlive:
      return "alive";
    case log::Existence::kDeleted:
      return "deleted";
    case log::Existence::kDeletedWithEdits:
      return "deleted_with_edits";
    case log::Existence::kConflict:
      return "conflict";
  }
  return "alive";
}

Json ValueJson(const log::Value& v) {
  return Json{{"value", v.data},
              {"hlc", v.hlc},
              {"unix_ms", model::HlcUnixMs(v.hlc)},
              {"author", v.author},
              {"author_name", v.author_name},
              {"seq", v.seq},
              {"unreadable", v.unreadable}};
}

Json GapJson(const Gap& g) {
  return Json{
      {"device", g.device}, {"device_name", g.device_name}, {"first", g.first}, {"last", g.last}};
}

}  // namespace

Status ApiError(Code code, std::string message) {
  return Status(static_cast<Domain>(kDomainApi), code, std::move(message));
}
bool IsApiError(const Status& status) { return static_cast<int>(status.domain()) == kDomainApi; }

Result<Json> ParseObject(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ApiError(Code::kInvalidArgument, "the request is not valid JSON");
  if (!j.is_object()) return ApiError(Code::kInvalidArgument, "the request must be a JSON object");
  return j;
}

Result<std::string> GetString(const Json& object, const char* key, bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required)
      return ApiError(Code::kInvalidArgument, std::string("the request needs \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string())
    return ApiError(Code::kInvalidArgument, std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

Result<std::uint64_t> GetUint(const Json& object, const char* key, std::uint64_t fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
    return ApiError(Code::kInvalidArgument,
                    std::string("\"") + key + "\" must be a non-negative integer");
  }
  return it->get<std::uint64_t>();
}

Json StatusJson(const Status& status) {
  if (status.ok()) return Json{{"ok", true}};
  return Json{{"ok", false},
              {"domain", std::string(DomainName(status.domain()))},
              {"code", std::string(CodeName(status.code()))},
              {"message", status.message()}};
}

Json RecordJson(const log::Record& record) {
  Json fields = Json::object();
  Json conflicts = Json::object();
  for (const auto& f : record.fields) {
    fields[f.name] = f.newest();
    if (f.conflicted()) {
      Json versions = Json::array();
      for (const auto& v : f.values) versions.push_back(ValueJson(v));
      conflicts[f.name] = std::move(versions);
    }
  }
  return Json{{"id", log::ToString(record.id)},
              {"type", record.type},
              {"existence", ExistenceName(record.existence)},
              {"created_ms", model::HlcUnixMs(record.created_hlc)},
              {"label", model::RecordLabel(record)},
              {"fields", std::move(fields)},
              {"conflicts", std::move(conflicts)}};
}

Json ListedJson(const model::ListedRecord& listed) {
  Json j = RecordJson(listed.record);
  j["author"] = listed.author;
  j["author_name"] = listed.author_name;
  return j;
}

Json DetailJson(const model::RecordDetail& detail) {
  Json j = ListedJson(detail.listed);
  Json versions = Json::object();
  for (const auto& f : detail.listed.record.fields) {
    Json vs = Json::array();
    for (const auto& v : f.values) vs.push_back(ValueJson(v));
    versions[f.name] = std::move(vs);
  }
  j["versions"] = std::move(versions);
  Json statuses = Json::array();
  for (const auto& s : detail.status_history) {
    statuses.push_back(Json{{"status", s.status},
                            {"unix_ms", model::HlcUnixMs(s.hlc)},
                            {"author", s.author},
                            {"author_name", s.author_name},
                            {"live", s.live}});
  }
  j["status_history"] = std::move(statuses);
  Json counts = Json::object();
  for (const auto& [type, n] : detail.counts) counts[type] = n;
  j["counts"] = std::move(counts);
  return j;
}

Json HistoryJson(const std::vector<log::HistoryEntry>& history) {
  Json out = Json::array();
  for (const auto& h : history) {
    out.push_back(Json{{"op", h.op},
                       {"field", h.field},
                       {"value", h.value},
                       {"hlc", h.hlc},
                       {"unix_ms", model::HlcUnixMs(h.hlc)},
                       {"author", h.author},
                       {"author_name", h.author_name},
                       {"seq", h.seq},
                       {"live", h.live}});
  }
  return Json{{"history", std::move(out)}};
}

Json SearchJson(const std::vector<model::SearchHit>& hits) {
  Json out = Json::array();
  for (const auto& h : hits) {
    out.push_back(
        Json{{"record", log::ToString(h.record)},
             {"type", h.type},
             {"field", h.field},
             {"negotiation", h.negotiation ? Json(log::ToString(*h.negotiation)) : Json(nullptr)},
             {"snippet", h.snippet},
             {"score", h.score}});
  }
  return Json{{"hits", std::move(out)}};
}

Json BottomLineJson(const model::BottomLineReport& report) {
  Json elements = Json::array();
  for (const auto& e : report.elements) {
    Json reqs = Json::array();
    for (const auto& r : e.requirements) {
      reqs.push_back(Json{{"form", r.form},
                          {"minimum", r.minimum},
                          {"verdict", std::string(model::RequirementVerdictName(r.verdict))},
                          {"meeting", Ids(r.meeting)},
                          {"short_of", Ids(r.short_of)},
                          {"pending", Ids(r.pending)}});
    }
    elements.push_back(Json{{"id", log::ToString(e.id)},
                            {"element", e.element},
                            {"forms", e.forms},
                            {"requirements", std::move(reqs)},
                            {"linked", Ids(e.linked)},
                            {"covering", Ids(e.covering)},
                            {"covered", e.covered},
                            {"conflicted", e.conflicted}});
  }
  return Json{
      {"negotiation", log::ToString(report.negotiation)},
      {"verdict", std::string(model::VerdictName(report.verdict))},
      {"meets", report.meets},
      {"elements", std::move(elements)},
      {"stall", Json{{"stalled", report.stall.stalled},
                     {"sessions", report.stall.sessions},
                     {"since", report.stall.since},
                     {"elements", report.stall.elements}}},
      {"campaign_warning", std::string(model::CampaignWarningName(report.campaign_warning))}};
}

Json ConflictsJson(const std::vector<log::Conflict>& conflicts) {
  Json out = Json::array();
  for (const auto& c : conflicts) {
    Json values = Json::array();
    for (const auto& v : c.values) values.push_back(ValueJson(v));
    out.push_back(Json{{"record", log::ToString(c.record)},
                       {"type", c.type},
                       {"field", c.field},
                       {"values", std::move(values)}});
  }
  return Json{{"conflicts", std::move(out)}};
}

Json VaultJson(const std::optional<VaultSummary>& vault) {
  if (!vault) return Json(nullptr);
  return Json{{"id", vault->id}, {"name", vault->name}};
}

Json RelayJson(const RelayInfo& r) {
  return Json{{"id", r.id},
              {"label", r.label},
              {"address", r.address},
              {"public_key", r.public_key},
              {"pairing_code", r.pairing_code},
              {"cursor", r.cursor},
              {"head_seq", r.head_seq},
              {"registered", r.registered},
              {"members_version", r.members_version},
              {"last_sync_ms", r.last_sync_ms}};
}

Json RelaySyncJson(const RelaySyncResult& r) {
  Json j = StatusJson(r.status);
  j["relay"] = r.relay;
  j["pushed"] = r.pushed;
  j["refused"] = r.refused;
  j["pulled"] = r.pulled;
  j["duplicates"] = r.duplicates;
  j["pending"] = r.pending;
  j["conflicts"] = r.conflicts;
  j["cursor"] = r.cursor;
  j["head_seq"] = r.head_seq;
  j["resent"] = r.resent;
  j["quarantined"] = r.quarantined;
  Json refusals = Json::array();
  for (const auto& x : r.refusals) {
    refusals.push_back(Json{{"code", std::string(RefusalCodeName(x.code))},
                            {"limit", x.limit},
                            {"relay_reason", x.relay_reason}});
  }
  j["refusals"] = std::move(refusals);
  Json gaps = Json::array();
  for (const auto& g : r.gaps) gaps.push_back(GapJson(g));
  j["gaps"] = std::move(gaps);
  Json faults = Json::array();
  for (const auto& f : r.relay_faults)
    faults.push_back(Json{{"fault", f.fault}, {"detail", f.detail}});
  j["relay_faults"] = std::move(faults);
  return j;
}

Json SyncJson(const std::vector<RelaySyncResult>& relays) {
  Json out = Json::array();
  for (const auto& r : relays) out.push_back(RelaySyncJson(r));
  return Json{{"relays", std::move(out)}};
}

Json MemberJson(const MemberSummary& m) {
  return Json{{"name", m.name},
              {"id", m.id},
              {"admin", m.admin},
              {"founder", m.founder},
              {"enrolled_by", m.enrolled_by},
              {"enrolled_by_name", m.enrolled_by_name},
              {"enrolled_ms", m.enrolled_ms},
              {"last_seq", m.last_seq},
              {"last_change_ms", m.last_change_ms},
              {"revoked", m.revoked},
              {"revoked_by", m.revoked_by},
              {"revoked_by_name", m.revoked_by_name},
              {"revoked_ms", m.revoked_ms},
              {"can_receive_keys", m.can_receive_keys},
              {"is_self", m.is_self},
              {"recovery", m.recovery}};
}

Json StatusReportJson(const DeviceStatus& s) {
  Json relays = Json::array();
  for (const auto& r : s.relays) {
    Json j = RelayJson(r.relay);
    j["waiting"] = r.waiting;
    relays.push_back(std::move(j));
  }
  Json gaps = Json::array();
  for (const auto& g : s.gaps) gaps.push_back(GapJson(g));
  Json devices = Json::array();
  for (const auto& d : s.devices) {
    devices.push_back(Json{{"device", d.device},
                           {"name", d.name},
                           {"self", d.self},
                           {"known", d.known},
                           {"contig", d.contig},
                           {"complete", d.complete()}});
  }
  return Json{{"vault", VaultJson(s.vault)},
              {"relays", std::move(relays)},
              {"own_changes", s.own_changes},
              {"own_acknowledged", s.own_acknowledged},
              {"own_unacknowledged", s.own_unacknowledged()},
              {"gaps", std::move(gaps)},
              {"devices", std::move(devices)},
              {"quarantined", s.quarantined}};
}

Json JoinJson(const JoinResult& join) {
  return Json{{"vault", VaultJson(join.vault)},
              {"inviter", join.inviter},
              {"inviter_id", join.inviter_id},
              {"safety_code", join.safety_code},
              {"synced", SyncJson(join.synced)["relays"]}};
}

Json InviteJson(const InviteResult& invite) {
  Json relays = Json::array();
  for (const auto& p : invite.relays) {
    Json j = StatusJson(p.status);
    j["relay"] = p.relay;
    relays.push_back(std::move(j));
  }
  return Json{{"vault_id", invite.vault_id},
              {"safety_code", invite.safety_code},
              {"relays", std::move(relays)},
              {"invite_bytes", invite.invite.size()}};
}

Json ImportJson(const ImportResult& import) {
  return Json{{"applied", import.report.applied},
              {"duplicates", import.report.duplicates},
              {"pending", import.report.pending},
              {"quarantined", import.report.quarantined},
              {"conflicts", import.conflicts}};
}

Json RevocationJson(const Revocation& revocation) {
  return Json{{"by", revocation.by}, {"by_name", revocation.by_name}, {"at_ms", revocation.at_ms}};
}

namespace {

Result<std::optional<log::RecordId>> OptionalId(Device& device, const Json& fields,
                                                const char* key) {
  PARLEY_ASSIGN_OR_RETURN(std::string text, GetString(fields, key, false));
  if (text.empty()) return std::optional<log::RecordId>();
  PARLEY_ASSIGN_OR_RETURN(log::RecordId id, device.ResolveId(text));
  return std::optional<log::RecordId>(id);
}

// A list field given as a JSON array of strings or as one comma-separated string.
Result<std::vector<std::string>> StringList(const Json& fields, const char* key) {
  std::vector<std::string> out;
  auto it = fields.find(key);
  if (it == fields.end() || it->is_null()) return out;
  if (it->is_string()) {
    std::string s = it->get<std::string>();
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t comma = s.find(',', start);
      if (comma == std::string::npos) comma = s.size();
      std::string item = s.substr(start, comma - start);
      while (!item.empty() && item.front() == ' ') item.erase(item.begin());
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) out.push_back(item);
      start = comma + 1;
    }
    return out;
  }
  if (!it->is_array())
    return ApiError(Code::kInvalidArgument, std::string("\"") + key + "\" must be a list");
  for (const auto& v : *it) {
    if (!v.is_string())
      return ApiError(Code::kInvalidArgument, std::string("\"") + key + "\" must list strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

Result<log::RecordId> CreateRecord(Device& device, const Json& request) {
  PARLEY_ASSIGN_OR_RETURN(std::string type, GetString(request, "type", true));
  Json fields = Json::object();
  if (auto it = request.find("fields"); it != request.end() && !it->is_null()) {
    if (!it->is_object())
      return ApiError(Code::kInvalidArgument, "\"fields\" must be a JSON object");
    fields = *it;
  }
  for (const auto& [name, value] : fields.items()) {
    if (!value.is_string() && !value.is_array() && !value.is_null()) {
      return ApiError(Code::kInvalidArgument, "field \"" + name + "\" must be a string");
    }
  }
  model::Model& m = device.model();
  auto str = [&](const char* key) { return GetString(fields, key, false); };
  if (type == model::kNegotiation) {
    model::NegotiationInput in;
    PARLEY_ASSIGN_OR_RETURN(in.buyer, str("buyer"));
    PARLEY_ASSIGN_OR_RETURN(in.title, str("title"));
    return m.AddNegotiation(in);
  }
  PARLEY_ASSIGN_OR_RETURN(std::string neg_text, GetString(request, "negotiation", true));
  PARLEY_ASSIGN_OR_RETURN(log::RecordId neg, device.ResolveId(neg_text));
  if (type == model::kParty) {
    model::PartyInput in;
    PARLEY_ASSIGN_OR_RETURN(in.role, str("role"));
    PARLEY_ASSIGN_OR_RETURN(in.name, str("name"));
    return m.AddParty(neg, in);
  }
  if (type == model::kSession) {
    model::SessionInput in;
    PARLEY_ASSIGN_OR_RETURN(in.date, str("date"));
    PARLEY_ASSIGN_OR_RETURN(in.place, str("place"));
    PARLEY_ASSIGN_OR_RETURN(in.attendees, str("attendees"));
    return m.AddSession(neg, in);
  }
  if (type == model::kNote) {
    model::NoteInput in;
    PARLEY_ASSIGN_OR_RETURN(in.text, str("text"));
    PARLEY_ASSIGN_OR_RETURN(in.session, OptionalId(device, fields, "session"));
    return m.AddNote(neg, in);
  }
  if (type == model::kCommitment) {
    model::CommitmentInput in;
    PARLEY_ASSIGN_OR_RETURN(in.kind, str("kind"));
    PARLEY_ASSIGN_OR_RETURN(in.text, str("text"));
    PARLEY_ASSIGN_OR_RETURN(in.amount, str("amount"));
    PARLEY_ASSIGN_OR_RETURN(in.deadline, str("deadline"));
    PARLEY_ASSIGN_OR_RETURN(std::string principle, str("principle"));
    if (!principle.empty()) in.principle = principle;
    PARLEY_ASSIGN_OR_RETURN(std::string status, str("status"));
    if (!status.empty()) in.status = status;
    PARLEY_ASSIGN_OR_RETURN(std::string by, str("by"));
    if (!by.empty()) {
      PARLEY_ASSIGN_OR_RETURN(in.by, m.FindParty(neg, by));
    }
    return m.AddCommitment(neg, in);
  }
  if (type == model::kNeed) {
    model::NeedInput in;
    PARLEY_ASSIGN_OR_RETURN(std::string kind, str("kind"));
    if (!kind.empty()) in.kind = kind;
    PARLEY_ASSIGN_OR_RETURN(in.text, str("text"));
    return m.AddNeed(neg, in);
  }
  if (type == model::kElement) {
    model::ElementInput in;
    PARLEY_ASSIGN_OR_RETURN(in.element, str("element"));
    PARLEY_ASSIGN_OR_RETURN(auto covered, StringList(fields, "covered_by"));
    for (const auto& c : covered) {
      PARLEY_ASSIGN_OR_RETURN(log::RecordId id, device.ResolveId(c));
      in.covered_by.push_back(id);
    }
    PARLEY_ASSIGN_OR_RETURN(in.forms, StringList(fields, "forms"));
    return m.RequireElement(neg, in);
  }
  if (type == model::kCampaignAction) {
    model::CampaignActionInput in;
    PARLEY_ASSIGN_OR_RETURN(in.date, str("date"));
    PARLEY_ASSIGN_OR_RETURN(in.kind, str("kind"));
    PARLEY_ASSIGN_OR_RETURN(in.text, str("text"));
    return m.AddCampaignAction(neg, in);
  }
  return ApiError(Code::kInvalidArgument,
                  "unknown record type \"" + type +
                      "\": negotiation, party, session, note, commitment, need, "
                      "bottomline_element or campaign_action");
}

}  // namespace parley::capi
