// GET /api/v1/collections/{name}/changes: the change feed as NDJSON
// (docs/API.md, "Change feed").
#pragma once

#include <string_view>

#include "api/rest/router.h"

namespace proximadb::rest {

// Query: from_seq (>= 1; default the oldest retained change), follow
// (true | false, default true: the response stays open for new changes),
// with_vectors (true | false, default true). Errors before the first byte
// are ordinary JSON error answers (404, 410 out_of_range, 400); an error
// after it ends the body with one line {"error", "message"}.
RestResponse Changes(service::VectorService& svc, const RouteParams& params,
                     std::string_view body);

}  // namespace proximadb::rest
