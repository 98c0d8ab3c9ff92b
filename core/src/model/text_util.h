// Small text helpers shared by the model's sources (internal; not installed).
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "parley/platform/status.h"

namespace parley::model::internal {

// A Code::kInvalidArgument error of the model's domain.
inline Status Invalid(std::string message) {
  return Error(Domain::kModel, Code::kInvalidArgument, std::move(message));
}

// ASCII lower case (user text other than ASCII letters is kept as it is).
inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "a, b, c": for messages that list the accepted values.
inline std::string Joined(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto i : items) {
    if (!out.empty()) out += ", ";
    out += i;
  }
  return out;
}

// Splits "a,b,c" into its non-empty items.
inline std::vector<std::string> SplitList(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    if (comma > start) out.emplace_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace parley::model::internal
