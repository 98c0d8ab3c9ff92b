// Opening the store's SQLite connection with the settings every Parley database uses.
//
// Settings: page_size 4096 with kReservedBytes reserved per page (the VFS keeps each page's
// nonce and tag there), journal_mode=WAL, synchronous=FULL, temp_store=MEMORY,
// secure_delete=ON, foreign_keys=ON, extended result codes. The connection is opened in
// multi-thread mode: it must be used from one thread at a time.
// Internal to the store.
#pragma once

#include <sqlite3.h>

#include <string>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::store::internal {

inline constexpr char kDatabaseFileName[] = "parley.db";
inline constexpr int kPageSize = 4096;
inline constexpr int kReservedBytes = 40;  // 24-byte nonce + 16-byte tag

// Opens the database at `path` through the VFS named `vfs_name` (nullptr: SQLite's default)
// and applies the settings above. With `create`, the file must be empty or absent: the page
// size and reserved bytes are fixed before the first write, the store's meta table is created
// and records `store_id`. Without `create`, the meta table must hold `store_id`, else
// Code::kCorrupt. On failure nothing is left open.
Result<sqlite3*> OpenDatabase(const std::string& path, const char* vfs_name, bool create,
                              crypto::ByteView store_id);

// Checkpoints (TRUNCATE) and closes `db`. When statements are still open, the connection is
// left to close itself once they are finalized (sqlite3_close_v2). Returns the checkpoint's
// status; the connection is closed or a zombie in every case.
Status CloseDatabase(sqlite3* db);

}  // namespace parley::store::internal
