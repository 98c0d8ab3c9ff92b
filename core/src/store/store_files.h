// The files a store keeps in its data directory, and their removal.
// Internal to the store.
#pragma once

#include <string>

#include "parley/platform/env.h"

namespace parley::store::internal {

// Removes the database, its WAL, shared-memory and journal files and any temporary left by
// an interrupted atomic write. OK when none exist; the first error otherwise (after trying all).
Status RemoveDatabaseFiles(Env& env, const std::string& data_dir);

}  // namespace parley::store::internal
