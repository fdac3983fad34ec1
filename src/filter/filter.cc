// Filter::Parse: validates a filter's JSON and compiles it into a Program.
// Every error names the place in the filter ("filter.$and[1].price") so that
// a 400 tells the caller exactly what to fix.
#include "filter/filter.h"

#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include "filter/program.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

const char* TypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return j.is_number() ? "a number" : "binary data";
  }
}

bool IsScalar(const json& j) {
  return j.is_null() || j.is_boolean() || j.is_number() || j.is_string();
}

// Rejects a spec whose compact JSON text would pass kMaxFilterBytes.
// Iterative: a hostile spec may be nested far deeper than the call stack
// allows, and the byte limit bounds the work. Values still on the stack count
// one byte each, a lower bound, so a huge array is refused before it is all
// pushed.
Status CheckSize(const json& spec) {
  auto too_big = [] {
    return Status::InvalidArgument("filter: larger than " +
                                   std::to_string(kMaxFilterBytes) +
                                   " bytes of JSON");
  };
  size_t total = 0;
  std::vector<const json*> stack{&spec};
  auto over = [&] { return total + stack.size() > kMaxFilterBytes; };
  while (!stack.empty()) {
    const json* v = stack.back();
    stack.pop_back();
    if (v->is_object()) {
      total += 2 + (v->empty() ? 0 : v->size() - 1);  // braces, commas
      for (const auto& [k, child] : v->items()) {
        total += k.size() + 3;  // quotes and colon
        stack.push_back(&child);
        if (over()) return too_big();
      }
    } else if (v->is_array()) {
      total += 2 + (v->empty() ? 0 : v->size() - 1);
      for (const auto& child : *v) {
        stack.push_back(&child);
        if (over()) return too_big();
      }
    } else if (v->is_string()) {
      total += v->get_ref<const std::string&>().size() + 2;
    } else {
      total += v->dump().size();
    }
    if (over()) return too_big();
  }
  return Status::OK();
}

class Compiler {
 public:
  explicit Compiler(Program* p) : p_(p) { p_->trie.emplace_back(); }

  // A filter object: the AND of its keys. Returns the node index.
  Result<uint32_t> Object(const json& obj, const std::string& where,
                          int depth) {
    if (!obj.is_object()) {
      return Error(where, std::string("a filter must be a JSON object, got ") +
                              TypeName(obj));
    }
    std::vector<uint32_t> parts;
    for (const auto& [key, value] : obj.items()) {
      uint32_t n;
      if (!key.empty() && key[0] == '$') {
        PDB_ASSIGN_OR_RETURN(n, Logical(key, value, where + "." + key, depth));
      } else {
        PDB_ASSIGN_OR_RETURN(n, Field(key, value, where));
      }
      parts.push_back(n);
    }
    if (parts.empty()) return Add(Node{Op::kTrue});
    if (parts.size() == 1) return parts[0];
    return AddLogical(Op::kAnd, parts);
  }

 private:
  Status Error(const std::string& where, const std::string& what) {
    return Status::InvalidArgument(where + ": " + what);
  }

  uint32_t Add(Node n) {
    p_->nodes.push_back(n);
    return static_cast<uint32_t>(p_->nodes.size() - 1);
  }

  uint32_t AddLogical(Op op, const std::vector<uint32_t>& kids) {
    Node n{op, static_cast<uint32_t>(p_->children.size()),
           static_cast<uint32_t>(kids.size())};
    p_->children.insert(p_->children.end(), kids.begin(), kids.end());
    p_->nodes.push_back(n);
    return static_cast<uint32_t>(p_->nodes.size() - 1);
  }

  // Counts one user-visible condition against kMaxConditions.
  Status Count(const std::string& where) {
    if (++conditions_ > kMaxConditions) {
      return Error(where, "more than " + std::to_string(kMaxConditions) +
                              " conditions in one filter");
    }
    return Status::OK();
  }

