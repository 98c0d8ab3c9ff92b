// The options of `parley-relay serve`: each numeric one parsed strictly and checked against
// its allowed range before the relay opens anything (docs/wire-protocol.md, §8).
//
// Integers are decimal digits only (no sign, space, exponent or fraction); --rate and
// --burst are decimal numbers (digits, an optional fraction and exponent), finite. A value
// outside its range, or an option serve does not know, is refused with a message naming it
// and, for a number, its range. Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "parley/relay/relay_server.h"

namespace parley::relay_app {

// `flags`: "--name" -> value, as given (--data is read elsewhere and ignored here). On
// success `*out` holds every option (defaults for the ones not given) and "" is returned;
// otherwise the message for the operator, and `*out` is unspecified.
std::string ParseServeOptions(const std::map<std::string, std::string>& flags,
                              relay::RelayOptions* out);

// The numeric options' names ("--max-connections", ...), for the command-line parser.
std::vector<std::string> ServeOptionNames();

// The usage lines of the numeric options, with their ranges and defaults.
std::string ServeOptionsHelp();

}  // namespace parley::relay_app
