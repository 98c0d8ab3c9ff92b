// Edit distance between two words, for "did you mean ..." suggestions (unknown commands and
// options, commitment kinds). Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley {

// The Levenshtein distance between `a` and `b` over bytes: the fewest single-byte insertions,
// deletions and substitutions that turn one into the other. O(|a| x |b|) time, O(|b|) memory.
std::size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace parley
