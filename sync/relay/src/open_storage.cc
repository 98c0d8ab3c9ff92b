// OpenRelayStorage: a storage spec (the program's --storage) to a backend.
#include "parley/relay/relay_storage.h"

namespace parley::relay {

bool IsPostgresStorageSpec(const std::string& spec) {
  return spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<RelayStorage>> OpenRelayStorage(const std::string& spec,
                                                       const std::string& data_dir) {
  if (spec.empty() || spec == "sqlite") return OpenSqliteRelayStorage(data_dir + "/relay.db");
  if (spec.rfind("sqlite:", 0) == 0 && spec.size() > 7) {
    return OpenSqliteRelayStorage(spec.substr(7));
  }
  if (IsPostgresStorageSpec(spec)) return OpenPostgresRelayStorage(spec);
  // The spec may hold a password: it is not repeated.
  return Error(Domain::kSync, Code::kInvalidArgument,
               "unknown storage: use sqlite, sqlite:PATH or a postgresql:// URI");
}

}  // namespace parley::relay
