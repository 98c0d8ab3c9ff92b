// search: full-text search over everything typed into the vault (Model::Search).
#include <nlohmann/json.hpp>

#include <charconv>

#include "app.h"
#include "table.h"

namespace parley::cli {
namespace {

// "--limit N" / "--offset N": a decimal count within [min, max].
Result<std::size_t> Count(const Invocation& inv, const std::string& name, std::size_t fallback,
                          std::size_t min, std::size_t max) {
  if (!inv.Has(name)) return fallback;
  const std::string value = inv.Get(name);
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < min ||
      n > max) {
    return UsageError("--" + name + " takes a number from " + std::to_string(min) + " to " +
                      std::to_string(max));
  }
  return n;
}

// A snippet on one line: line breaks inside a value (and between conflicting versions) show
// as " / ".
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += " / ";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

Status Search(App& app, const Invocation& inv) {
  model::SearchOptions options;
  if (inv.Has("negotiation")) {
    PARLEY_ASSIGN_OR_RETURN(options.negotiation, app.ResolveId(inv.Get("negotiation")));
  }
  PARLEY_ASSIGN_OR_RETURN(options.limit, Count(inv, "limit", options.limit, 1, log::kMaxTextHits));
  PARLEY_ASSIGN_OR_RETURN(options.offset, Count(inv, "offset", 0, 0, log::kMaxTextOffset));
  PARLEY_ASSIGN_OR_RETURN(auto hits, app.model().Search(inv.args[0], options));
  if (app.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const model::SearchHit& h : hits) {
      nlohmann::json hit = {{"record", log::ToString(h.record)},
                            {"type", h.type},
                            {"field", h.field},
                            {"negotiation", nullptr},
                            {"snippet", h.snippet},
                            {"score", h.score}};
      if (h.negotiation.has_value()) hit["negotiation"] = log::ToString(*h.negotiation);
      out.push_back(std::move(hit));
    }
    app.PrintJson(nlohmann::json{{"hits", std::move(out)}});
    return Status::Ok();
  }
  if (hits.empty()) {
    app.Print(options.offset == 0 ? "Nothing found.\n" : "No more results.\n");
    return Status::Ok();
  }
  std::string text;
  for (const model::SearchHit& h : hits) {
    text += ShortId(log::ToString(h.record)) + "  " + h.type + "." + h.field;
    if (h.negotiation.has_value() && *h.negotiation != h.record) {
      text += "  (negotiation " + ShortId(log::ToString(*h.negotiation)) + ")";
    }
    text += "\n    " + OneLine(h.snippet) + "\n";
  }
  const std::size_t first = options.offset + 1;
  text += std::to_string(hits.size()) + (hits.size() == 1 ? " result" : " results");
  if (options.offset > 0 || hits.size() == options.limit) {
    text += " (" + std::to_string(first) + "-" + std::to_string(options.offset + hits.size()) + ")";
  }
  if (hits.size() == options.limit) {
    text += "; more with --offset " + std::to_string(options.offset + hits.size());
  }
  app.Print(text + "\n");
  return Status::Ok();
}

}  // namespace

void AddSearchCommands(std::vector<Command>& commands) {
  commands.push_back(
      {{"search"},
       "TEXT [--negotiation ID] [--limit N] [--offset N]",
       "find records by the words typed in them (notes, terms, names, places, ...), best first",
       {{"negotiation", true}, {"limit", true}, {"offset", true}},
       1,
       1,
       &Search,
       /*needs_store=*/true,
       /*text_args=*/{0}});
}

}  // namespace parley::cli
