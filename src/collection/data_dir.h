// The layout of a data directory and the checks start-up and the catalog
// rebuild share (db_recover.cc, catalog_rebuild.cc).
//
//   <data>/catalog.db[-wal|-shm]   the catalog (SQLite)
//   <data>/collections/<dir>/      one per collection
//   <data>/quarantine/<id>/        what start-up could not account for
//   <data>/LOCK                    held by the process that has it open
#pragma once

#include <string>
#include <string_view>

#include "proximadb/env.h"
#include "proximadb/status.h"

namespace proximadb::datadir {

inline constexpr std::string_view kCatalogFile = "catalog.db";
inline constexpr std::string_view kCollectionsDir = "collections";
// Held (Env::LockFile) by the one process that has the database open, in the
// main data directory and in each other data directory and WAL root.
inline constexpr std::string_view kLockFile = "LOCK";

// Why the server refuses to start on collection data without a usable
// catalog, and the two ways out.
std::string NoCatalogMessage(const std::string& data_dir, size_t entries,
                             const std::string& catalog_state);

// Whether an entry of collections/ holds more than a collection created
// without ever being written: any segment file, any WAL file with more than
// its header, or any other file.
Result<bool> HoldsData(Env* env, const std::string& collection_dir);

}  // namespace proximadb::datadir
