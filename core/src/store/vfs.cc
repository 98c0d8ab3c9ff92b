// The page-encrypting VFS shim: SQLite's sqlite3_vfs and sqlite3_io_methods, delegating
// everything but the content of the main database and the WAL to the base VFS.
#include "store/vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>

#include "store/vfs_file.h"

namespace parley::store::internal {
namespace {

// ---- sqlite3_io_methods ----

int XClose(sqlite3_file* file) {
  CryptFile* f = Cf(file);
  int rc = KeyGone(f) ? SQLITE_OK : FlushPending(f);
  int crc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  f->shared->Release();
  f->base.pMethods = nullptr;
  return rc != SQLITE_OK ? rc : crc;
}

int XRead(sqlite3_file* file, void* out, int amt, sqlite3_int64 off) {
  CryptFile* f = Cf(file);
  if (KeyGone(f)) return SQLITE_IOERR_READ;
  auto* o = static_cast<std::uint8_t*>(out);
  return f->kind == Kind::kMainDb ? DbRead(f, o, amt, off) : WalRead(f, o, amt, off);
}

int XWrite(sqlite3_file* file, const void* data, int amt, sqlite3_int64 off) {
  CryptFile* f = Cf(file);
  if (KeyGone(f)) return SQLITE_IOERR_WRITE;
  const auto* d = static_cast<const std::uint8_t*>(data);
  return f->kind == Kind::kMainDb ? DbWrite(f, d, amt, off) : WalWrite(f, d, amt, off);
}

int XTruncate(sqlite3_file* file, sqlite3_int64 size) {
  CryptFile* f = Cf(file);
  if (f->kind == Kind::kWal) {
    if (KeyGone(f)) return SQLITE_IOERR_TRUNCATE;
    int rc = FlushPending(f);
    if (rc != SQLITE_OK) return rc;
    size = WalPhysicalSize(size);
  }
  return f->real->pMethods->xTruncate(f->real, size);
}

int XSync(sqlite3_file* file, int flags) {
  CryptFile* f = Cf(file);
  if (f->kind == Kind::kWal) {
    if (KeyGone(f)) return SQLITE_IOERR_FSYNC;
    int rc = FlushPending(f);
    if (rc != SQLITE_OK) return rc;
  }
  return f->real->pMethods->xSync(f->real, flags);
}

int XFileSize(sqlite3_file* file, sqlite3_int64* size) {
  CryptFile* f = Cf(file);
  if (f->kind == Kind::kWal && !KeyGone(f)) {
    int rc = FlushPending(f);
    if (rc != SQLITE_OK) return rc;
  }
  int rc = f->real->pMethods->xFileSize(f->real, size);
  if (rc == SQLITE_OK && f->kind == Kind::kWal) *size = WalLogicalSize(*size);
  return rc;
}

int XLock(sqlite3_file* file, int level) {
  return Cf(file)->real->pMethods->xLock(Cf(file)->real, level);
}
int XUnlock(sqlite3_file* file, int level) {
  return Cf(file)->real->pMethods->xUnlock(Cf(file)->real, level);
}
int XCheckReservedLock(sqlite3_file* file, int* out) {
  return Cf(file)->real->pMethods->xCheckReservedLock(Cf(file)->real, out);
}

int XFileControl(sqlite3_file* file, int op, void* arg) {
  CryptFile* f = Cf(file);
  switch (op) {
    case SQLITE_FCNTL_CHUNK_SIZE:
      // Growing files in chunks would leave zero-filled, unauthenticated pages.
      return SQLITE_OK;
    case SQLITE_FCNTL_MMAP_SIZE:
      // Memory-mapped reads would bypass decryption.
      *static_cast<sqlite3_int64*>(arg) = 0;
      return SQLITE_OK;
    case SQLITE_FCNTL_SIZE_HINT:
      if (f->kind == Kind::kWal) return SQLITE_OK;
      break;
    default:
      break;
  }
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int XSectorSize(sqlite3_file* file) {
  return Cf(file)->real->pMethods->xSectorSize(Cf(file)->real);
}

int XDeviceCharacteristics(sqlite3_file* file) {
  int c = Cf(file)->real->pMethods->xDeviceCharacteristics(Cf(file)->real);
  return c & ~SQLITE_IOCAP_BATCH_ATOMIC;
}

int XShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return Cf(file)->real->pMethods->xShmMap(Cf(file)->real, region, size, extend, out);
}
int XShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Cf(file)->real->pMethods->xShmLock(Cf(file)->real, offset, n, flags);
}
void XShmBarrier(sqlite3_file* file) { Cf(file)->real->pMethods->xShmBarrier(Cf(file)->real); }
int XShmUnmap(sqlite3_file* file, int delete_flag) {
  return Cf(file)->real->pMethods->xShmUnmap(Cf(file)->real, delete_flag);
}

// Version 2: no xFetch/xUnfetch, so SQLite never reads pages through a memory map.
const sqlite3_io_methods kIoMethods = {
    2,
    XClose,
    XRead,
    XWrite,
    XTruncate,
    XSync,
    XFileSize,
    XLock,
    XUnlock,
    XCheckReservedLock,
    XFileControl,
    XSectorSize,
    XDeviceCharacteristics,
    XShmMap,
    XShmLock,
    XShmBarrier,
    XShmUnmap,
    nullptr,
    nullptr,
};

// ---- sqlite3_vfs ----

VfsShared* Shared(sqlite3_vfs* vfs) { return static_cast<VfsShared*>(vfs->pAppData); }

int VOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  VfsShared* shared = Shared(vfs);
  CryptFile* f = Cf(file);
  f->base.pMethods = nullptr;
  Kind kind;
  if (flags & SQLITE_OPEN_MAIN_DB) {
    kind = Kind::kMainDb;
  } else if (flags & SQLITE_OPEN_WAL) {
    kind = Kind::kWal;
  } else {
    return SQLITE_CANTOPEN;  // journals and temporary files would hold plaintext
  }
  if (shared->key.empty()) return SQLITE_CANTOPEN;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  std::memset(f->real, 0, static_cast<std::size_t>(shared->base->szOsFile));
  int rc = shared->base->xOpen(shared->base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return rc;
  }
  f->shared = shared;
  shared->refs.fetch_add(1);
  f->kind = kind;
  f->nonce_counter = 0;
  crypto::RandomBytes(std::span<std::uint8_t>(f->nonce_prefix, sizeof f->nonce_prefix));
  f->pending_frame = -1;
  f->pending_len = 0;
  f->base.pMethods = &kIoMethods;
  return SQLITE_OK;
}

