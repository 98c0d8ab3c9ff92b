// The page-encrypting SQLite VFS (see docs/storage-format.md for the byte layout).
//
// PageVfs registers a VFS shim, under a name unique to this process, over a base VFS
// (SQLite's default "unix" unless named). It holds its own copy of one store's database key
// in locked memory. Through it:
//   - every page of the main database is sealed with XChaCha20-Poly1305; the 24-byte nonce and
//     16-byte tag live in the page's 40 reserved bytes;
//   - every WAL frame (frame header and page) is sealed as one unit, and the WAL header as its
//     own unit; a flipped byte anywhere is reported as SQLITE_IOERR_DATA, never returned as data;
//   - the -shm wal-index is delegated unchanged (it holds no content);
//   - every other kind of file (rollback journals, temporary files) is refused, so no plaintext
//     can reach the disk through SQLite.
// Lifetime: destroying the PageVfs unregisters it and wipes its key; files still open through
// it (a connection left open by mistake) keep the shim alive but fail every read and write.
// Thread safety: Register and destruction may run on any thread; each open file is used by
// one connection at a time, as SQLite guarantees.
#pragma once

#include <memory>
#include <string>

#include "parley/core/crypto.h"
#include "parley/platform/status.h"

namespace parley::store::internal {

struct VfsShared;

class PageVfs {
 public:
  // Registers a new shim over `base_vfs` (nullptr: SQLite's default VFS) holding a copy of
  // `key` (32 bytes). Code::kNotFound if the base VFS does not exist.
  static Result<std::unique_ptr<PageVfs>> Register(const crypto::SecretBytes& key,
                                                   const char* base_vfs);
  ~PageVfs();
  PageVfs(const PageVfs&) = delete;
  PageVfs& operator=(const PageVfs&) = delete;

  // The registered name, for sqlite3_open_v2.
  const char* name() const;

  // True once a write through this VFS has failed with SQLITE_FULL. SQLite may report a
  // later, secondary error for the statement; the store reports the full disk instead.
  bool saw_disk_full() const;

 private:
  explicit PageVfs(VfsShared* shared) : shared_(shared) {}
  VfsShared* shared_;
};

}  // namespace parley::store::internal
