#include "storage/catalog/sqlite_io_hook.h"

#include <sqlite3.h>

#include <atomic>
#include <memory>

#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::catalog {
namespace {

Mutex hook_mu;
std::shared_ptr<const SqliteIoHook> hook GUARDED_BY(hook_mu);
std::atomic<bool> hook_set{false};

sqlite3_vfs* base_vfs = nullptr;  // set once, before the VFS is registered

bool ShouldFail(const char* op, const char* path) {
  if (!hook_set.load(std::memory_order_relaxed)) return false;
  std::shared_ptr<const SqliteIoHook> h;
  {
    MutexLock l(&hook_mu);
    h = hook;
  }
  return h && (*h)(op, path ? path : "");
}

// A file of our VFS: the base VFS's file object follows this header in the
// same allocation (szOsFile is ours + the base's).
struct HookFile {
  sqlite3_file base;  // must be first: pMethods
  const char* path;   // owned by SQLite for the file's lifetime
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

HookFile* Of(sqlite3_file* f) { return reinterpret_cast<HookFile*>(f); }

int Close(sqlite3_file* f) {
  return Of(f)->real()->pMethods->xClose(Of(f)->real());
}
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return Of(f)->real()->pMethods->xRead(Of(f)->real(), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (ShouldFail("sqlite-write", Of(f)->path)) return SQLITE_IOERR_WRITE;
  return Of(f)->real()->pMethods->xWrite(Of(f)->real(), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (ShouldFail("sqlite-truncate", Of(f)->path)) return SQLITE_IOERR_TRUNCATE;
  return Of(f)->real()->pMethods->xTruncate(Of(f)->real(), size);
}
int Sync(sqlite3_file* f, int flags) {
  if (ShouldFail("sqlite-sync", Of(f)->path)) return SQLITE_IOERR_FSYNC;
  return Of(f)->real()->pMethods->xSync(Of(f)->real(), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Of(f)->real()->pMethods->xFileSize(Of(f)->real(), size);
}
int Lock(sqlite3_file* f, int level) {
  return Of(f)->real()->pMethods->xLock(Of(f)->real(), level);
}
int Unlock(sqlite3_file* f, int level) {
  return Of(f)->real()->pMethods->xUnlock(Of(f)->real(), level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Of(f)->real()->pMethods->xCheckReservedLock(Of(f)->real(), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Of(f)->real()->pMethods->xFileControl(Of(f)->real(), op, arg);
}
int SectorSize(sqlite3_file* f) {
  return Of(f)->real()->pMethods->xSectorSize(Of(f)->real());
}
int DeviceCharacteristics(sqlite3_file* f) {
  return Of(f)->real()->pMethods->xDeviceCharacteristics(Of(f)->real());
}
int ShmMap(sqlite3_file* f, int region, int size, int extend,
           void volatile** out) {
  return Of(f)->real()->pMethods->xShmMap(Of(f)->real(), region, size, extend,
                                          out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Of(f)->real()->pMethods->xShmLock(Of(f)->real(), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  Of(f)->real()->pMethods->xShmBarrier(Of(f)->real());
}
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return Of(f)->real()->pMethods->xShmUnmap(Of(f)->real(), delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return Of(f)->real()->pMethods->xFetch(Of(f)->real(), off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Of(f)->real()->pMethods->xUnfetch(Of(f)->real(), off, p);
}

// Version 3 methods, as the unix VFS's files have (the only base VFS this
// wraps on Debian); they delegate one to one.
const sqlite3_io_methods kMethods = {3,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     ShmMap,
                                     ShmLock,
                                     ShmBarrier,
                                     ShmUnmap,
                                     Fetch,
                                     Unfetch};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags,
         int* out_flags) {
  HookFile* hf = Of(f);
  hf->path = name;
  int rc = base_vfs->xOpen(base_vfs, name, hf->real(), flags, out_flags);
  // On failure SQLite calls no method, but pMethods must say so.
  hf->base.pMethods =
      rc == SQLITE_OK && hf->real()->pMethods ? &kMethods : nullptr;
  return rc;
}
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (ShouldFail("sqlite-delete", name)) return SQLITE_IOERR_DELETE;
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) {
  return base_vfs->xDlOpen(base_vfs, name);
}
void DlError(sqlite3_vfs*, int n, char* out) {
  base_vfs->xDlError(base_vfs, n, out);
}
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return base_vfs->xDlSym(base_vfs, h, sym);
}
void DlClose(sqlite3_vfs*, void* h) { base_vfs->xDlClose(base_vfs, h); }
int Randomness(sqlite3_vfs*, int n, char* out) {
  return base_vfs->xRandomness(base_vfs, n, out);
}
int Sleep(sqlite3_vfs*, int micros) {
  return base_vfs->xSleep(base_vfs, micros);
}
int CurrentTime(sqlite3_vfs*, double* out) {
  return base_vfs->xCurrentTime(base_vfs, out);
}
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return base_vfs->xGetLastError ? base_vfs->xGetLastError(base_vfs, n, out)
                                 : 0;
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

constexpr char kName[] = "pdb";

sqlite3_vfs* MakeVfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(sizeof(HookFile)) + base_vfs->szOsFile;
  vfs.mxPathname = base_vfs->mxPathname;
  vfs.zName = kName;
  vfs.xOpen = Open;
  vfs.xDelete = Delete;
  vfs.xAccess = Access;
  vfs.xFullPathname = FullPathname;
  vfs.xDlOpen = DlOpen;
  vfs.xDlError = DlError;
  vfs.xDlSym = DlSym;
  vfs.xDlClose = DlClose;
  vfs.xRandomness = Randomness;
  vfs.xSleep = Sleep;
  vfs.xCurrentTime = CurrentTime;
  vfs.xGetLastError = GetLastError;
  vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  return &vfs;
}

}  // namespace

void SetSqliteIoHook(SqliteIoHook h) {
  MutexLock l(&hook_mu);
  hook = h ? std::make_shared<const SqliteIoHook>(std::move(h)) : nullptr;
  hook_set.store(hook != nullptr, std::memory_order_relaxed);
}

const char* SqliteVfsName() {
  static sqlite3_vfs* vfs = MakeVfs();  // thread-safe once
  return vfs->zName;
}

}  // namespace proximadb::catalog
