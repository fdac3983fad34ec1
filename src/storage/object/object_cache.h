// ObjectCache: a local directory of whole-object copies, so that cold
// segments kept in an object store can be searched from local, mmappable
// files. Objects are fetched on demand, verified against the size and CRC32C
// the caller knows from its catalog (never trusting the store alone),
// optionally transformed (Options::transform: a cold pack decoded into its
// segment file), and evicted when the cache holds more than its byte budget.
//
// On disk (docs/FORMATS.md, "Object cache"): each entry is a pair of files
// named by a sequence number the cache assigns,
//   <seq, 20 digits>.obj    the entry's content (callers mmap it): the
//                           object's bytes, exactly, or the transform's output
//   <seq, 20 digits>.meta   key, size and CRC32C of the object and of the
//                           content, checksummed
// and a fill in progress is <seq>.fill (the download), <seq>.dec and
// <seq>.dec.tmp (the transform's output). The cache survives restarts: Open
// restores every complete entry, removes damaged or incomplete entries and
// leftover fill files (they are the cache's own), and reports, without
// touching them, the files that do not follow the naming scheme (strays()),
// so the server can quarantine them.
//
// Pinning: an Entry is pinned while any shared_ptr returned by Fetch for it
// lives (the caller mmaps entry->path()). Eviction, Erase and a stale or
// corrupt entry's removal never delete a pinned entry's files: removal is
// deferred to the last release. When every entry is pinned the cache may
// hold more than its budget; each such eviction pass is counted
// (Stats::over_budget) and logged. Every Entry must be released before the
// cache is destroyed.
//
// Eviction: LRU with a second chance. Entries sit in a recency list; a hit
// moves an entry to the front and sets its reference bit. The evictor takes
// entries from the back: one whose bit is set is given a second chance (bit
// cleared, moved to the front); one whose bit is clear is evicted. An entry
// fetched once and never hit again (a scan over many cold segments) thus
// leaves before an entry that was hit since it was filled, so a scan does
// not flush the working set. Pinned entries are stepped over (they keep
// their place). After a restart, entries are restored oldest fill last,
// with clear bits.
//
// Integrity: a fill checks the downloaded file's size and CRC32C against the
// caller's, then records the content's; an entry restored at Open is checked
// against its content size at Open and its content CRC32C the first time it
// is fetched (or at Open with Options::verify_on_open); Verify re-reads an
// entry on demand. A mismatch removes the entry (kCorruption from Verify; a
// refetch from Fetch).
//
// All file I/O goes through the Env (the store does its own I/O for
// GetToFile, into the path the cache gives it).
//
// Thread-safety: safe for concurrent use. Concurrent Fetches of one key
// download it once; the others wait for that fill and share its outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proximadb/env.h"
#include "proximadb/status.h"
#include "storage/object/object_store.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::object {

class ObjectCache {
 public:
  struct Options {
    // The cache's directory, created if missing. The cache owns every file
    // in it that follows its naming scheme. Required.
    std::string dir;
    // The byte budget: the sum of the entries' content sizes (the .obj
    // files: with a transform, the decoded bytes, not the downloaded ones;
    // the small .meta files are not counted). 0 keeps nothing that is not
    // pinned.
    uint64_t capacity_bytes = 0;
    // Re-read every restored entry at Open to check its CRC32C; default
    // false: an entry restored at Open is checked the first time it is
    // fetched instead (Open then reads only the .meta files and file sizes).
    bool verify_on_open = false;
    // Turns a downloaded, verified object into the file the entry serves
    // (e.g. a cold pack into its segment file). Writes `out_path` completely
    // and durably (fsynced) or fails; on failure the cache removes whatever
    // is at out_path. Its only other file may be out_path + ".tmp" (removed
    // on failure too, and at Open: DecodeColdPackToFile writes it first);
    // any other name would be a stray. Its Status, naming the key, is the
    // failed Fetch's. Called through the cache's Env, without its lock,
    // possibly for several keys at once. Empty (the default): an entry's file
    // is the object's bytes.
    using Transform = std::function<Status(
        Env* env, const std::string& object_path, const std::string& out_path)>;
    Transform transform;
  };

