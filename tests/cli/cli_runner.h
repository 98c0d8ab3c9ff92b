// Runs the built `parley` binary as a subprocess, the way a script would: its own data and
// key-store directories, PARLEY_PASSPHRASE in the environment, no controlling terminal.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/json.h"
#include "support/temp_dir.h"

namespace parley::cli_test {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  // Parses `out` as JSON; a null value (and a test failure) when it is not valid JSON.
  testing::json::Value Json() const;
};

// Path of the parley binary under test.
std::string ParleyBinary();

// One device: a data directory and a key-store directory inside `root`.
class Device {
 public:
  Device(const std::string& root, const std::string& name);
  const std::string& data_dir() const { return data_dir_; }
  const std::string& keystore_dir() const { return keystore_dir_; }
  const std::string& home() const { return root_; }  // HOME of its runs; data_dir() is inside

  // Environment variables for every run (PARLEY_PASSPHRASE and PARLEY_ARGON2=min by
  // default); set a value to "" to remove the variable.
  std::map<std::string, std::string> env;
  // When non-zero, the process's address space is limited to this many bytes (RLIMIT_AS), so
  // a run that would hold unbounded memory fails instead of exhausting the machine's.
  std::uint64_t memory_limit = 0;

  // parley --data D --keystore K ARGS..., with `input` on standard input.
  Outcome operator()(const std::vector<std::string>& args, const std::string& input = "") const;
  // Runs with --json, expects exit 0, returns the parsed output.
  testing::json::Value Json(const std::vector<std::string>& args,
                            const std::string& input = "") const;
  // Runs with --json and returns the "id" member of the output.
  std::string Id(const std::vector<std::string>& args) const;

 private:
  std::string root_;
  std::string data_dir_;
  std::string keystore_dir_;
};

// The environment of a `parley` run: the parent's without any PARLEY_, HOME, XDG_, EDITOR or
// VISUAL variable, HOME set to `home`, then `vars` (empty values left out).
std::vector<std::string> ChildEnvironment(const std::string& home,
                                          const std::map<std::string, std::string>& vars);

// The argument and environment vectors of a `parley` run of `device`, as operator() builds
// them (`binary` instead of parley when given), owning their strings: argv() and envp() are
// null-terminated for execve and live as long as this object.
class ChildCommand {
 public:
  ChildCommand(const Device& device, const std::vector<std::string>& args,
               const std::string& binary = "");
  ChildCommand(const ChildCommand&) = delete;
  ChildCommand& operator=(const ChildCommand&) = delete;
  char* const* argv() { return argv_.data(); }
  char* const* envp() { return envp_.data(); }

 private:
  std::vector<std::string> argv_s_, env_s_;
  std::vector<char*> argv_, envp_;
};

// Every regular file under `dir`, recursively (absent directory: none).
std::vector<std::string> FilesUnder(const std::string& dir);
std::string ReadBytes(const std::string& path);

}  // namespace parley::cli_test
