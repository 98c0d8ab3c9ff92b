// import: many records from a CSV or JSON-lines file (parley/core/import.h), a batch per change.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "app.h"
#include "parley/core/import.h"

namespace parley::cli {
namespace {

// Standard input to its end; more than `max` bytes is an error.
Result<std::string> ReadAllStandardInput(std::size_t max) {
  std::string data;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error(Domain::kApp, Code::kIoError, "cannot read standard input");
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max) break;
  }
  return data;
}

Result<std::string> ReadImportFile(App& app, const std::string& path) {
  std::string data;
  if (path == "-") {
    PARLEY_ASSIGN_OR_RETURN(data, ReadAllStandardInput(model::kMaxImportBytes));
  } else {
    auto bytes = app.env().ReadFileUpTo(path, model::kMaxImportBytes);
    if (!bytes.ok()) return bytes.status().Annotate(path);
    data.assign(bytes->begin(), bytes->end());
  }
  if (data.size() > model::kMaxImportBytes) {
    return UsageError(path + ": larger than " + std::to_string(model::kMaxImportBytes >> 20) +
                      " MiB");
  }
  return data;
}

// "1,234"
std::string Grouped(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A progress bar redrawn in place on standard error (a terminal).
void DrawProgress(std::size_t done, std::size_t total) {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::string line = "\rImporting [";
  line.append(filled, '#');
  line.append(kWidth - filled, '.');
  line += "] " + Grouped(done) + "/" + Grouped(total) + " records";
  if (done == total) line += "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a progress bar that cannot be shown is not an error
    written += static_cast<std::size_t>(n);
  }
}

std::string Plural(std::size_t n, std::string_view one) {
  std::string word(one);
  if (n != 1 && word.back() == 'y') {
    word.back() = 'i';
    word += "es";
  } else if (n != 1) {
    word += 's';
  }
  return Grouped(n) + " " + word;
}

Status Import(App& app, const Invocation& inv) {
  const std::string& path = inv.args[0];
  model::ImportFormat format = model::ImportFormat::kCsv;
  if (inv.Has("format")) {
    auto named = model::ImportFormatNamed(inv.Get("format"));
    if (!named.ok()) return UsageError(named.status().message());
    format = *named;
  } else if (auto by_name = model::ImportFormatOfPath(path)) {
    format = *by_name;
  } else {
    return UsageError("cannot tell the format of " +
                      (path == "-" ? std::string("standard input") : path) +
                      ": give --format csv or --format jsonl");
  }
  model::ImportOptions options;
  if (inv.Has("batch")) {
    const std::string value = inv.Get("batch");
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 1 ||
        n > model::kMaxImportBatch) {
      return UsageError("--batch takes a number from 1 to " +
                        std::to_string(model::kMaxImportBatch));
    }
    options.batch = n;
  }
  options.dry_run = inv.Has("dry-run");
  PARLEY_ASSIGN_OR_RETURN(std::string data, ReadImportFile(app, path));
  PARLEY_ASSIGN_OR_RETURN(auto plan, model::PlanImport(app.model(), data, format));
  if (!options.dry_run && !plan.records.empty() && ::isatty(STDERR_FILENO) == 1)
    options.progress = &DrawProgress;
  PARLEY_ASSIGN_OR_RETURN(auto summary, model::RunImport(app.model(), plan, options));

  if (app.json()) {
    Json by_type = Json::object();
    for (const auto& [type, n] : summary.by_type) by_type[type] = n;
    app.PrintJson({{"imported", summary.imported},
                   {"changes", summary.changes},
                   {"by_type", std::move(by_type)},
                   {"dry_run", options.dry_run}});
    return Status::Ok();
  }
  std::string kinds;
  for (const auto& [type, n] : summary.by_type)
    kinds += (kinds.empty() ? "" : ", ") + Plural(n, type);
  std::string text;
  if (options.dry_run) {
    text = "Checked " + Plural(summary.imported, "record") + "; nothing written (an import makes " +
           Plural(summary.changes, "change") + ")";
  } else {
    text = "Imported " + Plural(summary.imported, "record") + " in " +
           Plural(summary.changes, "change");
  }
  app.Print(text + (kinds.empty() ? "" : ": " + kinds) + ".\n");
  return Status::Ok();
}

}  // namespace

void AddImportCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"import"},
       "FILE [--format csv|jsonl] [--batch N] [--dry-run]",
       "add many records from a CSV or JSON-lines file (FILE - reads standard input), "
       "a batch per change",
       {{"format", true}, {"batch", true}, {"dry-run", false}},
       1,
       1,
       &Import});
}

}  // namespace parley::cli
