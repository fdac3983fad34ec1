// REST routing, kept apart from the socket code so that it can be tested as a
// plain function: (method, target, body) -> (status, JSON body).
//
// Routes:
//   GET    /health  /health/live  /health/ready
//   POST   /api/v1/collections                         create
//   GET    /api/v1/collections                         list
//   GET    /api/v1/collections/{name}                  describe
//   DELETE /api/v1/collections/{name}                  drop
//   POST   /api/v1/collections/{name}/vectors          upsert one (201)
//   POST   /api/v1/collections/{name}/vectors/batch    upsert many
//   GET    /api/v1/collections/{name}/vectors/{id}     get point
//   DELETE /api/v1/collections/{name}/vectors/{id}     delete point
//   POST   /api/v1/collections/{name}/search           search
// Path segments are percent-decoded, so ids may contain '/', spaces, etc. A
// point literally named "batch" is reachable by GET/DELETE; POST on
// .../vectors/batch is always the batch upsert.
//
// Errors: {"error": StatusCodeName(code), "message": "..."}, with the HTTP
// status from HttpStatusFor(). Unknown route: 404 not_found; known route with
// another method: 405 method_not_allowed plus an Allow header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"
#include "service/service.h"

namespace proximadb::rest {

struct RestResponse {
  unsigned status = 200;
  std::string body;   // JSON
  std::string allow;  // the Allow header for 405 answers, else empty
};

// invalid_argument, dimension_mismatch -> 400; not_found -> 404;
// already_exists, failed_precondition -> 409; resource_exhausted -> 429;
// unavailable -> 503; everything else (io_error, corruption, internal) -> 500.
unsigned HttpStatusFor(StatusCode code);

// An error answer with the standard JSON body.
RestResponse ErrorResponse(unsigned http_status, std::string_view code,
                           std::string_view message);
RestResponse ErrorResponse(const Status& status);

// "%2F" -> "/". Malformed escapes are kInvalidArgument; '+' stays '+'
// (form encoding does not apply to paths).
Result<std::string> PercentDecode(std::string_view s);

// Splits the path of `target` (query string dropped) into decoded segments;
// empty segments (double or trailing slashes) are skipped.
Result<std::vector<std::string>> SplitPath(std::string_view target);

// Routes one request. Never throws; blocks while the engine works.
RestResponse HandleRequest(service::VectorService& svc, std::string_view method,
                           std::string_view target, std::string_view body);

}  // namespace proximadb::rest
