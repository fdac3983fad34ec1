// A borrowed view of one JSON scalar and the comparison rules of the filter
// language. Both evaluators (over a DOM and over streamed JSON text) produce
// Values, so the type rules live in exactly one place.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace proximadb::filter {

struct Value {
  // kOther: an object or array; it equals and orders against nothing.
  enum class Type : uint8_t {
    kNull,
    kBool,
    kInt,
    kUint,
    kDouble,
    kString,
    kOther
  };

  Type type = Type::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string_view s;  // borrowed: valid while the source is

  static Value Null() { return {}; }
  static Value Bool(bool v) { return {Type::kBool, v, 0, 0, 0, {}}; }
  static Value Int(int64_t v) { return {Type::kInt, false, v, 0, 0, {}}; }
  static Value Uint(uint64_t v) { return {Type::kUint, false, 0, v, 0, {}}; }
  static Value Double(double v) { return {Type::kDouble, false, 0, 0, v, {}}; }
  static Value String(std::string_view v) {
    return {Type::kString, false, 0, 0, 0, v};
  }
  static Value Of(const nlohmann::json& j);

  bool is_number() const {
    return type == Type::kInt || type == Type::kUint || type == Type::kDouble;
  }
  // A number as a double (integers beyond 2^53 rounded); 0 for non-numbers.
  double as_double() const {
    switch (type) {
      case Type::kInt:
        return static_cast<double>(i);
      case Type::kUint:
        return static_cast<double>(u);
      case Type::kDouble:
        return d;
      default:
        return 0;
    }
  }
};

// null == null, bools by value, numbers as numbers (1 == 1.0, integers
// exactly), strings bytewise; different types are never equal.
bool Equal(const Value& a, const Value& b);

// Numbers with numbers, strings with strings (bytewise); anything else,
// including NaN, is unordered, so every range operator is false on it.
std::partial_ordering Compare(const Value& a, const Value& b);

// The operand of $in / $nin: strings sorted for binary search (the common
// case is a long list of ids or tags), the rest scanned.
class ValueSet {
 public:
  void Add(const nlohmann::json& scalar);
  void Seal();  // sorts; call once after the last Add
  bool Contains(const Value& v) const;
  // Calls fn(value) for every element (strings deduplicated), for the
  // payload-index bounds (index_plan.h); values borrow from the set.
  template <typename Fn>
  void ForEach(const Fn& fn) const {
    if (has_null_) fn(Value::Null());
    if (has_true_) fn(Value::Bool(true));
    if (has_false_) fn(Value::Bool(false));
    for (const auto& s : strings_) fn(Value::String(s));
    for (const auto& n : numbers_) fn(Value::Of(n));
  }

 private:
  std::vector<std::string> strings_;
  std::vector<nlohmann::json> numbers_;
  bool has_null_ = false, has_true_ = false, has_false_ = false;
};

}  // namespace proximadb::filter
