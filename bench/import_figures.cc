// Import figures (docs/benchmarks.md, "Import"): 10,000 notes of one negotiation read from a
// CSV file in memory, every row checked, then written 500 per change (parley/core/import.h).
#include <string>

#include "figures.h"
#include "parley/core/import.h"
#include "parley/core/model.h"
#include "parley/platform/posix_env.h"

namespace parley::bench {

void RunImport(const Options& options) {
  if (!Wanted(options, "import_notes_per_s")) return;
  const std::size_t notes = options.quick ? 2000 : 10000;
  BenchStore b = OpenFreshStore(options, crypto::MinimumArgon2Params(), /*with_replica=*/true);
  model::Model model(*b.replica, SystemClock());
  const log::RecordId negotiation =
      Take(model.AddNegotiation({"Fresh Harvest Foods", "Tomato season"}), "negotiation");
  // About 200 bytes a note, quoted (a comma and a doubled quote in each), as a spreadsheet
  // exports them; the negotiation by an 8-character prefix.
  std::string csv = "type,negotiation,text\n";
  const std::string prefix = log::ToString(negotiation).substr(0, 8);
  for (std::size_t i = 1; i <= notes; ++i) {
    csv += "note," + prefix + ",\"Session " + std::to_string(i) +
           ": the Buyer said \"\"maybe\"\", asked for a phase-in of the premium over two seasons, "
           "and wanted the monitoring visits announced a week ahead; we said no to that.\"\n";
  }
  Stopwatch clock;
  model::ImportOptions import_options;  // the default batch, as `parley import` uses it
  auto summary =
      Take(model::Import(model, csv, model::ImportFormat::kCsv, import_options), "import");
  const double s = clock.ElapsedS();
  Note("imported " + std::to_string(summary.imported) + " notes (" +
       std::to_string(csv.size() >> 10) + " KiB of CSV) in " + std::to_string(summary.changes) +
       " changes, " + std::to_string(s) + " s");
  Report("import_notes_per_s", static_cast<double>(summary.imported) / s, "notes/s");
}

}  // namespace parley::bench
