#include "filter/filter.h"

namespace proximadb::filter {

Result<Filter> Filter::Parse(const nlohmann::json& spec) {
  Filter f;
  if (spec.is_null()) return f;
  if (!spec.is_object()) {
    return Status::InvalidArgument("filter must be a JSON object");
  }
  for (const auto& [key, value] : spec.items()) {
    if (key.empty()) {
      return Status::InvalidArgument("filter keys must not be empty");
    }
    if (key[0] == '$') {
      return Status::InvalidArgument("unsupported filter operator '" + key +
                                     "': only equality filters "
                                     "{\"field\": value} are supported");
    }
    if (value.is_object() || value.is_array()) {
      return Status::InvalidArgument(
          "filter value for '" + key +
          "' must be a string, number, boolean or null");
    }
    f.terms_.emplace_back(key, value);
  }
  return f;
}

static bool ValueMatches(const nlohmann::json& stored,
                         const nlohmann::json& wanted) {
  if (stored.is_array()) {
    for (const auto& e : stored) {
      if (e == wanted) return true;
    }
    return false;
  }
  return stored == wanted;
}

bool Filter::Matches(const nlohmann::json& metadata) const {
  if (terms_.empty()) return true;
  if (!metadata.is_object()) return false;
  for (const auto& [key, wanted] : terms_) {
    auto it = metadata.find(key);
    if (it == metadata.end() || !ValueMatches(*it, wanted)) return false;
  }
  return true;
}

bool Filter::MatchesText(std::string_view metadata_json) const {
  if (terms_.empty()) return true;
  nlohmann::json m = nlohmann::json::parse(metadata_json, nullptr,
                                           /*allow_exceptions=*/false);
  if (m.is_discarded()) return false;
  return Matches(m);
}

}  // namespace proximadb::filter
