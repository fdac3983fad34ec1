#include "filter/value.h"

#include <algorithm>
#include <cmath>

namespace proximadb::filter {

Value Value::Of(const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::null:
      return Null();
    case T::boolean:
      return Bool(j.get<bool>());
    case T::number_integer:
      return Int(j.get<int64_t>());
    case T::number_unsigned:
      return Uint(j.get<uint64_t>());
    case T::number_float:
      return Double(j.get<double>());
    case T::string:
      return String(j.get_ref<const std::string&>());
    default:
      return {Type::kOther, false, 0, 0, 0, {}};
  }
}

namespace {

template <typename T>
std::partial_ordering Order(T a, T b) {
  return a < b   ? std::partial_ordering::less
         : b < a ? std::partial_ordering::greater
                 : std::partial_ordering::equivalent;
}

// Integers compare exactly (ids above 2^53 must not collide); only a double
// on either side makes the comparison a floating-point one.
std::partial_ordering CompareNumbers(const Value& a, const Value& b) {
  using T = Value::Type;
  if (a.type == T::kDouble || b.type == T::kDouble) {
    const double x = a.as_double(), y = b.as_double();
    if (std::isnan(x) || std::isnan(y)) return std::partial_ordering::unordered;
    return Order(x, y);
  }
  if (a.type == T::kInt && b.type == T::kInt) return Order(a.i, b.i);
  if (a.type == T::kUint && b.type == T::kUint) return Order(a.u, b.u);
  if (a.type == T::kInt) {  // int vs uint
    if (a.i < 0) return std::partial_ordering::less;
    return Order(static_cast<uint64_t>(a.i), b.u);
  }
  if (b.i < 0) return std::partial_ordering::greater;  // uint vs int
  return Order(a.u, static_cast<uint64_t>(b.i));
}

}  // namespace

std::partial_ordering Compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b);
  if (a.type == Value::Type::kString && b.type == Value::Type::kString) {
    // string_view compares bytewise via char_traits<char>::compare (memcmp
    // order, i.e. unsigned bytes), which is UTF-8 code point order.
    const int c = a.s.compare(b.s);
    return c < 0   ? std::partial_ordering::less
           : c > 0 ? std::partial_ordering::greater
                   : std::partial_ordering::equivalent;
  }
  return std::partial_ordering::unordered;
}

bool Equal(const Value& a, const Value& b) {
  using T = Value::Type;
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if (a.type != b.type) return false;
  switch (a.type) {
    case T::kNull:
      return true;
    case T::kBool:
      return a.b == b.b;
    case T::kString:
      return a.s == b.s;
    default:
      return false;  // objects and arrays never equal a filter operand
  }
}

void ValueSet::Add(const nlohmann::json& scalar) {
  if (scalar.is_string()) {
    strings_.push_back(scalar.get<std::string>());
  } else if (scalar.is_number()) {
    numbers_.push_back(scalar);
  } else if (scalar.is_boolean()) {
    (scalar.get<bool>() ? has_true_ : has_false_) = true;
  } else if (scalar.is_null()) {
    has_null_ = true;
  }
}

void ValueSet::Seal() {
  std::sort(strings_.begin(), strings_.end());
  strings_.erase(std::unique(strings_.begin(), strings_.end()), strings_.end());
}

bool ValueSet::Contains(const Value& v) const {
  switch (v.type) {
    case Value::Type::kNull:
      return has_null_;
    case Value::Type::kBool:
      return v.b ? has_true_ : has_false_;
    case Value::Type::kString:
      return std::binary_search(strings_.begin(), strings_.end(), v.s,
                                std::less<>());
    case Value::Type::kOther:
      return false;
    default:
      for (const auto& n : numbers_) {
        if (Equal(v, Value::Of(n))) return true;
      }
      return false;
  }
}

}  // namespace proximadb::filter
