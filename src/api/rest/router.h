// REST routing, kept apart from the socket code so that it can be tested as a
// plain function: (method, target, body) -> (status, JSON body).
//
// Every route is one entry of the table returned by Routes() (see routes.cc
// and docs/API.md); each entry names the service operation(s) it serves, so
// tests can check that REST covers every operation of service/operations.h
// and that api/openapi.yaml lists exactly these routes.
//
// Path segments are percent-decoded, so ids may contain '/', spaces, etc. A
// literal segment beats a {placeholder}: POST .../vectors/batch is always the
// batch upsert, while GET/DELETE/PATCH .../vectors/batch reach a point named
// "batch".
//
// Errors: {"error": StatusCodeName(code), "message": "..."}, with the HTTP
// status from HttpStatusFor(). Unknown route: 404 not_found; known route with
// another method: 405 method_not_allowed plus an Allow header.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "service/auth.h"
#include "service/inflight_limit.h"
#include "service/metrics.h"
#include "service/operations.h"
#include "service/service.h"

namespace proximadb::rest {

class DashboardFiles;  // api/rest/dashboard.h

// A response body produced piece by piece after the handler returned (the
// change feed). The HTTP server sends it with chunked transfer encoding and
// then closes the connection. It calls Next from its pool threads, never
// two at once; Next must not block for long (short disk reads are fine).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Appends the next piece of the body to *out. True when the body is
  // complete after it; false with *out empty means "nothing yet": the
  // server asks again shortly, sending a keep-alive newline now and then.
  // An error after the headers went out must be written into the body
  // (the status line cannot change any more).
  virtual bool Next(std::string* out) = 0;
};

struct RestResponse {
  unsigned status = 200;
  std::string body;   // JSON unless content_type says otherwise
  std::string allow;  // the Allow header for 405 answers, else empty
  // The "error" of an error body ("" on success): the metrics' code label.
  std::string error;
  std::string message;       // the error body's "message", for the access log
  std::string content_type;  // "" = application/json
  // Further headers (Retry-After, WWW-Authenticate).
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: the body is streamed from it (`body` is ignored).
  std::shared_ptr<ResponseStream> stream;
};

// What the transport knows about a request besides method, target and body,
// and the shared gates it must pass. Null pointers switch a gate off.
struct RequestContext {
  // The API key presented (see service::PresentedKey), "" when none.
  std::string_view presented_key;
  const service::ApiKeys* api_keys = nullptr;
  service::InflightLimit* inflight = nullptr;
  // Records every routed request; with metrics_endpoint also serves
  // GET /metrics (otherwise /metrics is 404 like any unknown path).
  service::Metrics* metrics = nullptr;
  bool metrics_endpoint = false;
  // The request's id (service/request_log.h), echoed as X-Request-Id; ""
  // leaves the header out.
  std::string_view request_id;
  // Write one access-log line for the request (service::LogAccess).
  bool access_log = false;
  // Serves /dashboard and below (api/rest/dashboard.h); null = those paths
  // are unknown routes (404), as with [server] dashboard_enabled = false.
  const DashboardFiles* dashboard = nullptr;
  // The request's If-None-Match header (the dashboard's ETags).
  std::string_view if_none_match;
};

// The {placeholders} of a matched route, decoded.
struct RouteParams {
  std::string name;  // {name}: a collection
  // {id}: a point (or the route's other id: a payload index's field, a
  // segment, a snapshot, a quarantine entry, a cluster node)
  std::string id;
  std::string query;  // the target's query string (after '?'), raw
};

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}} ('+' is a space, as in forms);
// a parameter without '=' has an empty value. kInvalidArgument for a
// malformed escape.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    std::string_view query);

using RouteHandler = RestResponse (*)(service::VectorService& svc,
                                      const RouteParams& params,
                                      std::string_view body);

struct RouteSpec {
  std::string_view method;   // "GET", "POST", ...
  std::string_view pattern;  // "/api/v1/collections/{name}/vectors/{id}"
  // The operations this route reaches (DELETE .../vectors serves both
  // delete-by-ids and delete-by-filter, chosen by the body).
  std::vector<service::Operation> operations;
  RouteHandler handler;
};

// The route table, in documentation order.
const std::vector<RouteSpec>& Routes();

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

// Helpers for route handlers: a JSON answer, or the error of a failed result.
RestResponse JsonResponse(unsigned status, const nlohmann::json& body);
RestResponse FromResult(const Result<nlohmann::json>& r,
                        unsigned ok_status = 200);

// Routes one request. Never throws; blocks while the engine works.
//
// Order for a matched route other than health (which is always open and
// never refused): API key (401 unauthenticated / 403 permission_denied),
// then a slot of the in-flight bound (503 unavailable + Retry-After: 1),
// then the handler. Every matched request is recorded in ctx.metrics; with
// ctx.access_log every request (matched or not) is logged with its id.
RestResponse HandleRequest(service::VectorService& svc, std::string_view method,
                           std::string_view target, std::string_view body,
                           const RequestContext& ctx);
// The same with every gate off (tests of routing alone).
RestResponse HandleRequest(service::VectorService& svc, std::string_view method,
                           std::string_view target, std::string_view body);

// The operation a request to `spec` performs: its only one, or for
// DELETE .../vectors the one the body selects ("filter" vs "ids").
service::Operation OperationOf(const RouteSpec& spec, std::string_view body);

}  // namespace proximadb::rest
