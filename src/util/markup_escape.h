// Text made safe inside XML or HTML element content and double-quoted
// attribute values: & < > " become entities, every other byte is kept.
// (The S3 multipart request's XML, the dashboard's "not built" page.)
#pragma once

#include <string>
#include <string_view>

namespace proximadb {

inline std::string MarkupEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace proximadb
