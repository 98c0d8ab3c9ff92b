// Names of the relay faults a device reports (client.h).
#include "parley/sync/client.h"

namespace parley::sync {

std::string_view RelayFaultName(RelayFault fault) {
  switch (fault) {
    case RelayFault::kRolledBack:
      return "rolled_back";
    case RelayFault::kWithheld:
      return "withheld";
    case RelayFault::kForeignVault:
      return "foreign_vault";
    case RelayFault::kForged:
      return "forged";
  }
  return "unknown";
}

}  // namespace parley::sync