  Result<uint32_t> Logical(const std::string& key, const json& value,
                           const std::string& where, int depth) {
    if (key != "$and" && key != "$or" && key != "$not") {
      return Error(where,
                   "unknown operator; logical operators are $and, $or and "
                   "$not, and field operators go inside a field: "
                   "{\"field\": {\"$gt\": 1}}");
    }
    if (depth + 1 > kMaxDepth) {
      return Error(where, "filter nests deeper than " +
                              std::to_string(kMaxDepth) + " levels");
    }
    PDB_RETURN_IF_ERROR(Count(where));
    if (key == "$not") {
      if (!value.is_object()) {
        return Error(where, std::string("$not needs a filter object, got ") +
                                TypeName(value));
      }
      PDB_ASSIGN_OR_RETURN(uint32_t child, Object(value, where, depth + 1));
      return AddLogical(Op::kNot, {child});
    }
    if (!value.is_array() || value.empty()) {
      return Error(where, key + " needs a non-empty array of filters");
    }
    std::vector<uint32_t> kids;
    for (size_t i = 0; i < value.size(); ++i) {
      PDB_ASSIGN_OR_RETURN(
          uint32_t child,
          Object(value[i], where + "[" + std::to_string(i) + "]", depth + 1));
      kids.push_back(child);
    }
    return AddLogical(key == "$and" ? Op::kAnd : Op::kOr, kids);
  }

  Result<uint32_t> Field(const std::string& key, const json& value,
                         const std::string& parent) {
    const std::string where = parent + "." + key;
    if (key.empty()) return Error(parent, "field names must not be empty");
    std::vector<std::string> path;
    size_t start = 0;
    while (true) {
      const size_t dot = key.find('.', start);
      path.push_back(key.substr(start, dot - start));
      if (path.back().empty()) {
        return Error(where, "empty segment in dotted path");
      }
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (path.size() > static_cast<size_t>(kMaxPathSegments)) {
      return Error(where, "path has more than " +
                              std::to_string(kMaxPathSegments) + " segments");
    }
    if (IsScalar(value)) return Condition(path, "$eq", value, where);
    if (value.is_array()) {
      return Error(where,
                   "an array is not a value to compare with; use "
                   "{\"$in\": [...]} to match any of several values");
    }
    if (value.empty()) {
      return Error(where, "empty operator object; expected e.g. {\"$eq\": 1}");
    }
    std::vector<uint32_t> parts;
    for (const auto& [op, operand] : value.items()) {
      if (op.empty() || op[0] != '$') {
        return Error(where, "'" + op +
                                "' is not an operator; to match a nested "
                                "field use the dotted path \"" +
                                key + "." + op + "\"");
      }
      PDB_ASSIGN_OR_RETURN(uint32_t n, Condition(path, op, operand, where));
      parts.push_back(n);
    }
    if (parts.size() == 1) return parts[0];
    return AddLogical(Op::kAnd, parts);
  }

  Result<uint32_t> Condition(const std::vector<std::string>& path,
                             const std::string& op, const json& operand,
                             const std::string& where) {
    Leaf leaf;
    if (op == "$eq" || op == "$ne") {
      if (!IsScalar(operand)) {
        return Error(where, op +
                                " needs a string, number, boolean or null "
                                "operand, got " +
                                TypeName(operand));
      }
      leaf.op = op == "$eq" ? Op::kEq : Op::kNe;
      leaf.operand = operand;
    } else if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
      if (!operand.is_number() && !operand.is_string()) {
        return Error(where, op + " needs a number or string operand, got " +
                                TypeName(operand));
      }
      leaf.op = op == "$gt"    ? Op::kGt
                : op == "$gte" ? Op::kGte
                : op == "$lt"  ? Op::kLt
                               : Op::kLte;
      leaf.operand = operand;
      if (operand.is_string()) {
        leaf.time = ParseRfc3339Instant(operand.get_ref<const std::string&>(),
                                        &leaf.time_us);
      }
    } else if (op == "$geo_radius") {
      PDB_RETURN_IF_ERROR(GeoRadius(operand, where, &leaf.geo));
      leaf.op = Op::kGeoRadius;
    } else if (op == "$geo_box") {
      PDB_RETURN_IF_ERROR(GeoBox(operand, where, &leaf.geo));
      leaf.op = Op::kGeoBox;
    } else if (op == "$text") {
      if (!operand.is_string()) {
        return Error(where, std::string("$text needs a string of words, got ") +
                                TypeName(operand));
      }
      leaf.words = DistinctWords(operand.get_ref<const std::string&>());
      const Status count = CheckWordCount("$text", leaf.words.size());
      if (!count.ok()) return Error(where, count.message());
      leaf.op = Op::kText;
    } else if (op == "$in" || op == "$nin") {
      if (!operand.is_array()) {
        return Error(
            where, op + " needs an array of scalars, got " + TypeName(operand));
      }
      for (size_t i = 0; i < operand.size(); ++i) {
        if (!IsScalar(operand[i])) {
          return Error(where, op + "[" + std::to_string(i) +
                                  "] must be a string, number, boolean or "
                                  "null, got " +
                                  TypeName(operand[i]));
        }
        leaf.set.Add(operand[i]);
      }
      leaf.set.Seal();
      leaf.op = op == "$in" ? Op::kIn : Op::kNin;
    } else if (op == "$exists") {
      if (!operand.is_boolean()) {
        return Error(where, std::string("$exists needs true or false, got ") +
                                TypeName(operand));
      }
      leaf.op = Op::kExists;
      leaf.exists = operand.get<bool>();
    } else {
      return Error(where,
                   "unknown operator " + op +
                       "; field operators are $eq $ne $gt $gte $lt "
                       "$lte $in $nin $exists $geo_radius $geo_box $text "
                       "($and $or $not go outside the field)");
    }
    PDB_RETURN_IF_ERROR(Count(where));
    const Op leaf_op = leaf.op;
    leaf.path = path;
    leaf.trie_node = TrieInsert(path);
    const auto index = static_cast<uint32_t>(p_->leaves.size());
    p_->trie[leaf.trie_node].leaves.push_back(index);
    if (IsGeo(leaf_op)) p_->trie[leaf.trie_node].geo = true;
    p_->leaves.push_back(std::move(leaf));
    return Add(Node{leaf_op, index, 0});
  }

