// The values at one dotted path of stored metadata text, read without
// building a DOM: what scroll's order_by sorts on and what facet counts.
// The values are exactly the scalars the filter's field operators test at
// that path (arrays stand for their elements; arrays inside arrays are not
// flattened), the rule ForEachScalarAtPath (index_plan.h) applies to a DOM.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/value.h"

namespace proximadb::filter {

// Calls fn(v) for every scalar `path` reaches in the compact JSON text; a
// string value's view is valid only during the call. Text that does not
// parse, or is not an object, reaches nothing.
void ForEachScalarAtPathText(std::string_view metadata_json,
                             const std::vector<std::string>& path,
                             const std::function<void(const Value&)>& fn);

}  // namespace proximadb::filter
