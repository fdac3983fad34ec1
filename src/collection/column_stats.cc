#include "collection/column_stats.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "util/time_format.h"

namespace proximadb {

namespace {

using index::PartitionColumns;
using Type = PartitionColumns::Type;

// Adds one value the column's path reached to its partition's statistics.
void Add(Type type, const filter::Value& v, PartitionColumns::Stats* s) {
  using V = filter::Value::Type;
  if (v.type == V::kNull) return;  // satisfies no positive test
  switch (type) {
    case Type::kString:
      if (v.type == V::kString) return s->AddString(v.s);
      break;
    case Type::kInt:
      if (v.type == V::kInt) return s->AddInt(v.i);
      if (v.type == V::kUint &&
          v.u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return s->AddInt(static_cast<int64_t>(v.u));
      }
      break;
    case Type::kFloat:
      if (v.is_number()) return s->AddFloat(v.as_double());
      break;
    case Type::kBool:
      if (v.type == V::kBool) return s->AddInt(v.b ? 1 : 0);
      break;
    case Type::kDatetime: {
      int64_t t = 0;
      if (v.type == V::kString && ParseRfc3339Instant(v.s, &t)) {
        return s->AddInt(t);
      }
      break;
    }
  }
  s->irregular = true;
}

// [lo, hi] (as doubles: rounding is monotonic, so this only widens) meets
// the bounds.
bool Meets(double lo, double hi, filter::NumBound qlo, filter::NumBound qhi) {
  return (!qlo.set || hi >= qlo.value) && (!qhi.set || lo <= qhi.value);
}

}  // namespace

Result<std::shared_ptr<const PartitionColumns>> BuildPartitionColumns(
    const std::vector<FilterableColumn>& columns, const index::IvfIndex& ivf,
    const std::function<std::string_view(uint32_t row)>& metadata) {
  const uint32_t nlist = ivf.nlist();
  std::vector<PartitionColumns::Column> cols;
  std::vector<std::vector<std::string>> paths;
  for (const FilterableColumn& c : columns) {
    PartitionColumns::Column col;
    col.name = c.name;
    PDB_ASSIGN_OR_RETURN(col.type, PartitionColumns::ParseType(c.type));
    col.parts.resize(nlist);
    cols.push_back(std::move(col));
    paths.push_back(filter::SplitPath(c.name));
  }
  for (uint32_t p = 0; p < nlist; ++p) {
    for (uint32_t row : ivf.partition_rows(p)) {
      const std::string_view text = metadata(row);
      nlohmann::json doc =
          nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                /*allow_exceptions=*/false);
      if (doc.is_discarded()) {
        // Stored metadata is valid JSON (checked on write and on open);
        // were it not, nothing is pruned where the row is.
        for (auto& col : cols) col.parts[p].irregular = true;
        continue;
      }
      for (size_t c = 0; c < cols.size(); ++c) {
        PartitionColumns::Stats* s = &cols[c].parts[p];
        const Type type = cols[c].type;
        filter::ForEachScalarAtPath(
            doc, paths[c], [&](const filter::Value& v) { Add(type, v, s); });
      }
    }
  }
  return std::make_shared<const PartitionColumns>(std::move(cols));
}

bool ColumnsMatch(const PartitionColumns* have,
                  const std::vector<FilterableColumn>& want) {
  if (have == nullptr) return want.empty();
  const auto& cols = have->columns();
  if (cols.size() != want.size()) return false;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].name != want[i].name ||
        PartitionColumns::TypeName(cols[i].type) != want[i].type) {
      return false;
    }
  }
  return true;
}

bool ColumnPartitionStats::MayEq(std::string_view field, const filter::Value& v,
                                 std::vector<uint8_t>* out) const {
  const PartitionColumns::Column* c = cols_.Find(field);
  if (c == nullptr) return false;
  using V = filter::Value::Type;
  int64_t instant = 0;
  const bool instant_ok = c->type == Type::kDatetime && v.type == V::kString &&
                          ParseRfc3339Instant(v.s, &instant);
  for (uint32_t p = 0; p < partitions_; ++p) {
    const PartitionColumns::Stats& s = c->parts[p];
    bool may = true;
    if (!s.irregular) {
      if (s.values == 0) {
        may = false;
      } else {
        switch (c->type) {
          case Type::kString:
            if (v.type != V::kString) {
              may = false;
            } else if (s.overflow) {
              may = s.slo <= v.s && v.s <= s.shi;
            } else {
              may = std::binary_search(s.dict.begin(), s.dict.end(), v.s);
            }
            break;
          case Type::kInt:
            may = v.is_number() &&
                  Meets(static_cast<double>(s.ilo), static_cast<double>(s.ihi),
                        {true, v.as_double()}, {true, v.as_double()});
            break;
          case Type::kFloat:
            may = v.is_number() && Meets(s.flo, s.fhi, {true, v.as_double()},
                                         {true, v.as_double()});
            break;
          case Type::kBool:
            may = v.type == V::kBool && s.ilo <= (v.b ? 1 : 0) &&
                  (v.b ? 1 : 0) <= s.ihi;
            break;
          case Type::kDatetime:
            // Equal strings are equal instants; a string that is no
            // instant equals no regular value.
            may = instant_ok && s.ilo <= instant && instant <= s.ihi;
            break;
        }
      }
    }
    (*out)[p] = may ? 1 : 0;
  }
  return true;
}

bool ColumnPartitionStats::MayRange(std::string_view field, filter::NumBound lo,
                                    filter::NumBound hi,
                                    std::vector<uint8_t>* out) const {
  const PartitionColumns::Column* c = cols_.Find(field);
  if (c == nullptr) return false;
  for (uint32_t p = 0; p < partitions_; ++p) {
    const PartitionColumns::Stats& s = c->parts[p];
    bool may = true;
    if (!s.irregular) {
      switch (c->type) {
        case Type::kInt:
          may = s.values > 0 && Meets(static_cast<double>(s.ilo),
                                      static_cast<double>(s.ihi), lo, hi);
          break;
        case Type::kFloat:
          may = s.values > 0 && Meets(s.flo, s.fhi, lo, hi);
          break;
        default:
          may = false;  // strings and booleans are not numbers
      }
    }
    (*out)[p] = may ? 1 : 0;
  }
  return true;
}

bool ColumnPartitionStats::MayTimeRange(std::string_view field,
                                        filter::TimeBound lo,
                                        filter::TimeBound hi,
                                        std::vector<uint8_t>* out) const {
  const PartitionColumns::Column* c = cols_.Find(field);
  // A string column's values may be instants: unknown.
  if (c == nullptr || c->type == Type::kString) return false;
  for (uint32_t p = 0; p < partitions_; ++p) {
    const PartitionColumns::Stats& s = c->parts[p];
    bool may = true;
    if (!s.irregular) {
      may = c->type == Type::kDatetime && s.values > 0 &&
            (!lo.set || s.ihi >= lo.value) && (!hi.set || s.ilo <= hi.value);
    }
    (*out)[p] = may ? 1 : 0;
  }
  return true;
}

}  // namespace proximadb
