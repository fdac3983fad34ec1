#include "api/rest/router.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>

#include <nlohmann/json.hpp>

#include "api/rest/dashboard.h"
#include "service/admission.h"
#include "service/request_log.h"

namespace proximadb::rest {

using nlohmann::json;

unsigned HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kDimensionMismatch:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kOutOfRange:
      return 410;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

RestResponse ErrorResponse(unsigned http_status, std::string_view code,
                           std::string_view message) {
  json body = {{"error", std::string(code)}, {"message", std::string(message)}};
  // `replace` keeps a message holding invalid UTF-8 (e.g. a decoded id) from
  // making dump() throw.
  RestResponse r;
  r.status = http_status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.error = std::string(code);
  r.message = std::string(message);
  return r;
}

RestResponse ErrorResponse(const Status& status) {
  RestResponse r =
      ErrorResponse(HttpStatusFor(status.code()), StatusCodeName(status.code()),
                    status.message());
  // Unavailable is always worth a retry (a flush behind its WAL cap, a
  // replica catching up): say when.
  if (status.code() == StatusCode::kUnavailable) {
    r.headers.emplace_back("Retry-After", "1");
  }
  return r;
}

RestResponse JsonResponse(unsigned status, const json& body) {
  RestResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

RestResponse FromResult(const Result<json>& r, unsigned ok_status) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(ok_status, r.value());
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

RestResponse NotAllowed(std::string_view method, std::string allow) {
  RestResponse r =
      ErrorResponse(405, "method_not_allowed",
                    "method " + std::string(method) +
                        " is not allowed here (allowed: " + allow + ")");
  r.allow = std::move(allow);
  return r;
}

RestResponse NoRoute(std::string_view target) {
  return ErrorResponse(404, "not_found", "no route for " + std::string(target));
}

// The placeholders Match() fills in.
bool IsPlaceholder(std::string_view seg) {
  return seg == "{name}" || seg == "{id}";
}

// A route pattern split once into segments.
struct CompiledRoute {
  const RouteSpec* spec;
  std::vector<std::string_view> segments;
  int literals = 0;  // more literal segments = more specific
};

const std::vector<CompiledRoute>& Compiled() {
  static const std::vector<CompiledRoute> compiled = [] {
    std::vector<CompiledRoute> out;
    for (const RouteSpec& r : Routes()) {
      CompiledRoute c{&r, {}, 0};
      std::string_view p = r.pattern;
      while (!p.empty()) {
        p.remove_prefix(1);  // the '/'
        size_t slash = p.find('/');
        std::string_view seg = p.substr(0, slash);
        c.segments.push_back(seg);
        if (!IsPlaceholder(seg)) ++c.literals;
        p = slash == std::string_view::npos ? std::string_view()
                                            : p.substr(slash);
      }
      out.push_back(std::move(c));
    }
    return out;
  }();
  return compiled;
}

bool Match(const CompiledRoute& r, const std::vector<std::string>& path,
           RouteParams* params) {
  if (r.segments.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    std::string_view seg = r.segments[i];
    if (seg == "{name}") {
      params->name = path[i];
    } else if (seg == "{id}") {
      params->id = path[i];
    } else if (seg != path[i]) {
      return false;
    }
  }
  return true;
}

// A refusal of the admission chain in REST's shape.
RestResponse Refused(const service::Refusal& why) {
  using Kind = service::Refusal::Kind;
  switch (why.kind) {
    case Kind::kUnauthenticated: {
      RestResponse r = ErrorResponse(401, "unauthenticated", why.message);
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    case Kind::kPermissionDenied:
      return ErrorResponse(403, "permission_denied", why.message);
    case Kind::kOverloaded:
      break;
  }
  RestResponse r = ErrorResponse(503, "unavailable", why.message);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

size_t CodeOf(const RestResponse& r) {
  return r.error.empty() ? service::CodeIndex(StatusCode::kOk)
                         : service::CodeIndexByName(r.error);
}

// Runs the matched route's handler through the admission chain
// (service/admission.h), which also records the request's metrics.
RestResponse Admitted(service::VectorService& svc, const CompiledRoute& route,
                      const RouteParams& params, service::Operation op,
                      std::string_view body, const RequestContext& ctx,
                      std::chrono::steady_clock::time_point start) {
  const service::AdmissionGates gates{ctx.api_keys, ctx.inflight, ctx.metrics};
  return service::Admit(
      gates, service::Protocol::kRest, op, ctx.presented_key, start,
      [&] { return route.spec->handler(svc, params, body); }, Refused,
      [](const Status& s) { return ErrorResponse(s); }, CodeOf);
}

RestResponse Route(service::VectorService& svc, std::string_view m,
                   std::string_view target, std::string_view body,
                   const RequestContext& ctx,
                   std::chrono::steady_clock::time_point start,
                   std::optional<service::Operation>* op) {
  Result<std::vector<std::string>> split = SplitPath(target);
  if (!split.ok()) return ErrorResponse(split.status());
  const CompiledRoute* best = nullptr;
  RouteParams best_params;
  std::string allow;
  for (const CompiledRoute& r : Compiled()) {
    RouteParams params;
    if (!Match(r, *split, &params)) continue;
    if (r.spec->method == m) {
      if (best == nullptr || r.literals > best->literals) {
        best = &r;
        best_params = std::move(params);
      }
      continue;
    }
    if (allow.find(r.spec->method) == std::string::npos) {
      if (!allow.empty()) allow += ", ";
      allow += r.spec->method;
    }
  }
  if (best != nullptr) {
    if (size_t q = target.find('?'); q != std::string_view::npos) {
      best_params.query = std::string(target.substr(q + 1));
    }
    *op = OperationOf(*best->spec, body);
    return Admitted(svc, *best, best_params, **op, body, ctx, start);
  }
  if (!allow.empty()) return NotAllowed(m, std::move(allow));
  return NoRoute(target);
}

RestResponse MetricsResponse(service::VectorService& svc,
                             const RequestContext& ctx) {
  service::ProcessSample p;
  p.inflight_requests = ctx.inflight != nullptr ? ctx.inflight->current() : 0;
  const service::ProcessMemory mem = service::ReadProcessMemory();
  p.resident_bytes = mem.resident;
  p.anonymous_bytes = mem.anonymous;
  p.file_bytes = mem.file;
  p.memory_limit_bytes = svc.memory_limit_bytes();
  auto quarantine = svc.ListQuarantine();
  if (quarantine.ok()) p.quarantine_entries = quarantine->size();
  auto cluster = svc.GetCluster();
  if (cluster.ok() && cluster->enabled) p.cluster = std::move(cluster).value();
  RestResponse r;
  r.body = ctx.metrics->Render(svc.ListCollections(), p);
  r.content_type = service::kMetricsContentType;
  return r;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string key(part.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view()
                                                   : part.substr(eq + 1));
    std::replace(key.begin(), key.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    PDB_ASSIGN_OR_RETURN(std::string k, PercentDecode(key));
    PDB_ASSIGN_OR_RETURN(std::string v, PercentDecode(value));
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) {
      return Status::InvalidArgument("malformed percent-encoding in path");
    }
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument("malformed percent-encoding in path");
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Result<std::vector<std::string>> SplitPath(std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  std::vector<std::string> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view raw = path.substr(pos, slash - pos);
    if (!raw.empty()) {
      PDB_ASSIGN_OR_RETURN(std::string seg, PercentDecode(raw));
      segments.push_back(std::move(seg));
    }
    pos = slash + 1;
  }
  return segments;
}

service::Operation OperationOf(const RouteSpec& spec, std::string_view body) {
  if (spec.operations.size() > 1 &&
      spec.operations[1] == service::Operation::kDeleteByFilter &&
      body.find("\"filter\"") != std::string_view::npos) {
    // Only a label: the handler decides from the parsed body; a body that
    // merely mentions "filter" in an id is counted as filter-delete.
    return service::Operation::kDeleteByFilter;
  }
  return spec.operations.front();
}

RestResponse HandleRequest(service::VectorService& svc, std::string_view method,
                           std::string_view target, std::string_view body,
                           const RequestContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<service::Operation> op;
  std::string_view op_name;
  // A routed request runs (and is recorded) inside the admission chain;
  // this outer guard covers routing and GET /metrics, which belong to no
  // operation.
  RestResponse r = service::CatchAll(
      [&] {
        if (ctx.metrics_endpoint && ctx.metrics != nullptr && method == "GET" &&
            target.substr(0, target.find('?')) == "/metrics") {
          op_name = "Metrics";
          return MetricsResponse(svc, ctx);
        }
        if (ctx.dashboard != nullptr) {
          std::string_view path = target.substr(0, target.find_first_of("?#"));
          if (IsDashboardPath(path)) {
            op_name = "Dashboard";
            return ctx.dashboard->Serve(method, path, ctx.if_none_match);
          }
        }
        return Route(svc, method, target, body, ctx, start, &op);
      },
      [](const Status& s) { return ErrorResponse(s); });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (!ctx.request_id.empty()) {
    r.headers.emplace_back(std::string(service::kRequestIdHeader),
                           std::string(ctx.request_id));
  }
  if (ctx.access_log) {
    service::AccessRecord a;
    a.request_id = ctx.request_id;
    a.protocol = "rest";
    if (op.has_value()) op_name = service::OperationName(*op);
    a.operation = op_name;
    a.method = method;
    a.target = target;
    a.status = r.status;
    a.code = r.error;
    a.latency_ms = std::chrono::duration<double, std::milli>(elapsed).count();
    a.bytes_in = body.size();
    a.bytes_out = r.body.size();
    a.message = r.message;
    service::LogAccess(a);
  }
  return r;
}

RestResponse HandleRequest(service::VectorService& svc, std::string_view method,
                           std::string_view target, std::string_view body) {
  return HandleRequest(svc, method, target, body, RequestContext{});
}

}  // namespace proximadb::rest
