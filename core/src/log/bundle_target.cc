// Where a bundle may be written: never over a store's own files, never over anything that is
// not a regular file (docs/bundle-format.md, "Export").
#include <span>
#include <string>
#include <vector>

#include "parley/core/bundle.h"

namespace parley::bundle {
namespace {

// Deep enough for any layout a store or key store uses; a deeper tree is not walked.
constexpr int kMaxDepth = 4;

Status Refused(const std::string& path, const std::string& why) {
  return Error(Domain::kLog, Code::kInvalidArgument,
               "refusing to write the bundle to " + path + ": " + why);
}

// The directory a new entry at `path` goes into ("dir/" names "dir" itself, an error later).
std::string DirName(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool Same(const FileInfo& a, const FileInfo& b) {
  return a.device == b.device && a.inode == b.inode;
}

// True when `target` is `dir` or a file under it (by device and inode, whatever path leads there).
bool Holds(Env& env, const std::string& dir, const FileInfo& target, int depth) {
  auto names = env.ListDir(dir);
  if (!names.ok()) return false;
  for (const std::string& name : *names) {
    const std::string child = JoinPath(dir, name);
    auto info = env.StatFile(child);
    if (!info.ok()) continue;
    if (Same(*info, target)) return true;
    if (info->kind == FileInfo::Kind::kDirectory && depth < kMaxDepth &&
        Holds(env, child, target, depth + 1)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Status CheckBundleTarget(Env& env, const std::string& path,
                         std::span<const std::string> protected_dirs) {
  if (path.empty()) return Refused("\"\"", "no file name");
  auto target = env.StatFile(path);
  if (!target.ok() && target.status().code() != Code::kNotFound)
    return target.status().Annotate("checking " + path);
  if (target.ok() && target->kind != FileInfo::Kind::kRegular) {
    return Refused(path, target->kind == FileInfo::Kind::kDirectory ? "it is a directory"
                                                                    : "it is not a regular file");
  }
  auto parent = env.StatFile(DirName(path));
  for (const std::string& dir : protected_dirs) {
    if (dir.empty()) continue;
    auto protected_dir = env.StatFile(dir);
    if (!protected_dir.ok()) continue;
    if (target.ok() && Holds(env, dir, *target, 1))
      return Refused(path, "it is one of the store's own files");
    if (parent.ok() && (Same(*parent, *protected_dir) || Holds(env, dir, *parent, 1))) {
      return Refused(path, "it is inside the store's directory " + dir);
    }
  }
  return Status::Ok();
}

}  // namespace parley::bundle
