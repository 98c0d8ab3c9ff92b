// Import: many records from a CSV or JSON-lines file, written a batch at a time
// (docs/cli.md, "Import", has the columns of every record type and an example file).
//
// An import runs in two steps:
//   1. PlanImport reads the whole file and checks every row: the format, each column's value
//      as the model validates it, and every reference (the negotiation, a note's session, a
//      commitment's party) against the records this device holds. The first problem stops
//      it: nothing is written, and the error names the line and the column.
//   2. RunImport writes the planned records, at most ImportOptions::batch records per change
//      (one Replica transaction each, Model::CreateRecords), reporting progress after each.
// So a file with an invalid row writes nothing. A failure while writing (disk full, the
// store closed) keeps the changes already committed; the error then says how many records
// were written before it.
//
// Formats (the bytes are UTF-8; a leading byte-order mark is ignored):
//   CSV (RFC 4180): a header row naming the columns, then one record per row; fields
//     separated by commas, rows by CRLF or LF; a field in double quotes may hold commas,
//     line breaks and doubled quotes (""). Empty rows are skipped; an empty field is an
//     absent value.
//   JSON lines: one JSON object per line, its members named like the columns, each value a
//     string (null: absent). Empty lines are skipped.
// Columns: `type` (note, commitment, need, session, party, campaign_action), `negotiation` (a
// negotiation's id or a unique prefix of at least 4 hex characters), and the fields of the
// type, as the `add` commands take them. A non-empty value in a column that the row's type
// does not have is an error.
//
// Lines are counted from 1, as an editor shows them; a CSV row starts on the line of its
// first field (a quoted field may span lines).
//
// Thread safety: like the Model, one thread at a time. The progress callback runs on the
// calling thread.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parley/core/model.h"
#include "parley/platform/status.h"

namespace parley::model {

enum class ImportFormat { kCsv, kJsonLines };

// The largest file an import reads, and the most records one change holds.
inline constexpr std::size_t kMaxImportBytes = std::size_t{256} << 20;
inline constexpr std::size_t kMaxImportBatch = 10000;
inline constexpr std::size_t kDefaultImportBatch = 500;
// A change closes before its records' values would exceed this many bytes, whatever the batch
// size; a single record larger than this is refused when planning.
inline constexpr std::size_t kMaxImportChangeBytes = std::size_t{16} << 20;

// "csv", "jsonl" (also "ndjson"). Code::kInvalidArgument otherwise.
Result<ImportFormat> ImportFormatNamed(std::string_view name);
// The format a file name's extension tells: .csv, .jsonl, .ndjson (any case); none otherwise.
std::optional<ImportFormat> ImportFormatOfPath(std::string_view path);
std::string_view ImportFormatName(ImportFormat format);  // "csv", "jsonl"

// The record types an import creates, in a fixed order: note, commitment, need, session,
// party, campaign_action.
const std::vector<std::string_view>& ImportTypes();
// The columns a row of `type` may fill (after `type` and `negotiation`), in the documented
// order; empty for a type that cannot be imported.
const std::vector<std::string_view>& ImportColumns(std::string_view type);

// One row of the file, as read: its first line and its non-empty values by column.
struct ImportRow {
  std::size_t line = 0;
  std::vector<std::pair<std::string, std::string>> values;  // column, value (never empty)
};

// Where a file is wrong: the line (0 when the problem is the file as a whole) and the column
// (empty when the problem is not one column's).
struct ImportProblem {
  std::size_t line = 0;
  std::string column;
};

// Reads the rows of `data`. Code::kInvalidArgument (Domain::kModel) for a malformed file —
// "line 12, column text: ..." — with `problem`, when given, set to the same place. Checks
// the columns' names (known ones, no duplicates, `type` and `negotiation` present), UTF-8
// and the syntax; not the values.
Result<std::vector<ImportRow>> ParseImport(std::string_view data, ImportFormat format,
                                           ImportProblem* problem = nullptr);

// What the file will write: validated records, in file order.
struct ImportPlan {
  std::vector<NewRecord> records;
  std::vector<std::size_t> lines;  // the line of each record
};

// Parses and validates every row (see above). The model's codes pass through with the line
// and column prefixed to the message: kInvalidArgument for a malformed file or an invalid
// value, kNotFound for a reference to a record that does not exist (or has another type, or
// belongs to another negotiation). `problem`, when given, is set on failure. Reads the
// replica; writes nothing.
Result<ImportPlan> PlanImport(Model& model, std::string_view data, ImportFormat format,
                              ImportProblem* problem = nullptr);

struct ImportOptions {
  std::size_t batch = kDefaultImportBatch;  // records per change, 1 to kMaxImportBatch
  bool dry_run = false;                     // plan only; the summary tells what would be written
  // Called with (records written, records in the plan): once with 0 before the first
  // change, then after each committed change.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct ImportSummary {
  std::size_t imported = 0;                    // records written (would be, for a dry run)
  std::size_t changes = 0;                     // changes committed (would be, for a dry run)
  std::map<std::string, std::size_t> by_type;  // records per type
};

// Writes `plan`, at most options.batch records per change (an empty plan writes nothing and
// makes no change). Code::kInvalidArgument (nothing written) for a batch size out of range;
// a write failure keeps its code,
// with "after N of M records" in the message (the N records stay written).
Result<ImportSummary> RunImport(Model& model, const ImportPlan& plan,
                                const ImportOptions& options = {});

// PlanImport, then RunImport.
Result<ImportSummary> Import(Model& model, std::string_view data, ImportFormat format,
                             const ImportOptions& options = {}, ImportProblem* problem = nullptr);

}  // namespace parley::model
