// Random (version 4) UUIDs for points written without an id.
#pragma once

#include <string>

namespace proximadb {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx": lowercase hex, RFC 4122 version 4
// and variant bits (y is 8, 9, a or b). Thread-safe.
std::string NewUuidV4();

}  // namespace proximadb
