// TYPE show/list/edit/delete for every record type (negotiation, party, session, note,
// commitment, need, bottomline, campaign action): the model's Show, List, Edit and Delete
// (docs/cli.md, "Records: show, list, edit, delete").
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "app.h"
#include "passphrase.h"
#include "table.h"

namespace parley::cli {
namespace {

// How an edit option becomes a field value.
enum class Ref {
  kNone,         // taken as written
  kSession,      // a session id prefix ("" detaches)
  kParty,        // a party id prefix or name ("" clears)
  kCommitments,  // commitment id prefixes, repeatable or comma-separated ("" clears)
  kForms,        // forms, repeatable or comma-separated ("" clears)
};

struct EditFlag {
  const char* option;
  const char* field;
  bool text;  // free text: "-" and "@edit" read it
  Ref ref = Ref::kNone;
};

// A list column: a field name, or "@id", "@negotiation", "@recorded" (when recorded),
// "@created" (when a negotiation was created, local time), "@device" (the device that recorded it).
struct Column {
  const char* header;
  const char* source;
};

struct TypeSpec {
  std::vector<std::string> words;  // the command group: {"note"}, {"campaign", "action"}
  std::string_view type;
  const char* noun;    // "note", "bottom-line element"
  const char* plural;  // "notes"
  std::vector<Column> columns;
  std::vector<EditFlag> edits;
  const char* edit_usage;
};

const std::vector<TypeSpec>& Specs() {
  static const std::vector<TypeSpec> kSpecs = {
      {{"negotiation"},
       model::kNegotiation,
       "negotiation",
       "negotiations",
       {{"ID", "@id"},
        {"BUYER", "buyer"},
        {"TITLE", "title"},
        {"CAMPAIGN", "campaign_status"},
        {"CREATED", "@created"}},
       {{"buyer", "buyer", true}, {"title", "title", true}},
       "[--buyer NAME] [--title T]"},
      {{"party"},
       model::kParty,
       "party",
       "parties",
       {{"ID", "@id"}, {"NEGOTIATION", "@negotiation"}, {"ROLE", "role"}, {"NAME", "name"}},
       {{"role", "role", false}, {"name", "name", true}},
       "[--role worker_org|buyer|supplier|ally] [--name NAME]"},
      {{"session"},
       model::kSession,
       "session",
       "sessions",
       {{"ID", "@id"},
        {"NEGOTIATION", "@negotiation"},
        {"DATE", "date"},
        {"PLACE", "place"},
        {"ATTENDEES", "attendees"}},
       {{"date", "date", false}, {"place", "place", true}, {"attendees", "attendees", true}},
       "[--date YYYY-MM-DD] [--place P] [--attendees A]"},
      {{"note"},
       model::kNote,
       "note",
       "notes",
       {{"ID", "@id"},
        {"NEGOTIATION", "@negotiation"},
        {"RECORDED", "@recorded"},
        {"DEVICE", "@device"},
        {"TEXT", "text"}},
       {{"text", "text", true}, {"session", "session", false, Ref::kSession}},
       "[--text T] [--session SESSION_ID]"},
      {{"commitment"},
       model::kCommitment,
       "commitment",
       "commitments",
       {{"ID", "@id"},
        {"NEGOTIATION", "@negotiation"},
        {"KIND", "kind"},
        {"STATUS", "status"},
        {"AMOUNT", "amount"},
        {"DEADLINE", "deadline"},
        {"TERMS", "text"}},
       {{"kind", "kind", true},
        {"text", "text", true},
        {"by", "by", true, Ref::kParty},
        {"amount", "amount", true},
        {"deadline", "deadline", false},
        {"status", "status", false}},
       "[--kind KIND] [--text T] [--by PARTY] [--amount A] [--deadline YYYY-MM-DD] [--firm | "
       "--flexible] "
       "[--status S]"},
      {{"need"},
       model::kNeed,
       "need",
       "needs",
       {{"ID", "@id"}, {"NEGOTIATION", "@negotiation"}, {"KIND", "kind"}, {"TEXT", "text"}},
       {{"kind", "kind", false}, {"text", "text", true}},
       "[--kind need|constraint] [--text T]"},
      {{"bottomline"},
       model::kElement,
       "bottom-line element",
       "bottom-line elements",
       {{"ID", "@id"},
        {"NEGOTIATION", "@negotiation"},
        {"ELEMENT", "element"},
        {"FORMS", "forms"},
        {"COVERED BY", "covered_by"}},
       {{"element", "element", true},
        {"covered-by", "covered_by", false, Ref::kCommitments},
        {"form", "forms", true, Ref::kForms}},
       "[--element ELEMENT] [--covered-by COMMITMENT_ID...] [--form FORM...]"},
      {{"campaign", "action"},
       model::kCampaignAction,
       "campaign action",
       "campaign actions",
       {{"ID", "@id"},
        {"NEGOTIATION", "@negotiation"},
        {"DATE", "date"},
        {"KIND", "kind"},
        {"TEXT", "text"}},
       {{"date", "date", false}, {"kind", "kind", true}, {"text", "text", true}},
       "[--date YYYY-MM-DD] [--kind KIND] [--text T]"},
  };
  return kSpecs;
}

std::string Capital(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string DeviceName(const std::string& name, const std::string& author) {
  if (!name.empty()) return name;
  return author.empty() ? "an unknown device" : "device " + author.substr(0, 8);
}

// "2,000"
std::string Count(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Result<std::size_t> Number(const Invocation& inv, const std::string& name, std::size_t fallback) {
  if (!inv.Has(name)) return fallback;
  const std::string v = inv.Get(name);
  if (v.empty() || v.size() > 9 ||
      !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return UsageError("--" + name + " takes a number, not '" + v + "'");
  }
  return static_cast<std::size_t>(std::stoul(v));
}

Json WithAuthor(const model::ListedRecord& listed) {
  Json json = RecordJson(listed.record);
  json["author"] = listed.author.empty() ? Json() : Json(listed.author);
  json["device"] = listed.author_name.empty() ? Json() : Json(listed.author_name);
  return json;
}

// ---- list ----

std::string ColumnCell(const model::ListedRecord& listed, std::string_view source) {
  const log::Record& r = listed.record;
  if (source == "@id") return ShortId(log::ToString(r.id));
  if (source == "@negotiation") return ShortId(r.get("negotiation"));
  if (source == "@recorded") return FormatHlcTime(r.created_hlc);
  if (source == "@created") return FormatStoredTime(Cell(r, "created"));
  if (source == "@device") return DeviceName(listed.author_name, listed.author);
  if (source == "covered_by") {
    std::string out;
    if (const log::Field* f = r.field("covered_by")) {
      std::size_t start = 0;
      const std::string& ids = f->newest();
      while (start < ids.size()) {
        const std::size_t comma = std::min(ids.find(',', start), ids.size());
        out += (out.empty() ? "" : ", ") + ShortId(ids.substr(start, comma - start));
        start = comma + 1;
      }
      if (f->conflicted()) out += " ⚠ " + std::to_string(f->values.size()) + " versions";
    }
    return out;
  }
  return Cell(r, source);
}

Status ListRecords(App& app, const Invocation& inv, const TypeSpec& spec) {
  model::ListQuery q;
  q.type = std::string(spec.type);
  if (inv.Has("negotiation")) {
    PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.Get("negotiation")));
    q.negotiation = id;
  }
  q.kind = inv.Get("kind");
  q.status = inv.Get("status");
  q.since = inv.Get("since");
  q.until = inv.Get("until");
  q.author = inv.Get("author");
  PARLEY_ASSIGN_OR_RETURN(q.limit, Number(inv, "limit", 50));
  PARLEY_ASSIGN_OR_RETURN(q.offset, Number(inv, "offset", 0));
  if (q.limit > 1000) return UsageError("--limit is at most 1000 (0 lists every record)");
  PARLEY_ASSIGN_OR_RETURN(model::ListPage page, app.model().List(q));
  if (app.json()) {
    Json records = Json::array();
    for (const auto& r : page.records) records.push_back(WithAuthor(r));
    app.PrintJson({{ListKey(spec.type), std::move(records)},
                   {"total", page.total},
                   {"offset", q.offset},
                   {"limit", q.limit == 0 ? Json() : Json(q.limit)}});
    return Status::Ok();
  }
  const bool filtered = q.negotiation || !q.kind.empty() || !q.status.empty() || !q.since.empty() ||
                        !q.until.empty() || !q.author.empty();
  if (page.total == 0) {
    if (spec.type == model::kNegotiation && !filtered) {
      app.Print("No negotiations yet. Start one with: parley negotiation add --buyer NAME\n");
    } else {
      app.Print("No " + std::string(spec.plural) + (filtered ? " match." : " yet.") + "\n");
    }
    return Status::Ok();
  }
  if (page.records.empty()) {
    app.Print("No more " + std::string(spec.plural) + ": " + Count(page.total) + " in all.\n");
    return Status::Ok();
  }
  std::vector<std::string> headers;
  for (const auto& c : spec.columns) {
    if (q.negotiation && std::string_view(c.source) == "@negotiation") continue;
    headers.push_back(c.header);
  }
  Table table(std::move(headers), 48);
  for (const auto& r : page.records) {
    std::vector<std::string> cells;
    for (const auto& c : spec.columns) {
      if (q.negotiation && std::string_view(c.source) == "@negotiation") continue;
      cells.push_back(ColumnCell(r, c.source));
    }
    table.Row(std::move(cells));
  }
  std::string out = table.Render();
  const std::size_t first = q.offset + 1, last = q.offset + page.records.size();
  if (first == 1 && last == page.total) {
    out += Count(page.total) + " " +
           (page.total == 1 ? std::string(spec.noun) : std::string(spec.plural)) + "\n";
  } else {
    out += "Showing " + Count(first) + "–" + Count(last) + " of " + Count(page.total) + " " +
           spec.plural;
    if (last < page.total) out += "; --offset " + std::to_string(last) + " for more";
    out += "\n";
  }
  app.Print(out);
  return Status::Ok();
}

// ---- show ----

// A value on its line, or indented below its name when it spans lines.
void AppendValue(std::string& out, const std::string& label, const std::string& value) {
  if (value.find('\n') == std::string::npos) {
    out += "  " + label + ": " + value + "\n";
    return;
  }
  out += "  " + label + ":\n";
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t nl = std::min(value.find('\n', start), value.size());
    out += "    " + value.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
}

std::string ExistenceText(log::Existence e) {
  switch (e) {
    case log::Existence::kAlive:
      return "";
    case log::Existence::kDeleted:
      return "deleted";
    case log::Existence::kDeletedWithEdits:
      return "deleted on one device, edited concurrently on another";
    case log::Existence::kConflict:
      return "deleted on one device, restored concurrently on another";
  }
  return "";
}

Status ShowRecord(App& app, const Invocation& inv, const TypeSpec& spec) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(model::RecordDetail d, app.model().Show(id, spec.type));
  const log::Record& r = d.listed.record;
  if (app.json()) {
    Json conflicts = Json::array();
    for (const auto& f : r.fields) {
      if (!f.conflicted()) continue;
      Json versions = Json::array();
      for (const auto& v : f.values) {
        versions.push_back({{"value", v.data},
                            {"time", model::FormatTimestamp(model::HlcUnixMs(v.hlc))},
                            {"author", v.author},
                            {"device", v.author_name.empty() ? Json() : Json(v.author_name)}});
      }
      conflicts.push_back({{"field", f.name}, {"versions", std::move(versions)}});
    }
    Json history;
    if (spec.type == model::kCommitment) {
      history = Json::array();
      for (const auto& s : d.status_history) {
        history.push_back({{"status", s.status},
                           {"time", model::FormatTimestamp(model::HlcUnixMs(s.hlc))},
                           {"author", s.author},
                           {"device", s.author_name.empty() ? Json() : Json(s.author_name)},
                           {"live", s.live}});
      }
    }
    Json counts;
    if (!d.counts.empty()) {
      counts = Json::object();
      for (const auto& [type, n] : d.counts) counts[ListKey(type)] = n;
    }
    app.PrintJson({{"record", WithAuthor(d.listed)},
                   {"conflicts", std::move(conflicts)},
                   {"status_history", std::move(history)},
                   {"counts", std::move(counts)}});
    return Status::Ok();
  }
  std::string out = Capital(spec.noun) + " " + log::ToString(r.id) + "\n";
  if (const std::string neg = r.get("negotiation"); !neg.empty()) {
    std::string buyer;
    if (auto nid = log::ParseRecordId(neg); nid.ok()) {
      if (auto n = app.model().GetOfType(*nid, model::kNegotiation); n.ok())
        buyer = " (" + n->get("buyer") + ")";
    }
    out += "  negotiation: " + neg + buyer + "\n";
  }
  out += "  recorded: " + FormatHlcTime(r.created_hlc) + " by " +
         DeviceName(d.listed.author_name, d.listed.author) + "\n";
  if (r.existence != log::Existence::kAlive) out += "  ⚠ " + ExistenceText(r.existence) + "\n";
  for (const auto& f : r.fields) {
    if (f.name == "negotiation") continue;
    if (!f.conflicted()) {
      AppendValue(out, f.name, f.newest());
      continue;
    }
    out += "  " + f.name + ": ⚠ " + std::to_string(f.values.size()) +
           " versions (edited concurrently)\n";
    for (std::size_t i = 0; i < f.values.size(); ++i) {
      const auto& v = f.values[i];
      AppendValue(out,
                  "  " + std::to_string(i + 1) + ") by " + DeviceName(v.author_name, v.author) +
                      ", " + FormatHlcTime(v.hlc),
                  v.data);
    }
  }
  if (spec.type == model::kCommitment && !d.status_history.empty()) {
    out += "\nStatus history:\n";
    for (const auto& s : d.status_history) {
      out += "  " + FormatHlcTime(s.hlc) + "  " + s.status + "  by " +
             DeviceName(s.author_name, s.author) + (s.live ? "  (current)" : "") + "\n";
    }
  }
  for (const auto& [type, n] : d.counts) {
    out += "\n" + Capital(std::string(type == model::kNote ? "notes" : type)) + " of this " +
           spec.noun + ": " + Count(n) + "\n";
  }
  app.Print(out);
  return Status::Ok();
}

// ---- edit ----

Status EditRecord(App& app, const Invocation& inv, const TypeSpec& spec) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  PARLEY_ASSIGN_OR_RETURN(auto record, app.model().GetOfType(id, spec.type));
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& e : spec.edits) {
    if (!inv.Has(e.option)) continue;
    std::string value;
    const auto values = inv.All(e.option);
    switch (e.ref) {
      case Ref::kNone:
        value = inv.Get(e.option);
        break;
      case Ref::kSession:
        if (!inv.Get(e.option).empty()) {
          PARLEY_ASSIGN_OR_RETURN(auto s, app.ResolveId(inv.Get(e.option)));
          value = log::ToString(s);
        }
        break;
      case Ref::kParty:
        if (!inv.Get(e.option).empty()) {
          PARLEY_ASSIGN_OR_RETURN(auto neg, log::ParseRecordId(record.get("negotiation")));
          PARLEY_ASSIGN_OR_RETURN(auto p, app.model().FindParty(neg, inv.Get(e.option)));
          value = log::ToString(p);
        }
        break;
      case Ref::kCommitments:
      case Ref::kForms:
        for (const auto& list : values) {
          std::size_t start = 0;
          while (start <= list.size()) {
            const std::size_t comma = std::min(list.find(',', start), list.size());
            if (comma > start) {
              std::string item = list.substr(start, comma - start);
              if (e.ref == Ref::kCommitments) {
                PARLEY_ASSIGN_OR_RETURN(auto c, app.ResolveId(item));
                item = log::ToString(c);
              }
              value += (value.empty() ? "" : ",") + item;
            }
            start = comma + 1;
          }
        }
        break;
    }
    fields.emplace_back(e.field, std::move(value));
  }
  if (spec.type == model::kCommitment) {
    if (inv.Has("firm") && inv.Has("flexible"))
      return UsageError("--firm and --flexible exclude each other");
    if (inv.Has("firm")) fields.emplace_back("principle", "firm");
    if (inv.Has("flexible")) fields.emplace_back("principle", "flexible");
  }
  if (fields.empty()) {
    std::string options;
    for (const auto& e : spec.edits)
      options += (options.empty() ? "--" : ", --") + std::string(e.option);
    if (spec.type == model::kCommitment) options += ", --firm, --flexible";
    return UsageError("nothing to edit: give the fields to change (" + options + ")");
  }
  PARLEY_ASSIGN_OR_RETURN(auto changed, app.model().Edit(id, spec.type, fields));
  if (app.json()) {
    PARLEY_ASSIGN_OR_RETURN(auto after, app.model().GetOfType(id, spec.type));
    app.PrintJson({{"id", log::ToString(id)},
                   {"type", spec.type},
                   {"changed", changed},
                   {"record", RecordJson(after)}});
    return Status::Ok();
  }
  if (changed.empty()) {
    app.Print(Capital(spec.noun) + " " + ShortId(log::ToString(id)) +
              " already has these values: nothing changed.\n");
    return Status::Ok();
  }
  std::string names;
  for (const auto& c : changed) names += (names.empty() ? "" : ", ") + c;
  app.Print("Edited " + std::string(spec.noun) + " " + ShortId(log::ToString(id)) + ": " + names +
            "\n");
  return Status::Ok();
}

