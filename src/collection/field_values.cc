#include "collection/field_values.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "filter/index_plan.h"
#include "filter/path_values.h"
#include "util/limits.h"
#include "util/time_format.h"

namespace proximadb {
namespace {

// The canonical key of a countable value, or "" for one not counted.
std::string KeyOf(const filter::Value& v) {
  using T = filter::Value::Type;
  switch (v.type) {
    case T::kBool:
      return v.b ? "b1" : "b0";
    case T::kInt:
      return "i" + std::to_string(v.i);
    case T::kUint:
      return "i" + std::to_string(v.u);
    case T::kDouble:
      // 3.0 is the integer 3 (the filter language's 3 == 3.0); 2^63 and
      // beyond are not integers anyone facets on.
      if (std::isfinite(v.d) && v.d == std::trunc(v.d) &&
          std::fabs(v.d) < 9.2e18) {
        return "i" + std::to_string(static_cast<int64_t>(v.d));
      }
      return "";
    case T::kString:
      return "s" + std::string(v.s);
    default:
      return "";
  }
}

nlohmann::json ValueOf(const std::string& key) {
  const std::string_view rest = std::string_view(key).substr(1);
  switch (key[0]) {
    case 'b':
      return rest == "1";
    case 'i': {
      if (!rest.empty() && rest[0] == '-') {
        int64_t i = 0;
        std::from_chars(rest.data(), rest.data() + rest.size(), i);
        return i;
      }
      uint64_t u = 0;
      std::from_chars(rest.data(), rest.data() + rest.size(), u);
      return u;
    }
    default:
      return std::string(rest);
  }
}

// Integers ascending: compare the texts as numbers.
bool IntLess(std::string_view a, std::string_view b) {
  const bool na = a[0] == '-', nb = b[0] == '-';
  if (na != nb) return na;
  if (na) return a.size() != b.size() ? a.size() > b.size() : a > b;
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

bool ValueLess(const std::string& a, const std::string& b) {
  auto rank = [](char tag) { return tag == 'b' ? 0 : tag == 'i' ? 1 : 2; };
  if (a[0] != b[0]) return rank(a[0]) < rank(b[0]);
  if (a[0] == 'i') {
    return IntLess(std::string_view(a).substr(1),
                   std::string_view(b).substr(1));
  }
  return a < b;
}

// Keeps the better of the numbers offered.
struct Extreme {
  bool descending;
  std::optional<double> best;
  void Offer(const filter::Value& v) {
    double d;
    int64_t micros;
    if (v.is_number()) {
      d = v.as_double();
    } else if (v.type == filter::Value::Type::kString &&
               ParseRfc3339Instant(v.s, &micros)) {
      d = static_cast<double>(micros);  // exact within +-285 years of 1970
    } else {
      return;
    }
    if (!best || (descending ? d > *best : d < *best)) best = d;
  }
};

}  // namespace

std::optional<double> SortValue(std::string_view metadata_json,
                                const std::vector<std::string>& path,
                                bool descending) {
  Extreme e{descending, std::nullopt};
  filter::ForEachScalarAtPathText(metadata_json, path,
                                  [&](const filter::Value& v) { e.Offer(v); });
  return e.best;
}

std::optional<double> SortValue(const nlohmann::json& metadata,
                                const std::vector<std::string>& path,
                                bool descending) {
  Extreme e{descending, std::nullopt};
  filter::ForEachScalarAtPath(metadata, path,
                              [&](const filter::Value& v) { e.Offer(v); });
  return e.best;
}

Status FacetCounts::Bump(const std::string& key, uint64_t n) {
  auto [it, added] = counts_.try_emplace(key, 0);
  it->second += n;
  if (added && counts_.size() > kMaxFacetDistinctValues) {
    return Status::InvalidArgument(
        "the key has more than " + std::to_string(kMaxFacetDistinctValues) +
        " distinct values among the matching points; facet a field with "
        "fewer values, or narrow the filter");
  }
  return Status::OK();
}

Status FacetCounts::AddPoint(std::string_view metadata_json,
                             const std::vector<std::string>& path) {
  std::vector<std::string> keys;
  filter::ForEachScalarAtPathText(metadata_json, path,
                                  [&](const filter::Value& v) {
                                    std::string k = KeyOf(v);
                                    if (!k.empty())
                                      keys.push_back(std::move(k));
                                  });
  if (keys.size() > 1) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  }
  for (const auto& k : keys) PDB_RETURN_IF_ERROR(Bump(k, 1));
  return Status::OK();
}

Status FacetCounts::Add(const nlohmann::json& value, uint64_t n) {
  std::string key;
  if (value.is_boolean()) {
    key = value.get<bool>() ? "b1" : "b0";
  } else if (value.is_number_unsigned()) {
    key = "i" + std::to_string(value.get<uint64_t>());
  } else if (value.is_number_integer()) {
    key = "i" + std::to_string(value.get<int64_t>());
  } else if (value.is_string()) {
    key = "s" + value.get<std::string>();
  } else {
    return Status::InvalidArgument(
        "a facet value must be a string, boolean "
        "or integer, got " +
        std::string(value.type_name()));
  }
  return Bump(key, n);
}

FacetResult FacetCounts::Top(uint32_t limit) const {
  std::vector<const std::pair<const std::string, uint64_t>*> all;
  all.reserve(counts_.size());
  for (const auto& e : counts_) all.push_back(&e);
  auto before = [](const auto* a, const auto* b) {
    if (a->second != b->second) return a->second > b->second;
    return ValueLess(a->first, b->first);
  };
  const size_t n =
      limit == 0 ? all.size() : std::min<size_t>(limit, all.size());
  std::partial_sort(all.begin(), all.begin() + n, all.end(), before);
  FacetResult r;
  r.values.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    r.values.push_back(FacetValue{ValueOf(all[i]->first), all[i]->second});
  }
  return r;
}

}  // namespace proximadb
