// Internal to the page-encrypting VFS (vfs.h): the on-disk unit format, the per-file state
// and the functions that read and write sealed units. See docs/storage-format.md.
//
// Invariants:
//   - Main database: physical offset == logical offset; every page is one sealed unit.
//   - WAL: a 72-byte header unit (32 sealed bytes, nonce, tag), then frame i (0-based) at
//     physical 72 + i * 4160: the whole logical frame (24-byte frame header and the 4096-byte
//     page, reserved bytes included, since SQLite's frame checksums cover them) sealed as one
//     unit, followed by its nonce and tag. Logical frame i is at 32 + i * 4120.
//   - SQLite writes a frame as two calls (header, then page). The header is held in `pending`
//     until the page arrives; any other operation on the file first writes what is pending
//     (read-modify-write of the unit on disk), so SQLite's view of the file is always exact.
//   - Nothing in the hot path allocates: each open file has its own scratch buffers.
// Every function returns an SQLite result code; SQLITE_IOERR_DATA means "failed authentication".
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "parley/core/crypto.h"

namespace parley::store::internal {

inline constexpr int kPage = 4096;
inline constexpr int kNonce = 24;
inline constexpr int kTag = 16;
inline constexpr int kReserve = kNonce + kTag;          // 40 reserved bytes per page
inline constexpr int kPageSealed = kPage - kReserve;    // 4056
inline constexpr int kWalHdr = 32;                      // SQLite's WAL header
inline constexpr int kWalHdrUnit = kWalHdr + kReserve;  // 72 physical bytes
inline constexpr int kFrameHdr = 24;
inline constexpr int kFrame = kFrameHdr + kPage;      // 4120 logical bytes
inline constexpr int kFrameUnit = kFrame + kReserve;  // 4160 physical bytes

// Associated data: an 8-byte label naming the kind of unit, then its index (u64 LE).
inline constexpr char kLabelPage[8] = {'P', 'R', 'L', 'Y', 'p', 'a', 'g', 'e'};
inline constexpr char kLabelWalHeader[8] = {'P', 'R', 'L', 'Y', 'w', 'a', 'l', 'H'};
inline constexpr char kLabelWalFrame[8] = {'P', 'R', 'L', 'Y', 'w', 'a', 'l', 'F'};

enum class Kind : std::uint8_t { kMainDb, kWal };

// One registration: the VFS SQLite sees, its base, and the key. Reference-counted by the
// PageVfs and by every file open through it.
struct VfsShared {
  sqlite3_vfs vfs{};  // the registered VFS; pAppData points back here
  sqlite3_vfs* base = nullptr;
  std::string name;
  crypto::SecretBytes key;
  std::atomic<int> refs{1};
  std::atomic<bool> saw_disk_full{false};

  void Release() {
    if (refs.fetch_sub(1) == 1) delete this;
  }
};

struct CryptFile {
  sqlite3_file base;   // must be first: SQLite sees this
  sqlite3_file* real;  // the base VFS's file, allocated right after this struct
  VfsShared* shared;
  Kind kind;
  std::uint64_t nonce_counter;
  std::uint8_t nonce_prefix[16];
  sqlite3_int64 pending_frame;  // frame being assembled, or -1
  int pending_len;              // bytes [0, pending_len) of it are held
  std::uint8_t pending[kFrameUnit];
  std::uint8_t buf[kFrameUnit];  // scratch for one unit
};

inline constexpr int kRealOffset = (sizeof(CryptFile) + 7) & ~7;

inline CryptFile* Cf(sqlite3_file* f) { return reinterpret_cast<CryptFile*>(f); }
inline bool KeyGone(const CryptFile* f) { return f->shared->key.empty(); }

int DbRead(CryptFile* f, std::uint8_t* out, int amt, sqlite3_int64 off);
int DbWrite(CryptFile* f, const std::uint8_t* data, int amt, sqlite3_int64 off);
int WalRead(CryptFile* f, std::uint8_t* out, int amt, sqlite3_int64 off);
int WalWrite(CryptFile* f, const std::uint8_t* data, int amt, sqlite3_int64 off);
// Writes a partly assembled WAL frame, if any.
int FlushPending(CryptFile* f);
sqlite3_int64 WalLogicalSize(sqlite3_int64 phys);
sqlite3_int64 WalPhysicalSize(sqlite3_int64 logical);

}  // namespace parley::store::internal
