// J(R"({...})"): a JSON literal in a test. A typo throws, which fails the
// test that has it.
#pragma once

#include <nlohmann/json.hpp>

namespace proximadb::json_literal {

inline nlohmann::json J(const char* text) {
  return nlohmann::json::parse(text);
}

}  // namespace proximadb::json_literal
