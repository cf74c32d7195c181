#include "lib/sqlite/frame_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

namespace vigil::sqlite {

namespace {

// A WAL header is 32 bytes and a frame header 24: writes up to this size are held.
constexpr int kMaxHeld = 64;

std::atomic<uint64_t> joined_writes{0};

struct FrameFile {
  sqlite3_file base;  // first: SQLite hands us this pointer
  sqlite3_file* real;
  bool wal;
  // Where SQLite's next frame goes: the end of what it wrote since it last started the
  // WAL over (its header, at offset 0); -1 until then. Only a write there is held.
  sqlite3_int64 wal_end;
  int held_size;
  sqlite3_int64 held_offset;
  unsigned char held[kMaxHeld];
  unsigned char* joined;  // sqlite3_malloc'd: a held write and the one after it
  int joined_capacity;
};

// The default VFS's file follows ours in the same allocation, aligned as malloc aligns.
constexpr int kRealOffset = (sizeof(FrameFile) + 15) / 16 * 16;

FrameFile* Of(sqlite3_file* f) { return reinterpret_cast<FrameFile*>(f); }
sqlite3_file* RealOf(sqlite3_file* f) { return Of(f)->real; }
sqlite3_vfs* RealVfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// Sends the held write, if any.
int Flush(FrameFile* p) {
  if (p->held_size == 0) return SQLITE_OK;
  const int size = p->held_size;
  p->held_size = 0;
  return p->real->pMethods->xWrite(p->real, p->held, size, p->held_offset);
}

int Close(sqlite3_file* f) {
  FrameFile* p = Of(f);
  const int flushed = Flush(p);
  const int rc = p->real->pMethods->xClose(p->real);
  sqlite3_free(p->joined);
  p->joined = nullptr;
  return flushed != SQLITE_OK ? flushed : rc;
}

int Write(sqlite3_file* f, const void* data, int size, sqlite3_int64 offset) {
  FrameFile* p = Of(f);
  // A frame is appended as its header and then its page. Other small writes do happen:
  // a commit whose transaction rewrote a frame in place rewrites the headers after it,
  // the commit frame's last, with nothing after them. Only an append is held.
  if (p->wal && offset == 0) p->wal_end = 0;
  const bool appends = p->wal_end >= 0 && offset == p->wal_end;
  if (p->wal_end >= 0 && offset + size > p->wal_end) p->wal_end = offset + size;
  if (p->held_size > 0) {
    if (offset == p->held_offset + p->held_size) {
      const int total = p->held_size + size;
      if (total > p->joined_capacity) {
        void* grown = sqlite3_realloc(p->joined, total);
        if (grown == nullptr) return SQLITE_IOERR_NOMEM;
        p->joined = static_cast<unsigned char*>(grown);
        p->joined_capacity = total;
      }
      std::memcpy(p->joined, p->held, p->held_size);
      std::memcpy(p->joined + p->held_size, data, size);
      const sqlite3_int64 start = p->held_offset;
      p->held_size = 0;
      joined_writes.fetch_add(1, std::memory_order_relaxed);
      return p->real->pMethods->xWrite(p->real, p->joined, total, start);
    }
    if (const int rc = Flush(p); rc != SQLITE_OK) return rc;
  }
  if (appends && size <= kMaxHeld) {
    std::memcpy(p->held, data, size);
    p->held_size = size;
    p->held_offset = offset;
    return SQLITE_OK;
  }
  return p->real->pMethods->xWrite(p->real, data, size, offset);
}

// Every other method sends the held write first, then calls the same method of the file
// underneath (Args deduced from the method slot it fills).
template <auto kMethod, typename... Args>
int FlushThen(sqlite3_file* f, Args... args) {
  if (const int flushed = Flush(Of(f)); flushed != SQLITE_OK) return flushed;
  sqlite3_file* real = RealOf(f);
  return (real->pMethods->*kMethod)(real, args...);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  Of(f)->wal_end = -1;  // until SQLite starts the WAL over
  return FlushThen<&sqlite3_io_methods::xTruncate>(f, size);
}
void ShmBarrier(sqlite3_file* f) {
  // Shared memory is the database file's, which holds nothing (only a WAL does); flushed
  // as every other method is, with no error to report.
  Flush(Of(f));
  RealOf(f)->pMethods->xShmBarrier(RealOf(f));
}
int SectorSize(sqlite3_file* f) { return RealOf(f)->pMethods->xSectorSize(RealOf(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return RealOf(f)->pMethods->xDeviceCharacteristics(RealOf(f));
}

// The methods of a file whose own are of `version` (1: no shared memory, 2: no mmap): a
// wrapper must not offer what the file underneath lacks.
const sqlite3_io_methods* MethodsOfVersion(int version) {
  using M = sqlite3_io_methods;
  static const std::array<M, 3> kMethods = [] {
    M v3 = {3,
            Close,
            FlushThen<&M::xRead>,
            Write,
            Truncate,
            FlushThen<&M::xSync>,
            FlushThen<&M::xFileSize>,
            FlushThen<&M::xLock>,
            FlushThen<&M::xUnlock>,
            FlushThen<&M::xCheckReservedLock>,
            FlushThen<&M::xFileControl>,
            SectorSize,
            DeviceCharacteristics,
            FlushThen<&M::xShmMap>,
            FlushThen<&M::xShmLock>,
            ShmBarrier,
            FlushThen<&M::xShmUnmap>,
            FlushThen<&M::xFetch>,
            FlushThen<&M::xUnfetch>};
    M v2 = v3;
    v2.iVersion = 2;
    v2.xFetch = nullptr;
    v2.xUnfetch = nullptr;
    M v1 = v2;
    v1.iVersion = 1;
    v1.xShmMap = nullptr;
    v1.xShmLock = nullptr;
    v1.xShmBarrier = nullptr;
    v1.xShmUnmap = nullptr;
    return std::array<M, 3>{v1, v2, v3};
  }();
  return &kMethods[std::clamp(version, 1, 3) - 1];
}

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  FrameFile* p = Of(f);
  p->base.pMethods = nullptr;
  p->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  p->wal = (flags & SQLITE_OPEN_WAL) != 0;
  p->wal_end = -1;
  p->held_size = 0;
  p->held_offset = 0;
  p->joined = nullptr;
  p->joined_capacity = 0;
  sqlite3_vfs* real_vfs = RealVfs(vfs);
  const int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
  // SQLite calls xClose on a file whose pMethods is set, even when xOpen failed.
  if (p->real->pMethods != nullptr)
    p->base.pMethods = MethodsOfVersion(p->real->pMethods->iVersion);
  return rc;
}

// The VFS's own methods are the default VFS's: ToReal<&sqlite3_vfs::xAccess>::Call.
template <auto kMethod>
struct ToReal;
template <typename R, typename... Args, R (*sqlite3_vfs::*kMethod)(sqlite3_vfs*, Args...)>
struct ToReal<kMethod> {
  static R Call(sqlite3_vfs* vfs, Args... args) {
    return (RealVfs(vfs)->*kMethod)(RealVfs(vfs), args...);
  }
};

sqlite3_vfs* Register() {
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr) return nullptr;
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;  // xCurrentTimeInt64; not the system-call overrides of version 3
  vfs.szOsFile = kRealOffset + real->szOsFile;
  vfs.mxPathname = real->mxPathname;
  vfs.zName = "vigil-frames";
  vfs.pAppData = real;
  vfs.xOpen = Open;
  using V = sqlite3_vfs;
  vfs.xDelete = ToReal<&V::xDelete>::Call;
  vfs.xAccess = ToReal<&V::xAccess>::Call;
  vfs.xFullPathname = ToReal<&V::xFullPathname>::Call;
  vfs.xDlOpen = ToReal<&V::xDlOpen>::Call;
  vfs.xDlError = ToReal<&V::xDlError>::Call;
  vfs.xDlSym = ToReal<&V::xDlSym>::Call;
  vfs.xDlClose = ToReal<&V::xDlClose>::Call;
  vfs.xRandomness = ToReal<&V::xRandomness>::Call;
  vfs.xSleep = ToReal<&V::xSleep>::Call;
  vfs.xCurrentTime = ToReal<&V::xCurrentTime>::Call;
  vfs.xGetLastError = ToReal<&V::xGetLastError>::Call;
  vfs.xCurrentTimeInt64 = real->iVersion >= 2 ? ToReal<&V::xCurrentTimeInt64>::Call : nullptr;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace

const char* FrameVfsName() {
  static const sqlite3_vfs* vfs = Register();
  return vfs == nullptr ? nullptr : vfs->zName;  // null: SQLite's default
}

uint64_t FrameVfsJoinedWrites() { return joined_writes.load(std::memory_order_relaxed); }

}  // namespace vigil::sqlite
