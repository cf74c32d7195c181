#pragma once

#include <cstdint>

namespace vigil::sqlite {

// The name of a VFS over SQLite's default one that writes each WAL frame with one system
// call instead of two. SQLite writes a frame as its 24-byte header and then its page, two
// pwrite()s side by side in the file; with synchronous=NORMAL nothing happens between
// them, so this VFS holds a small write to a WAL file back until the next call on that
// file: a write that continues it goes out with it as one, anything else (a read, a sync,
// a write elsewhere, closing) sends it first. A crash between the two loses only a frame
// SQLite had not finished, which its recovery drops anyway (a frame counts once the
// commit's last frame is written and the WAL index updated, after both writes).
// Registered on first call (thread-safe); never the default VFS.
const char* FrameVfsName();

// How many writes the VFS has joined to the one after them, process-wide (for tests).
uint64_t FrameVfsJoinedWrites();

}  // namespace vigil::sqlite
