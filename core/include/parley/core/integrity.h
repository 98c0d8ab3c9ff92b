// The integrity check of a store (`parley check`, Device::CheckIntegrity): SQLite's own
// check of every page (read through the encrypting VFS, so a page that fails authentication
// fails it too) and a check of the change log: every change held is re-verified (form, id,
// author's signature), carries the author and number of its row, and links to the change
// before it from the same author when that one is held.
//
// Ownership: borrows the store. Threads: the store's owner thread. Failures: the store's
// codes when it cannot be read at all; what is wrong with readable data is in the report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parley/core/store.h"

namespace parley::log {

struct IntegrityReport {
  std::uint64_t pages_checked = 0;    // SQLite page count
  std::uint64_t changes = 0;          // changes re-verified
  std::uint64_t authors = 0;          // authors with changes held
  std::vector<std::string> problems;  // empty when the store is sound (at most 100 listed)
  bool ok() const { return problems.empty(); }
};

// Reads inside one read transaction (a consistent view while other processes write).
Result<IntegrityReport> CheckIntegrity(store::Store& store);

}  // namespace parley::log
