// Import of records from CSV (RFC 4180) or JSON lines: parse, validate every row, then write
// a batch of records per change (parley/core/import.h).
#include "parley/core/import.h"
#include "model/text_util.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <span>
#include <unordered_map>
#include <utility>

namespace parley::model {
namespace {

using internal::Invalid;
using internal::Lower;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// "line 12, column kind: " (or less when the place is less precise).
std::string Where(std::size_t line, std::string_view column) {
  std::string out;
  if (line > 0) out = "line " + std::to_string(line);
  if (!column.empty()) out += (out.empty() ? "column " : ", column ") + std::string(column);
  return out.empty() ? out : out + ": ";
}

// `status` with the place prefixed to its message, domain and code kept; `problem` set.
Status At(const Status& status, std::size_t line, std::string_view column, ImportProblem* problem) {
  if (problem != nullptr) *problem = {line, std::string(column)};
  return Status(status.domain(), status.code(), Where(line, column) + status.message());
}
Status InvalidAt(std::string message, std::size_t line, std::string_view column,
                 ImportProblem* problem) {
  return At(Invalid(std::move(message)), line, column, problem);
}

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool IsUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

const std::vector<std::string_view>& AllColumns() {
  static const std::vector<std::string_view> columns = [] {
    std::vector<std::string_view> out = {"type", "negotiation"};
    for (std::string_view type : ImportTypes()) {
      for (std::string_view c : ImportColumns(type)) {
        if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
      }
    }
    return out;
  }();
  return columns;
}

std::string ColumnList(const std::vector<std::string_view>& columns) {
  std::string out;
  for (std::string_view c : columns) out += (out.empty() ? "" : ", ") + std::string(c);
  return out;
}

Status CheckColumnName(std::string_view name) {
  const auto& all = AllColumns();
  if (std::find(all.begin(), all.end(), name) != all.end()) return Status::Ok();
  return Invalid("unknown column '" + std::string(name) + "' (columns: " + ColumnList(all) + ")");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---- CSV (RFC 4180) ----

struct CsvRow {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

// Splits `data` into rows of fields. Line breaks are CRLF or LF (a lone CR too); quoted
// fields may hold anything, a quote doubled. Errors name the line.
Result<std::vector<CsvRow>> SplitCsv(std::string_view data, ImportProblem* problem) {
  std::vector<CsvRow> rows;
  std::size_t line = 1, i = 0;
  while (i < data.size()) {
    CsvRow row;
    row.line = line;
    while (true) {  // one field per round
      std::string field;
      if (i < data.size() && data[i] == '"') {
        const std::size_t opened = line;
        ++i;
        while (true) {
          if (i >= data.size()) {
            return InvalidAt("field " + std::to_string(row.fields.size() + 1) +
                                 " opens a quote here that is never closed",
                             opened, "", problem);
          }
          const char c = data[i];
          if (c == '"') {
            if (i + 1 < data.size() && data[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n' || (c == '\r' && (i + 1 >= data.size() || data[i + 1] != '\n'))) ++line;
          field += c;
          ++i;
        }
        if (i < data.size() && data[i] != ',' && data[i] != '\n' && data[i] != '\r') {
          return InvalidAt("field " + std::to_string(row.fields.size() + 1) +
                               ": a closing quote must end its field (write a quote inside a "
                               "quoted field as \"\")",
                           line, "", problem);
        }
      } else {
        while (i < data.size() && data[i] != ',' && data[i] != '\n' && data[i] != '\r') {
          if (data[i] == '"') {
            return InvalidAt("field " + std::to_string(row.fields.size() + 1) +
                                 ": a quote inside an unquoted field (quote the whole field and "
                                 "double the quote: "
                                 "\"5\"\" pipe\")",
                             line, "", problem);
          }
          field += data[i++];
        }
      }
      row.fields.push_back(std::move(field));
      if (i < data.size() && data[i] == ',') {
        ++i;
        continue;
      }
      break;  // end of the row (line break or end of data)
    }
    if (i < data.size()) {  // the line break
      if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      ++i;
      ++line;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool BlankRow(const CsvRow& row) { return row.fields.size() == 1 && row.fields[0].empty(); }

Result<std::vector<ImportRow>> ParseCsv(std::string_view data, ImportProblem* problem) {
  PARLEY_ASSIGN_OR_RETURN(auto rows, SplitCsv(data, problem));
  auto first = std::find_if(rows.begin(), rows.end(), [](const CsvRow& r) { return !BlankRow(r); });
  if (first == rows.end()) {
    return InvalidAt("no header row: the first line names the columns (type,negotiation,...)", 1,
                     "", problem);
  }
  std::vector<std::string> header;
  for (const std::string& name : first->fields) {
    const std::string column(Trim(name));
    if (!IsUtf8(column))
      return InvalidAt("a column name is not valid UTF-8", first->line, "", problem);
    if (Status s = CheckColumnName(column); !s.ok()) {
      if (std::find(first->fields.begin(), first->fields.end(), "type") == first->fields.end()) {
        return InvalidAt(
            "no header row: the first line must name the columns (type,negotiation,...); " +
                s.message(),
            first->line, "", problem);
      }
      return At(s, first->line, "", problem);
    }
    if (std::find(header.begin(), header.end(), column) != header.end()) {
      return InvalidAt("column '" + column + "' is named twice", first->line, column, problem);
    }
    header.push_back(column);
  }
  for (std::string_view required : {"type", "negotiation"}) {
    if (std::find(header.begin(), header.end(), required) == header.end()) {
      return InvalidAt("the header names no '" + std::string(required) + "' column", first->line,
                       "", problem);
    }
  }
  std::vector<ImportRow> out;
  for (auto it = std::next(first); it != rows.end(); ++it) {
    if (BlankRow(*it)) continue;
    if (it->fields.size() != header.size()) {
      return InvalidAt(std::to_string(it->fields.size()) + " fields, but the header names " +
                           std::to_string(header.size()) + " columns",
                       it->line, "", problem);
    }
    ImportRow row;
    row.line = it->line;
    for (std::size_t k = 0; k < header.size(); ++k) {
      if (it->fields[k].empty()) continue;
      if (!IsUtf8(it->fields[k]))
        return InvalidAt("the value is not valid UTF-8", it->line, header[k], problem);
      row.values.emplace_back(header[k], std::move(it->fields[k]));
    }
    out.push_back(std::move(row));
  }
  return out;
}

// ---- JSON lines ----

Result<std::vector<ImportRow>> ParseJsonLines(std::string_view data, ImportProblem* problem) {
  std::vector<ImportRow> out;
  std::size_t line = 0, start = 0;
  while (start < data.size()) {
    ++line;
    std::size_t end = data.find('\n', start);
    if (end == std::string_view::npos) end = data.size();
    const std::string_view text = data.substr(start, end - start);
    start = end + 1;
    if (Trim(text).empty() || Trim(text) == "\r") continue;
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      // The library's message: "[json.exception.parse_error.101] parse error at line 1,
      // column 16: syntax error while parsing ... ; last read: '...'". The reason is kept;
      // the text read is not repeated.
      std::string reason = e.what();
      if (auto cut = reason.find("; last read"); cut != std::string::npos) reason.resize(cut);
      if (auto column = reason.find(", column "); column != std::string::npos) {
        if (auto colon = reason.find(": ", column); colon != std::string::npos)
          reason.erase(0, colon + 2);
      }
      return InvalidAt("invalid JSON at character " + std::to_string(e.byte) + ": " + reason, line,
                       "", problem);
    } catch (const nlohmann::json::exception&) {
      return InvalidAt("invalid JSON", line, "", problem);
    }
    if (!object.is_object()) return InvalidAt("not a JSON object", line, "", problem);
    ImportRow row;
    row.line = line;
    for (const auto& [key, value] : object.items()) {
      PARLEY_RETURN_IF_ERROR(At(CheckColumnName(key), line, "", problem));
      if (value.is_null()) continue;
      if (!value.is_string()) return InvalidAt("the value must be a string", line, key, problem);
      std::string v = value.get<std::string>();
      if (!v.empty()) row.values.emplace_back(key, std::move(v));
    }
    out.push_back(std::move(row));
  }
  return out;
}

// ---- Planning ----

std::string_view ValueOf(const ImportRow& row, std::string_view column) {
  for (const auto& [c, v] : row.values) {
    if (c == column) return v;
  }
  return {};
}

struct Column {
  std::string_view name;
  bool required = false;
  std::string_view fallback;  // the value when absent
};

const std::vector<Column>& Columns(std::string_view type) {
  static const std::vector<Column> note = {{"text", true, ""}, {"session", false, ""}};
  static const std::vector<Column> commitment = {
      {"kind", true, ""},           {"text", true, ""},      {"by", false, ""},
      {"amount", false, ""},        {"deadline", false, ""}, {"principle", false, "flexible"},
      {"status", false, "proposed"}};
  static const std::vector<Column> need = {{"text", true, ""}, {"kind", false, "need"}};
  static const std::vector<Column> session = {
      {"date", true, ""}, {"place", false, ""}, {"attendees", false, ""}};
  static const std::vector<Column> party = {{"role", true, ""}, {"name", true, ""}};
  static const std::vector<Column> action = {
      {"date", true, ""}, {"kind", true, ""}, {"text", false, ""}};
  static const std::vector<Column> none;
  if (type == kNote) return note;
  if (type == kCommitment) return commitment;
  if (type == kNeed) return need;
  if (type == kSession) return session;
  if (type == kParty) return party;
  if (type == kCampaignAction) return action;
  return none;
}

// Resolves references once per distinct value: 10,000 notes of one negotiation look it up once.
class Planner {
 public:
  Planner(Model& model, ImportProblem* problem) : model_(model), problem_(problem) {}

  Result<NewRecord> Plan(const ImportRow& row) {
    const std::size_t line = row.line;
    const std::string type(ValueOf(row, "type"));
    if (type.empty()) {
      return InvalidAt("a type is required (" + ColumnList(ImportTypes()) + ")", line, "type",
                       problem_);
    }
    const auto& types = ImportTypes();
    if (std::find(types.begin(), types.end(), type) == types.end()) {
      return InvalidAt("unknown type '" + type + "' (types: " + ColumnList(types) + ")", line,
                       "type", problem_);
    }
    const auto& columns = Columns(type);
    for (const auto& entry : row.values) {
      const std::string& column =
          entry.first;  // clang before 16 cannot capture a structured binding
      if (column == "type" || column == "negotiation") continue;
      if (std::none_of(columns.begin(), columns.end(),
                       [&](const Column& c) { return c.name == column; })) {
        return InvalidAt("a " + type + " has no " + column +
                             " (its columns: " + ColumnList(ImportColumns(type)) + ")",
                         line, column, problem_);
      }
    }
    const std::string_view prefix = ValueOf(row, "negotiation");
    if (prefix.empty())
      return InvalidAt("the negotiation is required", line, "negotiation", problem_);
    auto negotiation = Negotiation(prefix);
    if (!negotiation.ok()) return At(negotiation.status(), line, "negotiation", problem_);
    const std::string neg = log::ToString(*negotiation);

    NewRecord record{type, {{"negotiation", neg}}};
    std::size_t bytes = 0;
    for (const Column& c : columns) {
      std::string value(ValueOf(row, c.name));
      if (value.empty()) {
        if (c.required)
          return InvalidAt("a " + type + " needs a " + std::string(c.name), line, c.name, problem_);
        value = c.fallback;
      }
      Status status;
      if (!value.empty()) {
        if (type == kCommitment && c.name == "kind") {
          auto kind = CanonicalCommitmentKind(value);
          if (kind.ok()) value = *kind;
          status = kind.status();
        } else if (type == kCommitment && c.name == "by") {
          auto party = Party(*negotiation, value);
          if (party.ok()) value = log::ToString(*party);
          status = party.status();
        } else if (type == kNote && c.name == "session") {
          auto session = Session(*negotiation, value);
          if (session.ok()) value = log::ToString(*session);
          status = session.status();
        }
        if (status.ok()) status = ValidateField(type, c.name, value);
      }
      if (!status.ok()) return At(status, line, c.name, problem_);
      bytes += value.size();
      record.fields.emplace_back(std::string(c.name), std::move(value));
    }
    if (bytes > kMaxImportChangeBytes) {
      return InvalidAt("the record holds more than " + std::to_string(kMaxImportChangeBytes >> 20) +
                           " MiB of text",
                       line, "", problem_);
    }
    return record;
  }

 private:
  Result<RecordId> Negotiation(std::string_view prefix) {
    auto it = negotiations_.find(std::string(prefix));
    if (it == negotiations_.end()) {
      Result<RecordId> id = model_.ResolvePrefix(prefix);
      if (id.ok()) {
        if (auto n = model_.GetOfType(*id, kNegotiation); !n.ok()) id = n.status();
      }
      it = negotiations_.emplace(std::string(prefix), std::move(id)).first;
    }
    return it->second;
  }

  Result<RecordId> Party(const RecordId& negotiation, std::string_view key) {
    const std::string cache_key = log::ToString(negotiation) + "/" + Lower(key);
    auto it = parties_.find(cache_key);
    if (it == parties_.end())
      it = parties_.emplace(cache_key, model_.FindParty(negotiation, key)).first;
    return it->second;
  }

  Result<RecordId> Session(const RecordId& negotiation, std::string_view prefix) {
    const std::string cache_key = log::ToString(negotiation) + "/" + std::string(prefix);
    auto it = sessions_.find(cache_key);
    if (it == sessions_.end()) {
      Result<RecordId> id = model_.ResolvePrefix(prefix);
      if (id.ok()) {
        auto s = model_.GetOfType(*id, kSession);
        if (!s.ok()) {
          id = s.status();
        } else if (s->get("negotiation") != log::ToString(negotiation)) {
          id = Error(Domain::kModel, Code::kNotFound,
                     "session " + log::ToString(s->id) + " belongs to another negotiation");
        }
      }
      it = sessions_.emplace(cache_key, std::move(id)).first;
    }
    return it->second;
  }

  Model& model_;
  ImportProblem* problem_;
  std::unordered_map<std::string, Result<RecordId>> negotiations_, parties_, sessions_;
};

}  // namespace

Result<ImportFormat> ImportFormatNamed(std::string_view name) {
  const std::string lower = Lower(name);
  if (lower == "csv") return ImportFormat::kCsv;
  if (lower == "jsonl" || lower == "ndjson") return ImportFormat::kJsonLines;
  return Invalid("unknown import format '" + std::string(name) + "' (csv or jsonl)");
}

std::optional<ImportFormat> ImportFormatOfPath(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  const std::size_t slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return std::nullopt;
  auto format = ImportFormatNamed(path.substr(dot + 1));
  if (!format.ok()) return std::nullopt;
  return *format;
}

std::string_view ImportFormatName(ImportFormat format) {
  return format == ImportFormat::kCsv ? "csv" : "jsonl";
}

const std::vector<std::string_view>& ImportTypes() {
  static const std::vector<std::string_view> types = {kNote,    kCommitment, kNeed,
                                                      kSession, kParty,      kCampaignAction};
  return types;
}

const std::vector<std::string_view>& ImportColumns(std::string_view type) {
  static const std::map<std::string_view, std::vector<std::string_view>> names = [] {
    std::map<std::string_view, std::vector<std::string_view>> out;
    for (std::string_view t : ImportTypes()) {
      for (const Column& c : Columns(t)) out[t].push_back(c.name);
    }
    return out;
  }();
  static const std::vector<std::string_view> none;
  auto it = names.find(type);
  return it == names.end() ? none : it->second;
}

Result<std::vector<ImportRow>> ParseImport(std::string_view data, ImportFormat format,
                                           ImportProblem* problem) {
  if (data.size() > kMaxImportBytes) {
    return InvalidAt("the file is larger than " + std::to_string(kMaxImportBytes >> 20) + " MiB", 0,
                     "", problem);
  }
  if (data.substr(0, kBom.size()) == kBom) data.remove_prefix(kBom.size());
  return format == ImportFormat::kCsv ? ParseCsv(data, problem) : ParseJsonLines(data, problem);
}

Result<ImportPlan> PlanImport(Model& model, std::string_view data, ImportFormat format,
                              ImportProblem* problem) {
  PARLEY_ASSIGN_OR_RETURN(auto rows, ParseImport(data, format, problem));
  Planner planner(model, problem);
  ImportPlan plan;
  plan.records.reserve(rows.size());
  plan.lines.reserve(rows.size());
  for (const ImportRow& row : rows) {
    PARLEY_ASSIGN_OR_RETURN(NewRecord record, planner.Plan(row));
    plan.records.push_back(std::move(record));
    plan.lines.push_back(row.line);
  }
  return plan;
}

Result<ImportSummary> RunImport(Model& model, const ImportPlan& plan,
                                const ImportOptions& options) {
  if (options.batch < 1 || options.batch > kMaxImportBatch) {
    return Invalid("the batch size must be from 1 to " + std::to_string(kMaxImportBatch));
  }
  // The batches: at most options.batch records, and at most kMaxImportChangeBytes of values.
  std::vector<std::pair<std::size_t, std::size_t>> batches;  // [first, last)
  for (std::size_t first = 0; first < plan.records.size();) {
    std::size_t last = first, bytes = 0;
    while (last < plan.records.size() && last - first < options.batch) {
      std::size_t size = 0;
      for (const auto& field : plan.records[last].fields) size += field.second.size();
      if (last > first && bytes + size > kMaxImportChangeBytes) break;
      bytes += size;
      ++last;
    }
    batches.emplace_back(first, last);
    first = last;
  }
  ImportSummary summary;
  for (const NewRecord& r : plan.records) ++summary.by_type[r.type];
  const std::size_t total = plan.records.size();
  if (options.dry_run) {
    summary.imported = total;
    summary.changes = batches.size();
    return summary;
  }
  if (options.progress) options.progress(0, total);
  const std::span<const NewRecord> records(plan.records);
  for (const auto& [first, last] : batches) {
    if (auto ids = model.CreateRecords(records.subspan(first, last - first)); !ids.ok()) {
      const Status& s = ids.status();
      return Status(s.domain(), s.code(),
                    "after " + std::to_string(summary.imported) + " of " + std::to_string(total) +
                        " records (lines " + std::to_string(plan.lines[first]) + "-" +
                        std::to_string(plan.lines[last - 1]) + " not written): " + s.message());
    }
    summary.imported = last;
    ++summary.changes;
    if (options.progress) options.progress(summary.imported, total);
  }
  return summary;
}

Result<ImportSummary> Import(Model& model, std::string_view data, ImportFormat format,
                             const ImportOptions& options, ImportProblem* problem) {
  if (options.batch < 1 || options.batch > kMaxImportBatch) {
    return Invalid("the batch size must be from 1 to " + std::to_string(kMaxImportBatch));
  }
  PARLEY_ASSIGN_OR_RETURN(auto plan, PlanImport(model, data, format, problem));
  return RunImport(model, plan, options);
}

}  // namespace parley::model
