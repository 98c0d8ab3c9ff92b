// Reading and writing sealed units of the main database and the WAL (see vfs_file.h).
#include <cstring>

#include "store/vfs_file.h"

namespace parley::store::internal {
namespace {

void MakeAd(std::uint8_t ad[16], const char label[8], std::uint64_t index) {
  std::memcpy(ad, label, 8);
  for (int i = 0; i < 8; ++i) ad[8 + i] = static_cast<std::uint8_t>(index >> (8 * i));
}

void NextNonce(CryptFile* f, std::uint8_t* out) {
  std::memcpy(out, f->nonce_prefix, sizeof f->nonce_prefix);
  std::uint64_t c = f->nonce_counter++;
  for (int i = 0; i < 8; ++i) out[16 + i] = static_cast<std::uint8_t>(c >> (8 * i));
}

// Seals `unit[0, n)` in place; the nonce goes to unit[n, n+24) and the tag after it.
void Seal(CryptFile* f, std::uint8_t* unit, int n, const char label[8], std::uint64_t index) {
  std::uint8_t ad[16];
  MakeAd(ad, label, index);
  NextNonce(f, unit + n);
  (void)crypto::XChaChaSealInPlace(f->shared->key.view(), crypto::ByteView(unit + n, kNonce),
                                   std::span<std::uint8_t>(unit, static_cast<std::size_t>(n)),
                                   crypto::ByteView(ad, 16),
                                   std::span<std::uint8_t>(unit + n + kNonce, kTag));
}

bool Open(CryptFile* f, std::uint8_t* unit, int n, const char label[8], std::uint64_t index) {
  std::uint8_t ad[16];
  MakeAd(ad, label, index);
  return crypto::XChaChaOpenInPlace(f->shared->key.view(), crypto::ByteView(unit + n, kNonce),
                                    std::span<std::uint8_t>(unit, static_cast<std::size_t>(n)),
                                    crypto::ByteView(ad, 16),
                                    crypto::ByteView(unit + n + kNonce, kTag))
      .ok();
}

// Reads the sealed unit of `size` physical bytes at `phys` into `out` and opens it.
// SQLITE_IOERR_SHORT_READ (out zeroed) when the unit lies wholly past the end of the file;
// SQLITE_IOERR_DATA when it is partly there or fails authentication.
int ReadUnit(CryptFile* f, std::uint8_t* out, int size, sqlite3_int64 phys, const char label[8],
             std::uint64_t index) {
  int rc = f->real->pMethods->xRead(f->real, out, size, phys);
  if (rc == SQLITE_IOERR_SHORT_READ) {
    sqlite3_int64 file_size = 0;
    int src = f->real->pMethods->xFileSize(f->real, &file_size);
    if (src != SQLITE_OK) return src;
    if (file_size <= phys) {
      std::memset(out, 0, static_cast<std::size_t>(size));
      return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_IOERR_DATA;  // truncated inside the unit
  }
  if (rc != SQLITE_OK) return rc;
  return Open(f, out, size - kReserve, label, index) ? SQLITE_OK : SQLITE_IOERR_DATA;
}

// Writes one sealed unit. A write that fails part-way at the end of the file (a full disk)
// is cut back, so that the file never ends in a partial unit that would read as tampering.
int WriteReal(CryptFile* f, const std::uint8_t* data, int n, sqlite3_int64 phys) {
  int rc = f->real->pMethods->xWrite(f->real, data, n, phys);
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_FULL) f->shared->saw_disk_full = true;
    sqlite3_int64 size = 0;
    if (f->real->pMethods->xFileSize(f->real, &size) == SQLITE_OK && size > phys &&
        size < phys + n) {
      (void)f->real->pMethods->xTruncate(f->real, phys);
    }
  }
  return rc;
}

// ---- Main database ----

}  // namespace

int DbRead(CryptFile* f, std::uint8_t* out, int amt, sqlite3_int64 off) {
  int result = SQLITE_OK;
  while (amt > 0) {
    const sqlite3_int64 pgno = off / kPage;
    const int in_page = static_cast<int>(off % kPage);
    const int n = amt < kPage - in_page ? amt : kPage - in_page;
    const bool whole = in_page == 0 && n == kPage;
    std::uint8_t* dest = whole ? out : f->buf;
    int rc =
        ReadUnit(f, dest, kPage, pgno * kPage, kLabelPage, static_cast<std::uint64_t>(pgno) + 1);
    if (rc == SQLITE_IOERR_SHORT_READ) {
      result = rc;
    } else if (rc != SQLITE_OK) {
      return rc;
    }
    if (!whole) std::memcpy(out, f->buf + in_page, static_cast<std::size_t>(n));
    out += n;
    off += n;
    amt -= n;
  }
  return result;
}

