#include "parley/platform/process_hardening.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace parley {

Status DisableCoreDumps() {
  Status status;
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    status = Error(Domain::kPlatform, Code::kIoError,
                   std::string("cannot disable core dumps (setrlimit): ") + std::strerror(errno));
  }
#if defined(__linux__)
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 && status.ok()) {
    status =
        Error(Domain::kPlatform, Code::kIoError,
              std::string("cannot mark the process not dumpable (prctl): ") + std::strerror(errno));
  }
#endif
  return status;
}

}  // namespace parley
