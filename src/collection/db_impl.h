// DBImpl: the catalog, the open collections, and the background threads that
// flush (by policy, highest flush_priority first) and compact.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collection/collection_impl.h"
#include "proximadb/db.h"
#include "storage/catalog/catalog.h"

namespace proximadb {

class DBImpl final : public DB {
 public:
  static Result<std::unique_ptr<DBImpl>> OpenImpl(const DBOptions& options,
                                                  const std::string& dir);
  ~DBImpl() override;

  Result<std::shared_ptr<Collection>> CreateCollection(
      const CollectionConfig& config) override;
  Result<std::shared_ptr<Collection>> GetCollection(
      const std::string& name) override;
  std::vector<CollectionInfo> ListCollections() override;
  Status DropCollection(const std::string& name) override;
  Status FlushAll() override;

  // One pass of the flush scheduler: flushes every collection whose policy
  // says so, highest priority first. Returns the names flushed, in order.
  std::vector<std::string> RunFlushCycle();
  // One pass of the compactor; returns the names compacted.
  std::vector<std::string> RunCompactionCycle();
  // Waits for the graph builds scheduled so far.
  void WaitForBackgroundBuilds() { builds_->Drain(); }

 private:
  DBImpl(const DBOptions& options, std::string dir);
  Status Recover();
  void FlushLoop();
  void CompactLoop();
  std::vector<std::shared_ptr<CollectionImpl>> Snapshot();
  // Requires mu_. Removes what uncommitted_dirs_ lists (after a commit).
  void RemoveUncommittedDirs();
  CollectionDeps Deps();

  DBOptions options_;
  const std::string dir_;
  const std::string collections_dir_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<BackgroundQueue> builds_;

  std::mutex mu_;  // guards collections_ and create/drop
  std::map<std::string, std::shared_ptr<CollectionImpl>> collections_;
  // Directories of collections whose catalog commit failed (GUARDED_BY mu_).
  std::vector<std::string> uncommitted_dirs_;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;  // GUARDED_BY(bg_mu_)
  std::thread flush_thread_;
  std::thread compact_thread_;
};

}  // namespace proximadb