  // What Open found in the directory.
  struct OpenReport {
    // Paths (dir + "/" + name) of the files and directories that do not
    // follow the cache's naming scheme; left in place.
    std::vector<std::string> strays;
    uint64_t restored_entries = 0;
    uint64_t restored_bytes = 0;  // content bytes
    // Entries removed: a .obj or .meta without its partner, a damaged .meta,
    // an .obj whose size (or, with verify_on_open, CRC) is not the recorded
    // content's.
    uint64_t damaged_removed = 0;
    // Entries removed because a newer entry holds the same key (a refetch
    // interrupted before the old entry's removal).
    uint64_t superseded_removed = 0;
    // Leftover .fill, .dec and .dec.tmp files (a fill interrupted by a
    // crash), removed.
    uint64_t temp_removed = 0;
  };

  struct Stats {
    uint64_t hits = 0;    // Fetches served from a cached entry
    uint64_t misses = 0;  // Fetches that downloaded (or tried to)
    // Completed downloads, and the objects' bytes they transferred.
    uint64_t downloads = 0;
    uint64_t download_bytes = 0;
    uint64_t evictions = 0;
    // Downloads that failed or did not verify, and failed transforms.
    uint64_t fill_failures = 0;
    // Entries found damaged: at Open, at their first fetch after a restart,
    // or by Verify.
    uint64_t corrupt_entries = 0;
    // Content bytes, including pinned entries awaiting removal.
    uint64_t bytes_cached = 0;
    uint64_t entries = 0;  // ditto
    uint64_t capacity = 0;
    // Times the cache went above its capacity because every remaining
    // entry was pinned (counted once per excursion, until it is back
    // within budget).
    uint64_t over_budget = 0;
  };

  // One cached object. Valid (its file present) while the shared_ptr that
  // Fetch returned lives.
  class Entry {
   public:
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    // The content: the object's bytes, or the transform's output.
    const std::string& path() const { return path_; }
    const std::string& key() const { return key_; }
    // The object's size and CRC32C (what Fetch was called with).
    uint64_t size() const { return size_; }
    uint32_t crc32c() const { return crc32c_; }
    // The content's (path()'s) size and CRC32C; the object's without a
    // transform.
    uint64_t content_size() const { return content_size_; }
    uint32_t content_crc32c() const { return content_crc32c_; }

   private:
    friend class ObjectCache;
    Entry(uint64_t seq, std::string path, std::string key, uint64_t size,
          uint32_t crc, uint64_t content_size, uint32_t content_crc)
        : seq_(seq),
          path_(std::move(path)),
          key_(std::move(key)),
          size_(size),
          crc32c_(crc),
          content_size_(content_size),
          content_crc32c_(content_crc) {}

    const uint64_t seq_;
    const std::string path_;
    const std::string key_;
    const uint64_t size_;
    const uint32_t crc32c_;
    const uint64_t content_size_;
    const uint32_t content_crc32c_;
  };

  ObjectCache(const ObjectCache&) = delete;
  ObjectCache& operator=(const ObjectCache&) = delete;
  ~ObjectCache();

  // Opens (creating it if missing) the cache directory and restores its
  // entries; see OpenReport. `env` and `store` must outlive the cache.
  static Result<std::unique_ptr<ObjectCache>> Open(Env* env, ObjectStore* store,
                                                   Options opts);

  // The local copy of object `key`, whose size and CRC32C the caller knows.
  // A cached entry recording another size or CRC is stale: it is removed
  // (once released) and the object downloaded again. Errors: the store's
  // Status (kNotFound, kUnavailable, kCorruption, ...) naming the key;
  // kCorruption when the download's size or CRC32C is not the expected one;
  // the transform's Status (naming the key) when it fails; kIOError from the
  // local file system. Nothing of a failed fill remains.
  Result<std::shared_ptr<const Entry>> Fetch(const std::string& key,
                                             uint64_t size, uint32_t crc32c);

  // Re-reads the entry's file and checks its content size and CRC32C. On a
  // mismatch the entry is removed (its files once released; the next Fetch
  // downloads again) and the result is kCorruption.
  Status Verify(const Entry& entry);

  // Removes the key's entry: now if it is not pinned, else at its last
  // release. A fill of the key in progress still completes and returns its
  // entry to its callers, which is then removed at release.
  void Erase(const std::string& key);

