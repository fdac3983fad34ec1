// LocalObjectStore: an ObjectStore in a local directory, for single-node
// deployments and tests. Object `k` is the file <root>/<k> ('/' in a key makes
// directories).
//
// Layout of each object file: the object's bytes, then an 8-byte trailer
//   fixed32 masked CRC32C of the bytes (crc32c::Mask, little-endian)
//   fixed32 magic 0x6f424450 ("PDBo" in file order)
// so the object and its checksum are one file and are replaced together by
// one rename (a sidecar file could not be swapped atomically with it), and a
// range read is a read at the same offset. Size = file size - 8. A file too
// short for the trailer, or with a wrong magic, is kCorruption.
//
// Put writes <root>/.pdb-tmp/<unique>, fsyncs it, renames it over
// <root>/<key> and fsyncs the key's directory (and any directory it had to
// create, with its parent): after a crash the key holds the old object or
// the new one. Open() removes the temporary files a crashed Put left behind.
// The first key component ".pdb-tmp" is reserved (kInvalidArgument); List
// never shows it. A file system cannot hold both "a" and "a/b": the second
// Put fails with kIOError. Delete leaves empty directories behind (List
// ignores them).
//
// Thread-safe: no state besides the root; concurrent Puts of one key each
// rename a complete file, the last rename wins.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "proximadb/env.h"
#include "storage/object/object_store.h"

namespace proximadb::object {

class LocalObjectStore final : public ObjectStore {
 public:
  // `env` must outlive the store. The root is created on first Put (List and
  // Get of a missing root see no objects).
  LocalObjectStore(Env* env, std::string root);
  // The constructor, plus: creates the root and removes the temporary files
  // a crashed Put left behind.
  static Result<std::unique_ptr<LocalObjectStore>> Open(Env* env,
                                                        std::string root);

  std::string Describe() const override { return "file://" + root_; }
  Status Put(const std::string& key, std::string_view data) override;
  Status PutFile(const std::string& key, const std::string& path) override;
  Result<std::string> Get(const std::string& key) override;
  Result<ObjectInfo> GetToFile(const std::string& key,
                               const std::string& path) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset,
                               uint64_t length) override;
  Result<ObjectInfo> Head(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::string& key) override;

  // The file holding `key` (for tests that damage it).
  std::string PathOf(const std::string& key) const;

  static constexpr size_t kTrailerSize = 8;
  static constexpr uint32_t kTrailerMagic = 0x6f424450;  // "PDBo"
  static constexpr const char* kTmpDir = ".pdb-tmp";

 private:
  Status CheckKey(const std::string& key) const;
  // Writes a temp file through `fill` (which appends the object's bytes and
  // returns their CRC32C), then renames it into place durably.
  template <typename Fill>
  Status PutWith(const std::string& key, Fill fill);
  Status MakeParents(const std::string& key);
  // Opens `key`, reads and checks its trailer: the object's size and CRC.
  Result<std::unique_ptr<RandomAccessFile>> OpenObject(const std::string& key,
                                                       ObjectInfo* info);
  Status Walk(const std::string& rel_dir, const std::string& prefix,
              std::vector<ObjectInfo>* out);

  Env* const env_;
  const std::string root_;
  const uint64_t tmp_salt_;  // random per store: unique temp names
  std::atomic<uint64_t> tmp_seq_{0};
};

}  // namespace proximadb::object
