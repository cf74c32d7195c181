#pragma once

#include <cstdint>

namespace vigil::sqlite {

// The name of a VFS over SQLite's default one that writes each WAL frame with one system
// call instead of two. SQLite appends a frame as its 24-byte header and then its page, two
// pwrite()s side by side in the file, with nothing between them; so this VFS holds a
// small write that appends to a WAL (at the end of what SQLite wrote since it last started
// the WAL over with its header at offset 0) until the next call on that file: a write that
// continues it goes out with it as one, anything else (a read, a sync, a write elsewhere,
// closing) sends it first. Small writes that do not append (a commit rewriting the
// checksums of frames its transaction wrote over, the commit frame's header last, with
// no call after it) go out at once. A crash between a frame's two writes loses only a
// frame SQLite had not finished, which its recovery drops anyway.
// Registered on first call (thread-safe); never the default VFS.
const char* FrameVfsName();

// How many writes the VFS has joined to the one after them, process-wide (for tests).
uint64_t FrameVfsJoinedWrites();

}  // namespace vigil::sqlite
