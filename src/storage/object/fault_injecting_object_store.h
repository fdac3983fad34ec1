// FaultInjectingObjectStore wraps another ObjectStore and makes chosen
// operations misbehave, to test how tiering, snapshots and the stores'
// callers react to an unreliable object store (the ObjectStore counterpart of
// util/fault_injection_env.h). Without armed faults it forwards every call.
//
// Faults, per operation:
//   FailNext(op, status, n)  the next n calls (-1: every call) return
//                            `status` without reaching the base store
//   SetDelay(op, ms)         each call sleeps ms first (a slow store)
//   TruncateBodies(op, n)    Get/GetToFile/GetRange: the next n bodies (-1:
//                            all) come back with half their bytes, as a
//                            dropped connection would leave them. Get and
//                            GetToFile then check what arrived against the
//                            base store's Head, as a real store checks the
//                            Content-Length, so the caller sees kCorruption;
//                            GetRange returns the short bytes (a ranged
//                            read is not checksummed).
//   LoseResponses(op, n)     Put/PutFile/Delete: the next n calls (-1: all)
//                            happen on the base store, then the caller gets
//                            kUnavailable ("response lost"), as when the
//                            connection drops after the server acted
// and counters of the calls made per operation (faulted ones included).
//
// Thread-safe. The base store must outlive this one.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "storage/object/object_store.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::object {

enum class ObjectOp {
  kPut = 0,
  kPutFile,
  kGet,
  kGetToFile,
  kGetRange,
  kHead,
  kList,
  kDelete,
};
inline constexpr size_t kObjectOpCount = 8;
// "put", "put_file", "get", ... (for messages).
const char* ObjectOpName(ObjectOp op);

class FaultInjectingObjectStore final : public ObjectStore {
 public:
  explicit FaultInjectingObjectStore(ObjectStore* base) : base_(base) {}

  void FailNext(ObjectOp op, Status status, int count = 1);
  void SetDelay(ObjectOp op, int ms);
  void TruncateBodies(ObjectOp op, int count = 1);
  void LoseResponses(ObjectOp op, int count = 1);
  // Disarms every fault and delay (the counters are kept).
  void ClearFaults();

  // Calls made of `op` since construction or ResetCounters().
  uint64_t calls(ObjectOp op) const {
    return calls_[static_cast<size_t>(op)].load();
  }
  void ResetCounters();

  std::string Describe() const override {
    return "faulty(" + base_->Describe() + ")";
  }
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
  uint64_t retries() const override { return base_->retries(); }

 private:
  struct Faults {
    int fail_count = 0;  // remaining; -1 forever
    Status fail_status;
    int delay_ms = 0;
    int truncate_count = 0;
    int lose_count = 0;
  };
  // What one call must do, decided (and the armed counts consumed) at once.
  struct Plan {
    Status fail;  // not OK: return this
    bool truncate = false;
    bool lose_response = false;
  };
  Plan Begin(ObjectOp op);
  Status AfterWrite(ObjectOp op, const std::string& key, Status s,
                    const Plan& plan);

  ObjectStore* const base_;
  std::array<std::atomic<uint64_t>, kObjectOpCount> calls_{};
  mutable Mutex mu_;
  std::array<Faults, kObjectOpCount> faults_ GUARDED_BY(mu_);
};

}  // namespace proximadb::object