// ---- delete ----

Status DeleteRecord(App& app, const Invocation& inv, const TypeSpec& spec) {
  PARLEY_ASSIGN_OR_RETURN(auto id, app.ResolveId(inv.args[0]));
  const std::string hex = log::ToString(id);
  if (!inv.Has("yes")) {
    PARLEY_ASSIGN_OR_RETURN(model::RecordDetail d,
                            app.model().Show(id, spec.type));  // what goes with it
    std::size_t children = 0;
    for (const auto& [type, n] : d.counts) children += spec.type == model::kNegotiation ? n : 0;
    const std::string what =
        std::string(spec.noun) + " " + hex.substr(0, 8) +
        (children ? " and its " + Count(children) + " records" : std::string());
    if (!::isatty(STDIN_FILENO))
      return UsageError("delete removes " + what + ": add --yes to confirm");
    PARLEY_ASSIGN_OR_RETURN(std::string typed,
                            AskOnTerminal("Delete " + what + "? Type yes to confirm: "));
    if (typed != "yes" && typed != "y") return UsageError("delete cancelled: nothing was deleted");
  }
  PARLEY_ASSIGN_OR_RETURN(std::size_t deleted, app.model().Delete(id, spec.type));
  if (app.json()) {
    app.PrintJson({{"id", hex}, {"type", spec.type}, {"deleted", true}, {"records", deleted}});
    return Status::Ok();
  }
  std::string out = "Deleted " + std::string(spec.noun) + " " + hex;
  if (deleted > 1) out += " and its " + Count(deleted - 1) + " records";
  out += "; `parley history " + hex.substr(0, 8) + "` still shows it.\n";
  app.Print(out);
  return Status::Ok();
}

