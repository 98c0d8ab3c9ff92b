#include "cli_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

extern char** environ;

namespace parley::cli_test {

testing::json::Value Outcome::Json() const {
  auto v = testing::json::Parse(out);
  EXPECT_TRUE(v.ok()) << "not valid JSON: " << v.status().ToString() << "\n" << out;
  return v.ok() ? *v : testing::json::Value();
}

std::string ParleyBinary() { return std::string(PARLEY_BINARY_DIR) + "/apps/parley/parley"; }

Device::Device(const std::string& root, const std::string& name)
    : root_(root),
      data_dir_(root + "/" + name + "-data"),
      keystore_dir_(root + "/" + name + "-keystore") {
  env["PARLEY_PASSPHRASE"] = "test passphrase for " + name;
  env["PARLEY_ARGON2"] = "min";
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> ChildEnvironment(const std::string& home,
                                          const std::map<std::string, std::string>& vars) {
  // The parent's environment without any PARLEY_ variable, HOME pointed into the test root
  // (so no default directory of the user is touched), no editor, then the device's variables.
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    if (kv.rfind("PARLEY_", 0) == 0 || kv.rfind("HOME=", 0) == 0 || kv.rfind("XDG_", 0) == 0)
      continue;
    if (kv.rfind("EDITOR=", 0) == 0 || kv.rfind("VISUAL=", 0) == 0)
      continue;  // no editor of the user's
    out.push_back(kv);
  }
  out.push_back("HOME=" + home);
  for (const auto& [k, v] : vars) {
    if (!v.empty()) out.push_back(k + "=" + v);
  }
  return out;
}

ChildCommand::ChildCommand(const Device& device, const std::vector<std::string>& args,
                           const std::string& binary)
    : argv_s_{binary.empty() ? ParleyBinary() : binary, "--data", device.data_dir(), "--keystore",
              device.keystore_dir()},
      env_s_(ChildEnvironment(device.home(), device.env)) {
  argv_s_.insert(argv_s_.end(), args.begin(), args.end());
  for (auto& a : argv_s_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  for (auto& e : env_s_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
}

Outcome Device::operator()(const std::vector<std::string>& args, const std::string& input) const {
  const std::string in_path = root_ + "/.stdin", out_path = root_ + "/.stdout",
                    err_path = root_ + "/.stderr";
  {
    std::ofstream f(in_path, std::ios::binary | std::ios::trunc);
    f << input;
  }
  ChildCommand command(*this, args);

  Outcome run;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();  // no controlling terminal: /dev/tty cannot be opened
    if (memory_limit != 0) {
      const rlimit limit{static_cast<rlim_t>(memory_limit), static_cast<rlim_t>(memory_limit)};
      if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(125);
    }
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(command.argv()[0], command.argv(), command.envp());
    ::_exit(127);
  }
  EXPECT_GT(pid, 0);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = ReadBytes(out_path);
  run.err = ReadBytes(err_path);
  ::unlink(in_path.c_str());
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return run;
}

testing::json::Value Device::Json(const std::vector<std::string>& args,
                                  const std::string& input) const {
  std::vector<std::string> with_json = args;
  with_json.push_back("--json");
  Outcome r = (*this)(with_json, input);
  EXPECT_EQ(r.exit_code, 0) << "parley " << args[0] << " failed: " << r.err;
  return r.Json();
}

std::string Device::Id(const std::vector<std::string>& args) const {
  std::string id = Json(args)["id"].AsString();
  EXPECT_EQ(id.size(), 32u) << "no id in the output of parley " << args[0];
  return id;
}

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return files;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      for (auto& f : FilesUnder(path)) files.push_back(std::move(f));
    } else if (S_ISREG(st.st_mode)) {
      files.push_back(path);
    }
  }
  ::closedir(d);
  return files;
}

}  // namespace parley::cli_test
