// Model::Search: full-text search over the free-text fields (docs/model.md, "Search"). The
// index itself is kept by the replica (docs/storage-schema.md, "Text index").
#include "parley/core/model.h"

namespace parley::model {

Result<std::vector<SearchHit>> Model::Search(std::string_view query, const SearchOptions& options) {
  log::TextSearchOptions text;
  if (options.negotiation.has_value()) {
    PARLEY_RETURN_IF_ERROR(GetOfType(*options.negotiation, kNegotiation).status());
    text.scope = options.negotiation;
  }
  text.limit = options.limit;
  text.offset = options.offset;
  auto found = replica_.SearchText(query, text);
  if (!found.ok()) {
    const Status& s = found.status();
    if (s.code() == Code::kInvalidArgument) return Error(Domain::kModel, s.code(), s.message());
    return s;
  }
  std::vector<SearchHit> hits;
  hits.reserve(found->size());
  for (log::TextHit& h : *found) {
    SearchHit hit;
    hit.record = h.record;
    hit.type = std::move(h.type);
    hit.field = std::move(h.field);
    hit.negotiation = h.scope;
    hit.snippet = std::move(h.snippet);
    hit.score = h.score;
    hits.push_back(std::move(hit));
  }
  return hits;
}

}  // namespace parley::model
