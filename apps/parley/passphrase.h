// Reading the passphrase: from PARLEY_PASSPHRASE (for scripts), else from the terminal
// (/dev/tty) with echo turned off. The passphrase is kept in locked memory and never
// printed.
#pragma once

#include <string_view>

#include "parley/device.h"

namespace parley::cli {

inline constexpr const char* kPassphraseEnv = "PARLEY_PASSPHRASE";
inline constexpr const char* kNewPassphraseEnv = "PARLEY_NEW_PASSPHRASE";

// `confirm`: ask twice (for init) and fail with Code::kInvalidArgument if they differ.
// Code::kInvalidArgument when the passphrase is empty or there is neither the variable nor
// a terminal.
Result<crypto::SecretBytes> ReadPassphrase(bool confirm);

// The new passphrase of `passphrase change`: PARLEY_NEW_PASSPHRASE, else asked twice on the
// terminal. Code::kInvalidArgument as ReadPassphrase.
Result<crypto::SecretBytes> ReadNewPassphrase();

// The passphrase typed on the terminal only (never from the environment): the user's consent
// to unlock again. Code::kInvalidArgument when there is no terminal.
Result<crypto::SecretBytes> AskPassphraseOnTerminal(std::string_view prompt);

// True when this process can reach a terminal (/dev/tty) to ask on.
bool HaveTerminal();

inline std::string_view View(const crypto::SecretBytes& s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// Reads one line from the terminal with echo turned off, after `prompt` (a recovery key
// typed by hand). Code::kInvalidArgument when there is no terminal or the line is empty.
Result<crypto::SecretBytes> ReadSecretOnTerminal(std::string_view prompt);

// Asks a yes/no style question on the terminal and returns the typed line (echo on).
// Code::kInvalidArgument when there is no terminal.
Result<std::string> AskOnTerminal(std::string_view prompt);

}  // namespace parley::cli
