// Status -> grpc::Status: the one error mapping of the gRPC transport.
#pragma once

#include <grpcpp/grpcpp.h>

#include "proximadb/status.h"

namespace proximadb::grpc_api {

// Trailing metadata key carrying StatusCodeName() of a failed call.
inline constexpr const char* kErrorMetadataKey = "x-proximadb-error";

// invalid_argument, dimension_mismatch -> INVALID_ARGUMENT; not_found ->
// NOT_FOUND; already_exists -> ALREADY_EXISTS; resource_exhausted ->
// RESOURCE_EXHAUSTED; unavailable -> UNAVAILABLE; failed_precondition ->
// FAILED_PRECONDITION; io_error, corruption, internal -> INTERNAL.
grpc::StatusCode GrpcCodeFor(StatusCode code);

// The grpc::Status of `s` (message = s.message()); for an error also adds
// the x-proximadb-error trailer to `ctx` (when not null).
grpc::Status ToGrpcStatus(const Status& s, grpc::ServerContext* ctx);

}  // namespace proximadb::grpc_api