  // Only the named members, each present once; `what` names the operand
  // in messages ("$geo_radius", "$geo_box.top_left").
  Status Members(const json& obj, const std::string& what,
                 std::initializer_list<const char*> names,
                 const std::string& where) {
    for (const auto& [k, v] : obj.items()) {
      bool known = false;
      for (const char* n : names) known = known || k == n;
      if (!known) {
        std::string list;
        for (const char* n : names)
          list += std::string(list.empty() ? "" : ", ") + n;
        return Error(where, what + " has an unknown member '" + k +
                                "'; expected " + list);
      }
    }
    for (const char* n : names) {
      if (!obj.contains(n)) {
        return Error(where, what + " needs a member '" + n + "'");
      }
    }
    return Status::OK();
  }

  Status Degrees(const json& v, const std::string& what, bool lat,
                 const std::string& where, double* out) {
    const double d = v.is_number() ? v.get<double>() : 0;
    if (!v.is_number() || !(lat ? ValidLat(d) : ValidLon(d))) {
      return Error(where, what +
                              (lat ? " must be a number in [-90, 90]"
                                   : " must be a number in [-180, 180]") +
                              ", got " +
                              (v.is_number() ? v.dump() : TypeName(v)));
    }
    *out = d;
    return Status::OK();
  }

  Status Point(const json& v, const std::string& what, const std::string& where,
               GeoPoint* out) {
    if (!v.is_object()) {
      return Error(where, what +
                              " must be an object {\"lat\": .., \"lon\": ..}, "
                              "got " +
                              TypeName(v));
    }
    PDB_RETURN_IF_ERROR(Members(v, what, {"lat", "lon"}, where));
    PDB_RETURN_IF_ERROR(
        Degrees(v["lat"], what + ".lat", /*lat=*/true, where, &out->lat));
    return Degrees(v["lon"], what + ".lon", /*lat=*/false, where, &out->lon);
  }

