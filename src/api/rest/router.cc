#include "api/rest/router.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "service/json_codec.h"

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
  return RestResponse{http_status,
                      body.dump(-1, ' ', false, json::error_handler_t::replace),
                      ""};
}

RestResponse ErrorResponse(const Status& status) {
  return ErrorResponse(HttpStatusFor(status.code()),
                       StatusCodeName(status.code()), status.message());
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

RestResponse Ok(unsigned status, const json& body) {
  return RestResponse{
      status, body.dump(-1, ' ', false, json::error_handler_t::replace), ""};
}

RestResponse FromResult(const Result<json>& r, unsigned ok_status = 200) {
  if (!r.ok()) return ErrorResponse(r.status());
  return Ok(ok_status, r.value());
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

// Parses the body, then runs `op` on it.
template <typename Op>
RestResponse WithBody(std::string_view body, unsigned ok_status, Op op) {
  Result<json> parsed = service::ParseJsonBody(body);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  return FromResult(op(parsed.value()), ok_status);
}

RestResponse Route(service::VectorService& svc, std::string_view m,
                   std::string_view target, std::string_view body) {
  Result<std::vector<std::string>> split = SplitPath(target);
  if (!split.ok()) return ErrorResponse(split.status());
  const std::vector<std::string>& p = split.value();
  const size_t n = p.size();

  if (n >= 1 && p[0] == "health") {
    if (n > 2 || (n == 2 && p[1] != "live" && p[1] != "ready")) {
      return NoRoute(target);
    }
    if (m != "GET") return NotAllowed(m, "GET");
    json h = svc.Health();
    // The server only starts listening after recovery, so it is always
    // ready once it can answer.
    if (n == 2) h["status"] = p[1] == "live" ? "alive" : "ready";
    return Ok(200, h);
  }
  if (n < 3 || p[0] != "api" || p[1] != "v1" || p[2] != "collections") {
    return NoRoute(target);
  }
  if (n == 3) {
    if (m == "GET") return Ok(200, svc.ListCollectionsJson());
    if (m == "POST") {
      return WithBody(body, 201, [&](const json& b) {
        return svc.CreateCollectionJson(b);
      });
    }
    return NotAllowed(m, "GET, POST");
  }
  const std::string& name = p[3];
  if (n == 4) {
    if (m == "GET") return FromResult(svc.GetCollectionJson(name));
    if (m == "DELETE") return FromResult(svc.DeleteCollectionJson(name));
    return NotAllowed(m, "GET, DELETE");
  }
  if (p[4] == "search" && n == 5) {
    if (m != "POST") return NotAllowed(m, "POST");
    return WithBody(body, 200,
                    [&](const json& b) { return svc.SearchJson(name, b); });
  }
  if (p[4] != "vectors" || n > 6) return NoRoute(target);
  if (n == 5) {
    if (m != "POST") return NotAllowed(m, "POST");
    return WithBody(body, 201,
                    [&](const json& b) { return svc.UpsertJson(name, b); });
  }
  const std::string& id = p[5];
  if (m == "POST" && id == "batch") {
    return WithBody(
        body, 200, [&](const json& b) { return svc.BatchUpsertJson(name, b); });
  }
  if (m == "GET") return FromResult(svc.GetPointJson(name, id));
  if (m == "DELETE") return FromResult(svc.DeletePointJson(name, id));
  return NotAllowed(m, id == "batch" ? "GET, DELETE, POST" : "GET, DELETE");
}

}  // namespace

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

RestResponse HandleRequest(service::VectorService& svc, std::string_view method,
                           std::string_view target, std::string_view body) {
  // The service returns errors as values, but the engine and nlohmann may
  // still throw (bad_alloc, a json type_error on odd stored metadata): the
  // transport boundary is where those become a 500.
  try {
    return Route(svc, method, target, body);
  } catch (const std::exception& e) {
    return ErrorResponse(500, "internal",
                         std::string("unexpected error: ") + e.what());
  } catch (...) {
    return ErrorResponse(500, "internal", "unexpected error");
  }
}

}  // namespace proximadb::rest
