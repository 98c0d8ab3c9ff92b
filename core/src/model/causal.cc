// What the model asks the replica about the order changes were made in: which change
// created a record, and the recording order of sessions that share a date (docs/model.md).
#include <optional>
#include <string>
#include <vector>

#include "parley/core/model.h"

namespace parley::model {

Result<std::optional<log::ChangeStamp>> Model::CreationOf(const RecordId& id) {
  PARLEY_ASSIGN_OR_RETURN(auto history, replica_.History(id));
  for (const auto& h : history) {
    if (h.op == "create")
      return std::optional<log::ChangeStamp>(log::ChangeStamp{h.author, h.seq, h.hlc});
  }
  return std::optional<log::ChangeStamp>();
}

Status Model::OrderSameDateSessions(std::vector<log::Record>& sessions) {
  std::size_t start = 0;
  while (start < sessions.size()) {
    const std::string date = sessions[start].get("date");
    std::size_t end = start + 1;
    while (end < sessions.size() && sessions[end].get("date") == date) ++end;
    if (end - start > 1) {
      std::vector<log::ChangeStamp> created;
      for (std::size_t i = start; i < end; ++i) {
        PARLEY_ASSIGN_OR_RETURN(std::optional<log::ChangeStamp> c, CreationOf(sessions[i].id));
        // Always held for a visible record; without it, the clock the record gives.
        created.push_back(c ? *c : log::ChangeStamp{"", 0, sessions[i].created_hlc});
      }
      PARLEY_ASSIGN_OR_RETURN(std::vector<std::size_t> order, replica_.CausalOrder(created));
      std::vector<log::Record> group;
      group.reserve(order.size());
      for (std::size_t i : order) group.push_back(std::move(sessions[start + i]));
      for (std::size_t i = 0; i < group.size(); ++i) sessions[start + i] = std::move(group[i]);
    }
    start = end;
  }
  return Status::Ok();
}

}  // namespace parley::model