  Status GeoRadius(const json& v, const std::string& where, GeoShape* out) {
    if (!v.is_object()) {
      return Error(where,
                   std::string("$geo_radius needs an object {\"lat\": .., "
                               "\"lon\": .., \"meters\": ..}, got ") +
                       TypeName(v));
    }
    PDB_RETURN_IF_ERROR(
        Members(v, "$geo_radius", {"lat", "lon", "meters"}, where));
    out->kind = GeoShape::Kind::kRadius;
    PDB_RETURN_IF_ERROR(Degrees(v["lat"], "$geo_radius.lat", /*lat=*/true,
                                where, &out->center.lat));
    PDB_RETURN_IF_ERROR(Degrees(v["lon"], "$geo_radius.lon", /*lat=*/false,
                                where, &out->center.lon));
    const json& m = v["meters"];
    if (!m.is_number() || !std::isfinite(m.get<double>()) ||
        m.get<double>() < 0) {
      return Error(where,
                   "$geo_radius.meters must be a non-negative number, got " +
                       (m.is_number() ? m.dump() : std::string(TypeName(m))));
    }
    out->meters = m.get<double>();
    return Status::OK();
  }

  Status GeoBox(const json& v, const std::string& where, GeoShape* out) {
    if (!v.is_object()) {
      return Error(where,
                   std::string("$geo_box needs an object {\"top_left\": "
                               "{\"lat\": .., \"lon\": ..}, \"bottom_right\": "
                               "{\"lat\": .., \"lon\": ..}}, got ") +
                       TypeName(v));
    }
    PDB_RETURN_IF_ERROR(
        Members(v, "$geo_box", {"top_left", "bottom_right"}, where));
    GeoPoint tl, br;
    PDB_RETURN_IF_ERROR(Point(v["top_left"], "$geo_box.top_left", where, &tl));
    PDB_RETURN_IF_ERROR(
        Point(v["bottom_right"], "$geo_box.bottom_right", where, &br));
    if (tl.lat < br.lat) {
      return Error(where,
                   "$geo_box.top_left.lat must not be below "
                   "$geo_box.bottom_right.lat (a box with left > right "
                   "crosses the antimeridian; north and south do not wrap)");
    }
    out->kind = GeoShape::Kind::kBox;
    out->top = tl.lat;
    out->left = tl.lon;
    out->bottom = br.lat;
    out->right = br.lon;
    return Status::OK();
  }

  uint32_t TrieInsert(const std::vector<std::string>& path) {
    uint32_t node = 0;
    for (const auto& seg : path) {
      uint32_t next = 0;
      for (const auto& [name, child] : p_->trie[node].children) {
        if (name == seg) next = child;
      }
      if (next == 0) {  // 0 is the root, never a child
        next = static_cast<uint32_t>(p_->trie.size());
        p_->trie.emplace_back();
        p_->trie[node].children.emplace_back(seg, next);
      }
      node = next;
    }
    return node;
  }

  Program* p_;
  int conditions_ = 0;
};

}  // namespace

Result<Filter> Filter::Parse(const nlohmann::json& spec) {
  if (spec.is_null()) return Filter();
  if (spec.is_object() && spec.empty()) return Filter();
  // Nothing below should throw on a validated spec; the catch keeps a
  // library surprise (or bad_alloc) from escaping the module.
  try {
    PDB_RETURN_IF_ERROR(CheckSize(spec));
    auto program = std::make_shared<Program>();
    Compiler compiler(program.get());
    PDB_ASSIGN_OR_RETURN(program->root, compiler.Object(spec, "filter", 0));
    return Filter(std::move(program));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("filter: ") + e.what());
  }
}

}  // namespace proximadb::filter
