#include "collection/column_stats.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>

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

Result<SegmentColumns> BuildSegmentColumns(
    const std::vector<FilterableColumn>& columns, const index::IvfIndex& ivf,
    const std::function<std::string_view(uint32_t row)>& metadata) {
  using Tag = index::RowColumns::Tag;
  const uint32_t nlist = ivf.nlist();
  const uint32_t rows = ivf.rows();
  std::vector<PartitionColumns::Column> cols;
  std::vector<index::RowColumns::Column> cells;
  std::vector<std::unordered_map<std::string, uint32_t>> string_ids;
  std::vector<std::vector<std::string>> paths;
  for (const FilterableColumn& c : columns) {
    PartitionColumns::Column col;
    col.name = c.name;
    PDB_ASSIGN_OR_RETURN(col.type, PartitionColumns::ParseType(c.type));
    col.parts.resize(nlist);
    cols.push_back(std::move(col));
    index::RowColumns::Column cell;
    cell.name = c.name;
    cell.tags.assign(rows, static_cast<uint8_t>(Tag::kIrregular));
    cell.values.assign(rows, 0);
    cells.push_back(std::move(cell));
    string_ids.emplace_back();
    paths.push_back(filter::SplitPath(c.name));
  }
  // One row's cell of column c.
  auto put_cell = [&](size_t c, uint32_t row, const filter::Cell& cell) {
    using V = filter::Value::Type;
    index::RowColumns::Column& col = cells[c];
    Tag tag = Tag::kIrregular;
    uint64_t value = 0;
    const filter::Value& v = cell.value;
    if (cell.kind == filter::Cell::Kind::kAbsent) {
      tag = Tag::kAbsent;
    } else if (cell.kind == filter::Cell::Kind::kScalar) {
      switch (v.type) {
        case V::kNull:
          tag = Tag::kNull;
          break;
        case V::kBool:
          tag = v.b ? Tag::kTrue : Tag::kFalse;
          break;
        case V::kInt:
          tag = Tag::kInt;
          value = static_cast<uint64_t>(v.i);
          break;
        case V::kUint:
          tag = Tag::kUint;  // the JSON's own type: filters compare it
          value = v.u;       // exactly as they compare the text's number
          break;
        case V::kDouble:
          tag = Tag::kDouble;
          value = std::bit_cast<uint64_t>(v.d);
          break;
        case V::kString: {
          tag = Tag::kString;
          auto [it, fresh] = string_ids[c].try_emplace(
              std::string(v.s), static_cast<uint32_t>(col.strings.size()));
          if (fresh) col.strings.emplace_back(v.s);
          value = it->second;
          break;
        }
        case V::kOther:
          break;
      }
    }
    col.tags[row] = static_cast<uint8_t>(tag);
    col.values[row] = value;
  };
  for (uint32_t p = 0; p < nlist; ++p) {
    for (uint32_t row : ivf.partition_rows(p)) {
      const std::string_view text = metadata(row);
      nlohmann::json doc =
          nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                /*allow_exceptions=*/false);
      if (doc.is_discarded()) {
        // Stored metadata is valid JSON (checked on write and on open);
        // were it not, nothing is pruned where the row is, and the row's
        // cells stay irregular (its text is what filters then read).
        for (auto& col : cols) col.parts[p].irregular = true;
        continue;
      }
      for (size_t c = 0; c < cols.size(); ++c) {
        PartitionColumns::Stats* s = &cols[c].parts[p];
        const Type type = cols[c].type;
        filter::ForEachScalarAtPath(
            doc, paths[c], [&](const filter::Value& v) { Add(type, v, s); });
        put_cell(c, row, filter::CellAt(doc, paths[c]));
      }
    }
  }
  SegmentColumns out;
  out.stats = std::make_shared<const PartitionColumns>(std::move(cols));
  out.rows = std::make_shared<const index::RowColumns>(std::move(cells), rows);
  return out;
}

bool ColumnsMatch(const index::IvfIndex& ivf,
                  const std::vector<FilterableColumn>& want) {
  const PartitionColumns* have = ivf.columns();
  if (have == nullptr) return want.empty();
  const auto& cols = have->columns();
  const index::RowColumns* cells = ivf.row_columns();
  if (cols.size() != want.size() || cells == nullptr ||
      cells->columns().size() != want.size()) {
    return false;
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].name != want[i].name ||
        PartitionColumns::TypeName(cols[i].type) != want[i].type) {
      return false;
    }
  }
  return true;
}

filter::Cell ColumnRowCells::Get(int slot, uint32_t row) const {
  using Tag = index::RowColumns::Tag;
  const index::RowColumns::Column& c = cols_.columns()[slot];
  filter::Cell cell;
  const uint64_t v = c.values[row];
  cell.kind = filter::Cell::Kind::kScalar;
  switch (static_cast<Tag>(c.tags[row])) {
    case Tag::kAbsent:
      cell.kind = filter::Cell::Kind::kAbsent;
      break;
    case Tag::kNull:
      cell.value = filter::Value::Null();
      break;
    case Tag::kFalse:
      cell.value = filter::Value::Bool(false);
      break;
    case Tag::kTrue:
      cell.value = filter::Value::Bool(true);
      break;
    case Tag::kInt:
      cell.value = filter::Value::Int(static_cast<int64_t>(v));
      break;
    case Tag::kUint:
      cell.value = filter::Value::Uint(v);
      break;
    case Tag::kDouble:
      cell.value = filter::Value::Double(std::bit_cast<double>(v));
      break;
    case Tag::kString:
      cell.value = filter::Value::String(c.strings[v]);
      break;
    case Tag::kIrregular:
      cell.kind = filter::Cell::Kind::kUnknown;
      break;
  }
  return cell;
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
