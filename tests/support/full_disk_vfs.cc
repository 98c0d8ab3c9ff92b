#include "support/full_disk_vfs.h"

#include <sqlite3.h>

#include <atomic>

namespace parley::testing {
namespace {

std::atomic<std::int64_t> g_budget{-1};  // bytes that may still be written; -1: unlimited
std::atomic<std::int64_t> g_written{0};
sqlite3_vfs* g_unix = nullptr;

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
};
FaultFile* Ff(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
sqlite3_file* R(sqlite3_file* f) { return Ff(f)->real; }

int FWrite(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
  std::int64_t budget = g_budget.load();
  if (budget >= 0 && amt > budget) {
    g_budget = 0;
    if (budget > 0) {
      R(f)->pMethods->xWrite(R(f), data, static_cast<int>(budget), off);
      g_written += budget;
    }
    return SQLITE_FULL;
  }
  if (budget >= 0) g_budget = budget - amt;
  g_written += amt;
  return R(f)->pMethods->xWrite(R(f), data, amt, off);
}
int FClose(sqlite3_file* f) { return R(f)->pMethods->xClose(R(f)); }
int FRead(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
  return R(f)->pMethods->xRead(R(f), out, amt, off);
}
int FTruncate(sqlite3_file* f, sqlite3_int64 size) { return R(f)->pMethods->xTruncate(R(f), size); }
int FSync(sqlite3_file* f, int flags) { return R(f)->pMethods->xSync(R(f), flags); }
int FFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return R(f)->pMethods->xFileSize(R(f), size);
}
int FLock(sqlite3_file* f, int l) { return R(f)->pMethods->xLock(R(f), l); }
int FUnlock(sqlite3_file* f, int l) { return R(f)->pMethods->xUnlock(R(f), l); }
int FCheck(sqlite3_file* f, int* out) { return R(f)->pMethods->xCheckReservedLock(R(f), out); }
int FControl(sqlite3_file* f, int op, void* arg) {
  return R(f)->pMethods->xFileControl(R(f), op, arg);
}
int FSector(sqlite3_file* f) { return R(f)->pMethods->xSectorSize(R(f)); }
int FDevice(sqlite3_file* f) { return R(f)->pMethods->xDeviceCharacteristics(R(f)); }
int FShmMap(sqlite3_file* f, int r, int s, int e, void volatile** out) {
  return R(f)->pMethods->xShmMap(R(f), r, s, e, out);
}
int FShmLock(sqlite3_file* f, int o, int n, int fl) {
  return R(f)->pMethods->xShmLock(R(f), o, n, fl);
}
void FShmBarrier(sqlite3_file* f) { R(f)->pMethods->xShmBarrier(R(f)); }
int FShmUnmap(sqlite3_file* f, int d) { return R(f)->pMethods->xShmUnmap(R(f), d); }

const sqlite3_io_methods kFaultMethods = {2,           FClose,    FRead,   FWrite,  FTruncate,
                                          FSync,       FFileSize, FLock,   FUnlock, FCheck,
                                          FControl,    FSector,   FDevice, FShmMap, FShmLock,
                                          FShmBarrier, FShmUnmap, nullptr, nullptr};

constexpr int kRealOffset = (sizeof(FaultFile) + 7) & ~7;

int FOpen(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  Ff(f)->base.pMethods = nullptr;
  Ff(f)->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  int rc = g_unix->xOpen(g_unix, name, Ff(f)->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (Ff(f)->real->pMethods) Ff(f)->real->pMethods->xClose(Ff(f)->real);
    return rc;
  }
  Ff(f)->base.pMethods = &kFaultMethods;
  return SQLITE_OK;
}

}  // namespace

bool RegisterFullDiskVfs() {
  static sqlite3_vfs vfs = [] {
    g_unix = sqlite3_vfs_find("unix");
    sqlite3_vfs v = *g_unix;
    v.zName = kFullDiskVfs;
    v.szOsFile = kRealOffset + g_unix->szOsFile;
    v.xOpen = FOpen;
    v.pNext = nullptr;
    return v;
  }();
  static const bool registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
  return registered;
}

void SetDiskBudget(std::int64_t bytes) { g_budget = bytes; }
std::int64_t DiskBudget() { return g_budget.load(); }
std::int64_t DiskBytesWritten() { return g_written.load(); }

}  // namespace parley::testing
