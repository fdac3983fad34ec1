// ObjectStore: the storage layer's view of an object store (S3 or a local
// directory), used by tiering (cold segments) and, later, snapshots and the
// cluster. Like Env for files, every object operation goes through this
// interface, so tests can swap in a store that injects faults.
//
// Integrity: every object is written together with the CRC32C of its whole
// content (S3: user metadata `x-amz-meta-pdb-crc32c`; local store: a
// sidecar, see local_object_store.h) and every whole-object read verifies it:
// a mismatch (a damaged object, a truncated body) is kCorruption naming the
// key, never returned as data. A ranged read cannot be checked against the
// whole-object checksum; callers of GetRange verify what they read with their
// own format's checksums (segment sections carry CRCs).
//
// Errors (every message names the store by Describe() and the key, never a
// credential):
//   kNotFound           no such object (Get/GetRange/Head; Delete is OK)
//   kCorruption         checksum mismatch, or a body shorter than announced
//   kUnavailable        the store cannot be reached / answered 5xx / timed
//                       out, after the retries (S3)
//   kFailedPrecondition the store refused the request (4xx other than 404:
//                       403 bad credentials, 400, ...); never retried
//   kInvalidArgument    a bad key (empty, leading '/', "..", control chars)
//   kIOError            local I/O failed (local store, or PutFile/GetToFile)
//
// Keys are '/'-separated relative names ("collections/c1-ab12cd34/seg-1.pdb");
// an S3 store puts its configured prefix in front.
//
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::object {

struct ObjectInfo {
  std::string key;  // without the store's prefix
  uint64_t size = 0;
  // CRC32C (util/crc32c.h) of the whole content, as recorded at Put. List
  // may leave it 0 (S3 listings carry no user metadata); Head fills it.
  uint32_t crc32c = 0;
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // ordered by key
  std::string next_token;           // empty: this was the last page
};

class ObjectStore {
 public:
  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;
  virtual ~ObjectStore() = default;

  // "s3://bucket/prefix at http://host:port" or "file:///dir": for messages
  // and logs; never contains a credential.
  virtual std::string Describe() const = 0;

  // Writes the whole object, replacing any object of that key. Durable and
  // complete when OK (an S3 multipart upload is completed, a local object is
  // fsynced and renamed into place); on error the key holds either the old
  // object or the new one, never a part of one.
  virtual Status Put(const std::string& key, std::string_view data) = 0;
  // The same from a local file, streamed: multipart when the file is larger
  // than the store's part size, so a large segment is never held in memory.
  virtual Status PutFile(const std::string& key, const std::string& path) = 0;

  // The whole object, its checksum verified.
  virtual Result<std::string> Get(const std::string& key) = 0;
  // The whole object into `path` (created or truncated, fsynced), its
  // checksum verified; on error `path` may hold a partial file, which the
  // caller removes. Returns the object's info.
  virtual Result<ObjectInfo> GetToFile(const std::string& key,
                                       const std::string& path) = 0;
  // Bytes [offset, offset + length) (fewer only at the end of the object);
  // not checksummed (see above).
  virtual Result<std::string> GetRange(const std::string& key, uint64_t offset,
                                       uint64_t length) = 0;
  virtual Result<ObjectInfo> Head(const std::string& key) = 0;
  // One page of the objects whose key starts with `prefix`, at most
  // `max_keys` (1..1000); pass the previous page's next_token to go on.
  virtual Result<ListPage> List(const std::string& prefix,
                                const std::string& token, size_t max_keys) = 0;
  // OK when the object does not exist.
  virtual Status Delete(const std::string& key) = 0;

  // Requests this store retried since it was created (a store that never
  // retries: 0).
  virtual uint64_t retries() const { return 0; }

  // Convenience: every page of List.
  Result<std::vector<ObjectInfo>> ListAll(const std::string& prefix);
};

// Checks a key (see above); kInvalidArgument naming what is wrong.
Status ValidateKey(std::string_view key);

}  // namespace proximadb::object
