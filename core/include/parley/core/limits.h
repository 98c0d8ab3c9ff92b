// Size limits of a change that other modules (the wire, the relay) must agree with.
#pragma once

#include <cstddef>

namespace parley::log {

// Largest encrypted change body accepted (bytes).
inline constexpr std::size_t kMaxChangeBodySize = 64u << 20;
// Largest serialized change header accepted (bytes).
inline constexpr std::size_t kMaxChangeHeaderSize = 512;

}  // namespace parley::log