int DbWrite(CryptFile* f, const std::uint8_t* data, int amt, sqlite3_int64 off) {
  while (amt > 0) {
    const sqlite3_int64 pgno = off / kPage;
    const int in_page = static_cast<int>(off % kPage);
    const int n = amt < kPage - in_page ? amt : kPage - in_page;
    if (n != kPage) {
      int rc = ReadUnit(f, f->buf, kPage, pgno * kPage, kLabelPage,
                        static_cast<std::uint64_t>(pgno) + 1);
      if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
    }
    std::memcpy(f->buf + in_page, data, static_cast<std::size_t>(n));
    Seal(f, f->buf, kPageSealed, kLabelPage, static_cast<std::uint64_t>(pgno) + 1);
    int rc = WriteReal(f, f->buf, kPage, pgno * kPage);
    if (rc != SQLITE_OK) return rc;
    data += n;
    off += n;
    amt -= n;
  }
  return SQLITE_OK;
}

// ---- WAL ----

namespace {

sqlite3_int64 FramePhys(sqlite3_int64 frame) { return kWalHdrUnit + frame * kFrameUnit; }

}  // namespace

// The logical WAL size SQLite sees for a physical size: a partial unit shows as a partial
// frame, which SQLite ignores as it would an unfinished write.
sqlite3_int64 WalLogicalSize(sqlite3_int64 phys) {
  if (phys < kWalHdrUnit) return 0;
  const sqlite3_int64 frames = (phys - kWalHdrUnit) / kFrameUnit;
  const sqlite3_int64 rest = (phys - kWalHdrUnit) % kFrameUnit;
  return kWalHdr + frames * kFrame + (rest < kFrame ? rest : kFrame - 1);
}

sqlite3_int64 WalPhysicalSize(sqlite3_int64 logical) {
  if (logical <= 0) return 0;
  if (logical <= kWalHdr) return kWalHdrUnit;
  const sqlite3_int64 frames = (logical - kWalHdr) / kFrame;
  const sqlite3_int64 rest = (logical - kWalHdr) % kFrame;
  return FramePhys(frames) + (rest == 0 ? 0 : rest);
}

namespace {

int ReadWalHeader(CryptFile* f) { return ReadUnit(f, f->buf, kWalHdrUnit, 0, kLabelWalHeader, 0); }

int ReadFrame(CryptFile* f, sqlite3_int64 frame) {
  return ReadUnit(f, f->buf, kFrameUnit, FramePhys(frame), kLabelWalFrame,
                  static_cast<std::uint64_t>(frame) + 1);
}

// A frame unit that fails authentication is a torn write, not tampering, when no frame of the
// current WAL generation follows it. A process killed while writing a unit can leave it half
// new, half old (Linux may stop a write between two pages of the page cache), and the unit
// being written is always the last of its generation: the units after it are absent, torn
// earlier, or left over from before the WAL was restarted (other salts). SQLite is then shown
// a zeroed frame, whose checksum fails, and ends the log there, exactly as with its own torn
// writes. A bad unit followed by a valid frame carrying the current salts is tampering.
// Leaves f->buf unspecified.
bool IsTornTail(CryptFile* f, sqlite3_int64 frame) {
  if (ReadWalHeader(f) != SQLITE_OK) return false;
  std::uint8_t salts[8];
  std::memcpy(salts, f->buf + 16, sizeof salts);  // WAL header bytes 16..23: salt-1, salt-2
  sqlite3_int64 file_size = 0;
  if (f->real->pMethods->xFileSize(f->real, &file_size) != SQLITE_OK) return false;
  for (sqlite3_int64 next = frame + 1; FramePhys(next) + kFrameUnit <= file_size; ++next) {
    int rc = ReadFrame(f, next);
    if (rc == SQLITE_IOERR_DATA) continue;  // torn in an earlier generation
    if (rc != SQLITE_OK) return false;
    return std::memcmp(f->buf + 8, salts, sizeof salts) != 0;  // frame header bytes 8..15
  }
  return true;
}

int SealAndWriteFrame(CryptFile* f, std::uint8_t* unit, sqlite3_int64 frame) {
  Seal(f, unit, kFrame, kLabelWalFrame, static_cast<std::uint64_t>(frame) + 1);
  return WriteReal(f, unit, kFrameUnit, FramePhys(frame));
}

}  // namespace

