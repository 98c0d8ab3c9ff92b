// Free text from standard input or an editor instead of the command line.
//
// Whatever is on a command line can be read by every user of the machine while the command
// runs (`ps`, /proc/PID/cmdline) and stays in the shell's history file afterwards. So every
// field a person types — a note, a Buyer's or a party's name, terms, an amount, a place, the
// pairing code of a device being enrolled — may be given as
//
//   -      read from standard input, to its end (at a terminal: one Ctrl-D ends it);
//   @edit  typed in $VISUAL, else $EDITOR, else vi, on a private temporary file (mode 0600,
//          in a new 0700 directory, preferably in memory) that is overwritten and removed
//          afterwards, whatever happened.
//
// Commands declare which options (OptionSpec::text) and arguments (Command::text_args) are
// such fields; every other value is taken as written, and a free-text field whose value
// really is "-" or "@edit" is given through standard input. At most one field of a command
// may come from standard input. One trailing newline (and a CR before it) is dropped.
// docs/cli.md, "Text from standard input or an editor", is the user's description.
//
// Prompts go to standard error (the terminal), never to standard output. Text is never
// written to any file but the editor's temporary one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "command_line.h"
#include "parley/platform/status.h"

namespace parley::cli {

inline constexpr std::string_view kFromStdin = "-";
inline constexpr std::string_view kFromEditor = "@edit";
// Longest text one field takes (from standard input or the editor).
inline constexpr std::size_t kMaxTextBytes = std::size_t{16} << 20;

// Replaces every free-text value of `inv` (for `command`) that is "-" or "@edit" by the text
// read from standard input or typed in the editor. `data_dir`: where the editor's directory
// goes when there is no better place (see EditText). Code::kInvalidArgument when more than
// one field is "-" (nothing read) or a text is longer than kMaxTextBytes; Code::kCancelled
// when the editor failed; Code::kIoError when standard input cannot be read. On failure
// `inv` may hold some texts already read; nothing is recorded by the caller then.
Status ReadTextFields(const Command& command, Invocation& inv, const std::string& data_dir);

// The command's free-text fields as the user names them: "--buyer", or an argument's
// placeholder in the usage line ("VALUE"). For help.
std::vector<std::string> TextFieldNames(const Command& command);

// Standard input to its end, without one trailing newline. At a terminal a prompt naming
// `what` goes to standard error, and one Ctrl-D ends the text, at the start of a line or
// after part of one (the terminal then hands over the partial line without its newline).
// Reads with read(2), so nothing typed after that Ctrl-D is taken.
Result<std::string> ReadStandardInput(std::string_view what);

// Opens the editor on an empty private file named `file_name` (e.g. "note-add-text.txt")
// and returns what was saved in it, without one trailing newline. The file's directory is a
// new one (0700) in $XDG_RUNTIME_DIR when that is a private directory of this user, else in
// /dev/shm when it is a tmpfs, else in `data_dir` when it exists, else in $TMPDIR or /tmp;
// the editor runs on the terminal (/dev/tty) when there is one. Every file left in that
// directory (the editor's swap and backup files too) is overwritten with random bytes and
// removed, then the directory, also on failure; a file that cannot be removed is named on
// standard error. Code::kCancelled when the editor exits with a non-zero status or is
// killed (nothing is kept), Code::kIoError when no private directory can be made.
Result<std::string> EditText(const std::string& file_name, const std::string& data_dir);

}  // namespace parley::cli