int VDelete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return Shared(v)->base->xDelete(Shared(v)->base, name, sync_dir);
}
int VAccess(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return Shared(v)->base->xAccess(Shared(v)->base, name, flags, out);
}
int VFullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Shared(v)->base->xFullPathname(Shared(v)->base, name, n, out);
}
void* VDlOpen(sqlite3_vfs* v, const char* name) {
  return Shared(v)->base->xDlOpen(Shared(v)->base, name);
}
void VDlError(sqlite3_vfs* v, int n, char* out) {
  Shared(v)->base->xDlError(Shared(v)->base, n, out);
}
void (*VDlSym(sqlite3_vfs* v, void* h, const char* sym))(void) {
  return Shared(v)->base->xDlSym(Shared(v)->base, h, sym);
}
void VDlClose(sqlite3_vfs* v, void* h) { Shared(v)->base->xDlClose(Shared(v)->base, h); }
int VRandomness(sqlite3_vfs* v, int n, char* out) {
  return Shared(v)->base->xRandomness(Shared(v)->base, n, out);
}
int VSleep(sqlite3_vfs* v, int us) { return Shared(v)->base->xSleep(Shared(v)->base, us); }
int VCurrentTime(sqlite3_vfs* v, double* out) {
  return Shared(v)->base->xCurrentTime(Shared(v)->base, out);
}
int VGetLastError(sqlite3_vfs* v, int n, char* out) {
  return Shared(v)->base->xGetLastError ? Shared(v)->base->xGetLastError(Shared(v)->base, n, out)
                                        : 0;
}
int VCurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  sqlite3_vfs* b = Shared(v)->base;
  if (b->iVersion >= 2 && b->xCurrentTimeInt64 != nullptr) return b->xCurrentTimeInt64(b, out);
  double d = 0;
  int rc = b->xCurrentTime(b, &d);
  *out = static_cast<sqlite3_int64>(d * 86400000.0);
  return rc;
}

std::atomic<std::uint64_t> g_next_id{1};

}  // namespace

Result<std::unique_ptr<PageVfs>> PageVfs::Register(const crypto::SecretBytes& key,
                                                   const char* base_vfs) {
  if (key.size() != crypto::kAeadKeySize) {
    return Status(Domain::kStore, Code::kInvalidArgument, "the database key must be 32 bytes");
  }
  sqlite3_vfs* base = sqlite3_vfs_find(base_vfs);
  if (base == nullptr) {
    return Status(Domain::kStore, Code::kNotFound,
                  std::string("no SQLite VFS named ") + (base_vfs ? base_vfs : "(default)"));
  }
  auto* shared = new VfsShared;
  shared->base = base;
  shared->key = crypto::SecretBytes::Copy(key.view());
  shared->name = "parley-page-" + std::to_string(g_next_id.fetch_add(1));
  sqlite3_vfs& v = shared->vfs;
  v.iVersion = 2;
  v.szOsFile = kRealOffset + base->szOsFile;
  v.mxPathname = base->mxPathname;
  v.zName = shared->name.c_str();
  v.pAppData = shared;
  v.xOpen = VOpen;
  v.xDelete = VDelete;
  v.xAccess = VAccess;
  v.xFullPathname = VFullPathname;
  v.xDlOpen = VDlOpen;
  v.xDlError = VDlError;
  v.xDlSym = VDlSym;
  v.xDlClose = VDlClose;
  v.xRandomness = VRandomness;
  v.xSleep = VSleep;
  v.xCurrentTime = VCurrentTime;
  v.xGetLastError = VGetLastError;
  v.xCurrentTimeInt64 = VCurrentTimeInt64;
  int rc = sqlite3_vfs_register(&v, 0);
  if (rc != SQLITE_OK) {
    shared->Release();
    return Status(Domain::kStore, Code::kInternal, "could not register the page-encrypting VFS");
  }
  return std::unique_ptr<PageVfs>(new PageVfs(shared));
}

PageVfs::~PageVfs() {
  sqlite3_vfs_unregister(&shared_->vfs);
  shared_->key.Wipe();
  shared_->Release();
}

const char* PageVfs::name() const { return shared_->name.c_str(); }

bool PageVfs::saw_disk_full() const { return shared_->saw_disk_full.load(); }

}  // namespace parley::store::internal
