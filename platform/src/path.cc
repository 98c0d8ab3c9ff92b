#include <algorithm>
#include <string>
#include <string_view>

#include "parley/platform/env.h"

namespace parley {
namespace {

class BufferedAtomicFile final : public AtomicFile {
 public:
  BufferedAtomicFile(Env& env, std::string path) : env_(env), path_(std::move(path)) {}
  Status Append(std::span<const std::uint8_t> data) override {
    buf_.insert(buf_.end(), data.begin(), data.end());
    return Status::Ok();
  }
  Status Commit() override { return env_.WriteFileAtomic(path_, buf_); }

 private:
  Env& env_;
  std::string path_;
  std::vector<std::uint8_t> buf_;
};

class BufferedSequentialFile final : public SequentialFile {
 public:
  explicit BufferedSequentialFile(std::vector<std::uint8_t> data) : data_(std::move(data)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    const std::size_t n = std::min(out.size(), data_.size() - pos_);
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos_), n, out.begin());
    pos_ += n;
    return n;
  }

 private:
  std::vector<std::uint8_t> data_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::unique_ptr<AtomicFile>> Env::NewAtomicFile(const std::string& path) {
  return std::unique_ptr<AtomicFile>(new BufferedAtomicFile(*this, path));
}

Result<std::unique_ptr<SequentialFile>> Env::OpenSequential(const std::string& path) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  return std::unique_ptr<SequentialFile>(new BufferedSequentialFile(std::move(data).value()));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out.push_back('/');
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  out.append(name);
  return out;
}

}  // namespace parley
