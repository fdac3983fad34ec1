#include "storage/object/fault_injecting_object_store.h"

#include <chrono>
#include <thread>

#include "storage/object/object_checksum.h"
#include "util/crc32c.h"

namespace proximadb::object {

namespace {

bool Take(int* remaining) {
  if (*remaining == 0) return false;
  if (*remaining > 0) --*remaining;
  return true;
}

}  // namespace

const char* ObjectOpName(ObjectOp op) {
  switch (op) {
    case ObjectOp::kPut:
      return "put";
    case ObjectOp::kPutFile:
      return "put_file";
    case ObjectOp::kGet:
      return "get";
    case ObjectOp::kGetToFile:
      return "get_to_file";
    case ObjectOp::kGetRange:
      return "get_range";
    case ObjectOp::kHead:
      return "head";
    case ObjectOp::kList:
      return "list";
    case ObjectOp::kDelete:
      return "delete";
  }
  return "?";
}

void FaultInjectingObjectStore::FailNext(ObjectOp op, Status status,
                                         int count) {
  MutexLock l(&mu_);
  auto& f = faults_[static_cast<size_t>(op)];
  f.fail_count = count;
  f.fail_status = std::move(status);
}

void FaultInjectingObjectStore::SetDelay(ObjectOp op, int ms) {
  MutexLock l(&mu_);
  faults_[static_cast<size_t>(op)].delay_ms = ms;
}

void FaultInjectingObjectStore::TruncateBodies(ObjectOp op, int count) {
  MutexLock l(&mu_);
  faults_[static_cast<size_t>(op)].truncate_count = count;
}

void FaultInjectingObjectStore::LoseResponses(ObjectOp op, int count) {
  MutexLock l(&mu_);
  faults_[static_cast<size_t>(op)].lose_count = count;
}

void FaultInjectingObjectStore::ClearFaults() {
  MutexLock l(&mu_);
  faults_.fill(Faults{});
}

void FaultInjectingObjectStore::ResetCounters() {
  for (auto& c : calls_) c.store(0);
}

FaultInjectingObjectStore::Plan FaultInjectingObjectStore::Begin(ObjectOp op) {
  calls_[static_cast<size_t>(op)].fetch_add(1);
  Plan plan;
  int delay_ms;
  {
    MutexLock l(&mu_);
    auto& f = faults_[static_cast<size_t>(op)];
    delay_ms = f.delay_ms;
    if (Take(&f.fail_count)) {
      plan.fail = f.fail_status.ok() ? Status::Unavailable("injected fault")
                                     : f.fail_status;
    } else {
      plan.truncate = Take(&f.truncate_count);
      plan.lose_response = Take(&f.lose_count);
    }
  }
  if (delay_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
  return plan;
}

Status FaultInjectingObjectStore::AfterWrite(ObjectOp op,
                                             const std::string& key, Status s,
                                             const Plan& plan) {
  if (s.ok() && plan.lose_response) {
    return Status::Unavailable(Describe() + ": " + ObjectOpName(op) + " '" +
                               key + "': response lost (injected)");
  }
  return s;
}

Status FaultInjectingObjectStore::Put(const std::string& key,
                                      std::string_view data) {
  Plan plan = Begin(ObjectOp::kPut);
  if (!plan.fail.ok()) return plan.fail;
  return AfterWrite(ObjectOp::kPut, key, base_->Put(key, data), plan);
}

Status FaultInjectingObjectStore::PutFile(const std::string& key,
                                          const std::string& path) {
  Plan plan = Begin(ObjectOp::kPutFile);
  if (!plan.fail.ok()) return plan.fail;
  return AfterWrite(ObjectOp::kPutFile, key, base_->PutFile(key, path), plan);
}

Result<std::string> FaultInjectingObjectStore::Get(const std::string& key) {
  Plan plan = Begin(ObjectOp::kGet);
  if (!plan.fail.ok()) return plan.fail;
  PDB_ASSIGN_OR_RETURN(std::string data, base_->Get(key));
  if (!plan.truncate) return data;
  // What a store does with a body cut short: check it against what it was
  // told to expect.
  data.resize(data.size() / 2);
  PDB_ASSIGN_OR_RETURN(ObjectInfo info, base_->Head(key));
  PDB_RETURN_IF_ERROR(VerifyObject(Describe(), key, data.size(),
                                   crc32c::Value(data.data(), data.size()),
                                   info.size, info.crc32c));
  return data;  // an empty object cut in half is still itself
}

Result<ObjectInfo> FaultInjectingObjectStore::GetToFile(
    const std::string& key, const std::string& path) {
  Plan plan = Begin(ObjectOp::kGetToFile);
  if (!plan.fail.ok()) return plan.fail;
  PDB_ASSIGN_OR_RETURN(ObjectInfo info, base_->GetToFile(key, path));
  if (plan.truncate && info.size > 0) {
    // The file on disk is left as the base wrote it; the caller removes a
    // file whose GetToFile failed (object_store.h).
    return Status::Corruption(Describe() + ": object '" + key + "': read " +
                              std::to_string(info.size / 2) +
                              " bytes, shorter than the announced " +
                              std::to_string(info.size) + " (injected)");
  }
  return info;
}

Result<std::string> FaultInjectingObjectStore::GetRange(const std::string& key,
                                                        uint64_t offset,
                                                        uint64_t length) {
  Plan plan = Begin(ObjectOp::kGetRange);
  if (!plan.fail.ok()) return plan.fail;
  PDB_ASSIGN_OR_RETURN(std::string data, base_->GetRange(key, offset, length));
  if (plan.truncate) data.resize(data.size() / 2);
  return data;
}

Result<ObjectInfo> FaultInjectingObjectStore::Head(const std::string& key) {
  Plan plan = Begin(ObjectOp::kHead);
  if (!plan.fail.ok()) return plan.fail;
  return base_->Head(key);
}

Result<ListPage> FaultInjectingObjectStore::List(const std::string& prefix,
                                                 const std::string& token,
                                                 size_t max_keys) {
  Plan plan = Begin(ObjectOp::kList);
  if (!plan.fail.ok()) return plan.fail;
  return base_->List(prefix, token, max_keys);
}

Status FaultInjectingObjectStore::Delete(const std::string& key) {
  Plan plan = Begin(ObjectOp::kDelete);
  if (!plan.fail.ok()) return plan.fail;
  return AfterWrite(ObjectOp::kDelete, key, base_->Delete(key), plan);
}

}  // namespace proximadb::object
