#include "api/rest/change_feed.h"

#include <charconv>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "service/json_codec.h"

namespace proximadb::rest {
namespace {

// Changes per piece of the body: bounds what one poll reads and holds
// (a slow client gets no more until it took the previous piece).
constexpr size_t kChangesPerPiece = 256;

class ChangeFeedBody final : public ResponseStream {
 public:
  ChangeFeedBody(std::unique_ptr<ChangeReader> reader, bool follow,
                 bool with_vectors)
      : reader_(std::move(reader)),
        follow_(follow),
        with_vectors_(with_vectors) {}

  bool Next(std::string* out) override {
    changes_.clear();
    Status s = reader_->Next(kChangesPerPiece, /*wait_ms=*/0, &changes_);
    if (!s.ok()) {
      *out += service::ErrorToJson(s).dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);
      *out += '\n';
      return true;
    }
    for (const Change& c : changes_) {
      service::AppendChangeLine(c, with_vectors_, out);
    }
    // Without follow, the body ends once it caught up with the writes
    // acknowledged when it looked.
    return changes_.empty() && !follow_;
  }

 private:
  const std::unique_ptr<ChangeReader> reader_;
  const bool follow_;
  const bool with_vectors_;
  std::vector<Change> changes_;
};

Result<bool> ParseBool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return Status::InvalidArgument("query parameter '" + key +
                                 "' must be true or false, got '" + v + "'");
}

}  // namespace

RestResponse Changes(service::VectorService& svc, const RouteParams& params,
                     std::string_view body) {
  (void)body;
  auto query = ParseQuery(params.query);
  if (!query.ok()) return ErrorResponse(query.status());
  std::optional<uint64_t> from_seq;
  bool follow = true;
  bool with_vectors = true;
  for (const auto& [key, value] : *query) {
    if (key == "from_seq") {
      uint64_t v = 0;
      auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return ErrorResponse(Status::InvalidArgument(
            "query parameter 'from_seq' must be a sequence number (an "
            "integer >= 1), got '" +
            value + "'"));
      }
      from_seq = v;
    } else if (key == "follow" || key == "with_vectors") {
      Result<bool> b = ParseBool(key, value);
      if (!b.ok()) return ErrorResponse(b.status());
      (key == "follow" ? follow : with_vectors) = *b;
    } else {
      return ErrorResponse(Status::InvalidArgument(
          "unknown query parameter '" + key +
          "' (expected from_seq, follow, with_vectors)"));
    }
  }
  auto reader = svc.OpenChanges(params.name, from_seq);
  if (!reader.ok()) return ErrorResponse(reader.status());
  RestResponse r;
  r.content_type = "application/x-ndjson";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.stream = std::make_shared<ChangeFeedBody>(std::move(reader).value(), follow,
                                              with_vectors);
  return r;
}

}  // namespace proximadb::rest
