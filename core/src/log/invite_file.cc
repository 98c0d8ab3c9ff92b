// Reading an invite file with a bound, whatever the file is (docs/enrolment.md).
#include <string>

#include "parley/core/enrolment.h"

namespace parley::log {

Result<crypto::Bytes> ReadInviteFile(Env& env, const std::string& path) {
  PARLEY_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, env.ReadFileUpTo(path, kMaxInviteSize));
  if (bytes.size() > kMaxInviteSize) {
    return Error(Domain::kLog, Code::kCorrupt,
                 "invite rejected: " + path + " is larger than " +
                     std::to_string(kMaxInviteSize >> 10) +
                     " KiB, the largest invite; nothing was joined");
  }
  return bytes;
}

}  // namespace parley::log