// Writes the partly assembled frame over what the unit holds on disk.
int FlushPending(CryptFile* f) {
  if (f->pending_frame < 0) return SQLITE_OK;
  const sqlite3_int64 frame = f->pending_frame;
  f->pending_frame = -1;
  int rc = ReadFrame(f, frame);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  std::memcpy(f->buf, f->pending, static_cast<std::size_t>(f->pending_len));
  return SealAndWriteFrame(f, f->buf, frame);
}

int WalRead(CryptFile* f, std::uint8_t* out, int amt, sqlite3_int64 off) {
  int rc = FlushPending(f);
  if (rc != SQLITE_OK) return rc;
  int result = SQLITE_OK;
  while (amt > 0) {
    int n = 0;
    if (off < kWalHdr) {
      n = amt < kWalHdr - static_cast<int>(off) ? amt : kWalHdr - static_cast<int>(off);
      rc = ReadWalHeader(f);
      if (rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ)
        std::memcpy(out, f->buf + off, static_cast<std::size_t>(n));
    } else {
      const sqlite3_int64 frame = (off - kWalHdr) / kFrame;
      const int in_frame = static_cast<int>((off - kWalHdr) % kFrame);
      n = amt < kFrame - in_frame ? amt : kFrame - in_frame;
      rc = ReadFrame(f, frame);
      if (rc == SQLITE_IOERR_DATA && IsTornTail(f, frame)) {
        std::memset(f->buf, 0, kFrameUnit);
        rc = SQLITE_OK;
      }
      if (rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ) {
        std::memcpy(out, f->buf + in_frame, static_cast<std::size_t>(n));
      }
    }
    if (rc == SQLITE_IOERR_SHORT_READ) {
      result = rc;
    } else if (rc != SQLITE_OK) {
      return rc;
    }
    out += n;
    off += n;
    amt -= n;
  }
  return result;
}

namespace {

int WalWriteHeader(CryptFile* f, const std::uint8_t* data, int n, sqlite3_int64 off) {
  if (off != 0 || n != kWalHdr) {
    int rc = ReadWalHeader(f);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  }
  std::memcpy(f->buf + off, data, static_cast<std::size_t>(n));
  Seal(f, f->buf, kWalHdr, kLabelWalHeader, 0);
  return WriteReal(f, f->buf, kWalHdrUnit, 0);
}

int WalWriteFrame(CryptFile* f, const std::uint8_t* data, int n, sqlite3_int64 frame,
                  int in_frame) {
  if (f->pending_frame == frame && f->pending_len == in_frame) {
    std::memcpy(f->pending + in_frame, data, static_cast<std::size_t>(n));
    f->pending_len += n;
    if (f->pending_len < kFrame) return SQLITE_OK;
    f->pending_frame = -1;
    return SealAndWriteFrame(f, f->pending, frame);
  }
  int rc = FlushPending(f);
  if (rc != SQLITE_OK) return rc;
  if (in_frame == 0 && n == kFrame) {
    std::memcpy(f->buf, data, kFrame);
    return SealAndWriteFrame(f, f->buf, frame);
  }
  if (in_frame == 0) {  // a frame header: its page normally follows in the next call
    std::memcpy(f->pending, data, static_cast<std::size_t>(n));
    f->pending_frame = frame;
    f->pending_len = n;
    return SQLITE_OK;
  }
  // An in-place rewrite of part of a frame already written (e.g. a page overwritten
  // within the same transaction): read-modify-write the unit.
  rc = ReadFrame(f, frame);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  std::memcpy(f->buf + in_frame, data, static_cast<std::size_t>(n));
  return SealAndWriteFrame(f, f->buf, frame);
}

}  // namespace

int WalWrite(CryptFile* f, const std::uint8_t* data, int amt, sqlite3_int64 off) {
  while (amt > 0) {
    int n = 0;
    int rc = SQLITE_OK;
    if (off < kWalHdr) {
      rc = FlushPending(f);
      if (rc != SQLITE_OK) return rc;
      n = amt < kWalHdr - static_cast<int>(off) ? amt : kWalHdr - static_cast<int>(off);
      rc = WalWriteHeader(f, data, n, off);
    } else {
      const sqlite3_int64 frame = (off - kWalHdr) / kFrame;
      const int in_frame = static_cast<int>((off - kWalHdr) % kFrame);
      n = amt < kFrame - in_frame ? amt : kFrame - in_frame;
      rc = WalWriteFrame(f, data, n, frame, in_frame);
    }
    if (rc != SQLITE_OK) return rc;
    data += n;
    off += n;
    amt -= n;
  }
  return SQLITE_OK;
}

}  // namespace parley::store::internal
