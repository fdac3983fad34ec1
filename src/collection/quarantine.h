// The quarantine: where start-up puts what it cannot account for, instead of
// deleting it (docs/FORMATS.md, "Quarantine"). Each entry is a directory
// <data>/quarantine/<id>/ holding `quarantine.json` (id, original path,
// reason, time, bytes) and the moved file or directory at its original path
// relative to the data directory, so an operator can put it back with one
// `mv`.
//
// Every move is durable: the entry directory and its description are
// fsynced before the rename, and both the source and the destination
// directories after it. Only an operator's request (ClearQuarantine)
// deletes anything here.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/db.h"
#include "proximadb/env.h"
#include "util/mutex.h"

namespace proximadb {

class Quarantine {
 public:
  static constexpr std::string_view kDirName = "quarantine";
  static constexpr std::string_view kDescriptionFile = "quarantine.json";
  // Files from outside the data directory (another data directory, the
  // WAL directory) keep their whole path below this.
  static constexpr std::string_view kExternalDir = "external";

  Quarantine(Env* env, Clock* clock, std::string data_dir);
  Quarantine(const Quarantine&) = delete;
  Quarantine& operator=(const Quarantine&) = delete;

  const std::string& dir() const { return dir_; }

  // Moves `path` (a file or directory, inside the data directory or, under
  // external/, in another one) into a new entry and logs it at error level
  // with `reason`. Across file systems it is copied, fsynced, then removed.
  Status Move(const std::string& path, const std::string& reason);
  // Saves `bytes`, read from `path` at `offset`, as a new entry (the
  // original stays where it is; the caller is about to cut them off).
  Status SaveCopy(const std::string& path, uint64_t offset,
                  std::string_view bytes, const std::string& reason);

  Result<std::vector<QuarantineEntry>> List();
  // Entries (directories) present, without reading their descriptions.
  Result<uint64_t> Count();
  // kNotFound when there is no entry `id`.
  Status Remove(const std::string& id);
  Result<uint64_t> RemoveAll();

 private:
  // Makes a new, durable, empty entry directory; returns its id.
  Result<std::string> NewEntry(uint64_t now_ms);
  Status Describe(const std::string& id, const std::string& relative,
                  const std::string& reason, uint64_t now_ms, uint64_t bytes,
                  const std::string& extra_key, uint64_t extra_value);
  // Creates <entry>/<dirname of relative>, fsyncing each new directory's
  // parent; returns the full destination path.
  Result<std::string> PrepareDestination(const std::string& id,
                                         const std::string& relative);
  Result<std::string> Relative(const std::string& path) const;
  Status CopyThenRemove(const std::string& from, const std::string& to);
  Result<uint64_t> SizeOf(const std::string& path);

  Env* const env_;
  Clock* const clock_;
  const std::string data_dir_;
  const std::string dir_;
  Mutex mu_;  // serialises entry creation and removal
};

}  // namespace proximadb
