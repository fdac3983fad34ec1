// Status and Result<T>: errors are values across every module boundary.
// Nothing throws out of a ProximaDB module; third-party exceptions are caught
// at the edge and turned into a Status.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace proximadb {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from a caller (REST 400)
  kDimensionMismatch,   // vector length differs from the collection (400)
  kNotFound,            // unknown collection or point (404)
  kAlreadyExists,       // duplicate collection (409)
  kCorruption,          // a checksum or format check failed on disk
  kIOError,             // the OS refused a read, write or sync
  kResourceExhausted,   // a limit was hit (413/429)
  kUnavailable,         // not ready yet / shutting down (503)
  kFailedPrecondition,  // the object is in a state that forbids the call
  kInternal,            // a bug or an unexpected third-party failure (500)
  kOutOfRange,          // a position no longer (or not yet) available (410)
};

// Short, stable, snake_case name used in API error bodies ("not_found").
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status DimensionMismatch(std::string m) {
    return {StatusCode::kDimensionMismatch, std::move(m)};
  }
  static Status NotFound(std::string m) {
    return {StatusCode::kNotFound, std::move(m)};
  }
  static Status AlreadyExists(std::string m) {
    return {StatusCode::kAlreadyExists, std::move(m)};
  }
  static Status Corruption(std::string m) {
    return {StatusCode::kCorruption, std::move(m)};
  }
  static Status IOError(std::string m) {
    return {StatusCode::kIOError, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) {
    return {StatusCode::kUnavailable, std::move(m)};
  }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status OutOfRange(std::string m) {
    return {StatusCode::kOutOfRange, std::move(m)};
  }
  static Status Internal(std::string m) {
    return {StatusCode::kInternal, std::move(m)};
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "not_found: collection 'x' does not exist"
  std::string ToString() const;

  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace proximadb

#define PDB_CONCAT_INNER(a, b) a##b
#define PDB_CONCAT(a, b) PDB_CONCAT_INNER(a, b)

// Returns early from the enclosing function when `expr` is not OK.
#define PDB_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::proximadb::Status pdb_status_ = (expr);  \
    if (!pdb_status_.ok()) return pdb_status_; \
  } while (0)

// `PDB_ASSIGN_OR_RETURN(auto x, MakeX());` — unwraps a Result or returns its
// error.
#define PDB_ASSIGN_OR_RETURN(lhs, expr) \
  PDB_ASSIGN_OR_RETURN_IMPL(PDB_CONCAT(pdb_result_, __LINE__), lhs, expr)
#define PDB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
