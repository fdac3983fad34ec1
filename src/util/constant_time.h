// Comparing secrets (API keys, the cluster's internal token) without
// leaking where they differ through the time taken.
#pragma once

#include <string_view>

namespace proximadb {

// Equality of a and b in time depending only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace proximadb
