// Durable file copy through an Env: for tier moves between disks and the
// quarantine's moves across file systems.
#pragma once

#include <string>

#include "proximadb/env.h"
#include "proximadb/status.h"

namespace proximadb {

// Copies `from` to `to` (created or truncated) and fsyncs `to`. A read that
// ends before the file's size is kIOError ("short read"), never a shorter
// copy. The caller fsyncs `to`'s directory (once for several files).
Status CopyFileDurably(Env* env, const std::string& from,
                       const std::string& to);

}  // namespace proximadb
