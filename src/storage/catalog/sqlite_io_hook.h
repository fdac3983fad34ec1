// The catalog's SQLite does its own file I/O, outside our Env. To let the
// fault-stepping tests fail SQLite's writes like any other I/O call, the
// catalog opens its database through a thin VFS ("pdb") that delegates every
// call to SQLite's default VFS and, before each write-side call (xWrite,
// xTruncate, xSync, xDelete), asks a process-wide hook whether to fail it
// with SQLITE_IOERR. Without a hook (production) the only cost is one
// relaxed atomic load per such call.
#pragma once

#include <functional>
#include <string>

namespace proximadb::catalog {

// `op` is "sqlite-write", "sqlite-truncate", "sqlite-sync" or
// "sqlite-delete"; `path` the file. Returning true fails the call.
using SqliteIoHook =
    std::function<bool(const char* op, const std::string& path)>;

// Installs (or, with nullptr, removes) the hook. Not for concurrent use with
// open catalogs of other tests: tests install it around one scenario.
void SetSqliteIoHook(SqliteIoHook hook);

// The name of the wrapping VFS, registered on first use.
const char* SqliteVfsName();

}  // namespace proximadb::catalog