  // Changes the budget and evicts down to it. kIOError if removing an
  // evicted entry's files failed (the entry is dropped from the cache
  // either way).
  Status SetCapacity(uint64_t capacity_bytes);

  // Whether a live entry of `key` is cached (it may still fail its first
  // check after a restart).
  bool Contains(const std::string& key) const;
  Stats stats() const;
  const OpenReport& open_report() const { return report_; }
  const std::vector<std::string>& strays() const { return report_.strays; }
  const std::string& dir() const { return opts_.dir; }

 private:
  struct Node;
  struct Fill;
  // Files to remove once mu_ is released.
  using Doomed = std::vector<std::string>;

  ObjectCache(Env* env, ObjectStore* store, Options opts);

  // Which of an entry's files Open found.
  struct EntryFiles {
    bool obj = false;
    bool meta = false;
  };

  // Open's work: accounts for every name in the directory (OpenReport).
  Status Restore();
  // Lists the directory: strays reported, fill files (.fill, .dec,
  // .dec.tmp) removed, the others by number.
  Status ScanDir(std::map<uint64_t, EntryFiles>* by_seq, uint64_t* max_seq);
  // Checks one entry; appends it to *restored, or removes its files.
  // *newest: each key's highest number.
  Status RestoreEntry(uint64_t seq, EntryFiles files,
                      std::map<std::string, uint64_t>* newest,
                      std::vector<std::unique_ptr<Node>>* restored);
  // Downloads `key` into a new entry numbered `seq`, verified, transformed
  // (with Options::transform) and durable.
  Result<std::unique_ptr<Node>> FillEntry(const std::string& key, uint64_t size,
                                          uint32_t crc32c, uint64_t seq);
  // Checks a file's size and CRC32C, read through the env.
  // kCorruption messages start "object cache: <what>: ".
  Status CheckFile(const std::string& path, uint64_t size, uint32_t crc32c,
                   const std::string& what);
  // Reads a file through the env: its size and CRC32C. Stops reading past
  // `limit` bytes (*size is then > limit).
  Status SizeAndCrc(const std::string& path, uint64_t limit, uint64_t* size,
                    uint32_t* crc32c);
  std::string PathOf(uint64_t seq, const char* suffix) const;

  // Ends the fill or check of `key` in inflight_ and wakes its waiters.
  void FinishLocked(const std::string& key, Fill* fill, const Status& status)
      REQUIRES(mu_);
  // Makes `node` the key's live entry, the most recently used.
  Node* InsertLocked(std::unique_ptr<Node> node) REQUIRES(mu_);
  std::shared_ptr<const Entry> PinLocked(Node* n) REQUIRES(mu_);
  void Unpin(Node* n) EXCLUDES(mu_);
  // Takes `n` out of the key map and the recency list; its files go when it
  // is unpinned (now, into *doomed, if it is not pinned).
  void DoomLocked(Node* n, Doomed* doomed) REQUIRES(mu_);
  void RemoveNodeLocked(Node* n, Doomed* doomed) REQUIRES(mu_);
  void EvictLocked(Doomed* doomed) REQUIRES(mu_);
  Status RemoveFiles(const Doomed& doomed) EXCLUDES(mu_);

  Env* const env_;
  ObjectStore* const store_;
  const Options opts_;
  OpenReport report_;  // set by Open, then constant

  mutable Mutex mu_;
  CondVar fill_done_;  // a Fill finished; waits on mu_
  uint64_t capacity_ GUARDED_BY(mu_);
  uint64_t next_seq_ GUARDED_BY(mu_) = 1;
  // Every entry whose files exist, by sequence number (pinned and doomed
  // ones too).
  std::map<uint64_t, std::unique_ptr<Node>> nodes_ GUARDED_BY(mu_);
  // The live (not doomed) entry of each key.
  std::map<std::string, Node*> by_key_ GUARDED_BY(mu_);
  // Live entries, most recently used first.
  std::list<Node*> lru_ GUARDED_BY(mu_);
  // Fills and first-fetch checks in progress, by key.
  std::map<std::string, std::shared_ptr<Fill>> inflight_ GUARDED_BY(mu_);
  Stats stats_ GUARDED_BY(mu_);
  // Whether the last eviction pass ended above capacity (counted and logged
  // once per excursion).
  bool over_budget_ GUARDED_BY(mu_) = false;
};

}  // namespace proximadb::object