template <std::size_t I>
Status List(App& app, const Invocation& inv) {
  return ListRecords(app, inv, Specs()[I]);
}
template <std::size_t I>
Status Show(App& app, const Invocation& inv) {
  return ShowRecord(app, inv, Specs()[I]);
}
template <std::size_t I>
Status Edit(App& app, const Invocation& inv) {
  return EditRecord(app, inv, Specs()[I]);
}
template <std::size_t I>
Status Delete(App& app, const Invocation& inv) {
  return DeleteRecord(app, inv, Specs()[I]);
}

std::vector<std::string> Words(const TypeSpec& spec, const char* verb) {
  std::vector<std::string> words = spec.words;
  words.push_back(verb);
  return words;
}

template <std::size_t I>
void AddType(std::vector<Command>& commands) {
  const TypeSpec& spec = Specs()[I];
  const std::string noun = spec.noun;
  const bool has_kind = spec.type == model::kCommitment || spec.type == model::kNeed ||
                        spec.type == model::kCampaignAction || spec.type == model::kParty ||
                        spec.type == model::kElement;
  const bool has_status = spec.type == model::kCommitment || spec.type == model::kNegotiation;
  std::string list_usage = spec.type == model::kNegotiation ? "" : "[--negotiation ID] ";
  std::vector<OptionSpec> list_options = {
      {"since", true}, {"until", true}, {"author", true}, {"limit", true}, {"offset", true}};
  if (spec.type != model::kNegotiation) list_options.push_back({"negotiation", true});
  if (has_kind) {
    list_usage += spec.type == model::kParty     ? "[--kind ROLE] "
                  : spec.type == model::kElement ? "[--kind ELEMENT] "
                                                 : "[--kind K] ";
    list_options.push_back(TextOption("kind"));
  }
  if (has_status) {
    list_usage += "[--status S] ";
    list_options.push_back({"status", true});
  }
  list_usage +=
      "[--since YYYY-MM-DD] [--until YYYY-MM-DD] [--author DEVICE] [--limit N] [--offset N]";
  if (spec.type !=
      model::kNegotiation) {  // `negotiation show` is the overview (cmd_negotiation.cc)
    commands.push_back(
        {Words(spec, "show"),
         "ID",
         "everything about one " + noun + ": every field in full, conflicts, who recorded it",
         {},
         1,
         1,
         &Show<I>});
  }
  commands.push_back({Words(spec, "list"), list_usage,
                      "list " + std::string(spec.plural) + ", 50 at a time", list_options, 0, 0,
                      &List<I>});
  std::vector<OptionSpec> edit_options;
  for (const auto& e : spec.edits) {
    OptionSpec o{e.option, true, e.ref == Ref::kCommitments || e.ref == Ref::kForms, e.text};
    edit_options.push_back(o);
  }
  if (spec.type == model::kCommitment) {
    edit_options.push_back({"firm", false});
    edit_options.push_back({"flexible", false});
  }
  commands.push_back({Words(spec, "edit"), "ID " + std::string(spec.edit_usage),
                      "change only the given fields of a " + noun, edit_options, 1, 1, &Edit<I>});
  commands.push_back({Words(spec, "delete"),
                      "ID [--yes]",
                      "delete a " + noun +
                          (spec.type == model::kNegotiation ? " and its records" : "") +
                          " (asks first unless --yes; history keeps it)",
                      {{"yes", false}},
                      1,
                      1,
                      &Delete<I>});
}

template <std::size_t... I>
void AddTypes(std::vector<Command>& commands, std::index_sequence<I...>) {
  (AddType<I>(commands), ...);
}

}  // namespace

std::string ListKey(std::string_view type) {
  if (type == model::kNegotiation) return "negotiations";
  if (type == model::kParty) return "parties";
  if (type == model::kSession) return "sessions";
  if (type == model::kNote) return "notes";
  if (type == model::kCommitment) return "commitments";
  if (type == model::kNeed) return "needs";
  if (type == model::kElement) return "bottom_line";
  if (type == model::kCampaignAction) return "campaign_actions";
  return std::string(type);
}

void AddRecordListCommands(std::vector<Command>& commands) {
  AddTypes(commands, std::make_index_sequence<8>());
}

}  // namespace parley::cli
