// The few S3 XML answers S3ObjectStore reads: ListObjectsV2
// (ListBucketResult), InitiateMultipartUpload (UploadId), CompleteMultipart-
// Upload (which can carry an <Error> under HTTP 200) and error bodies
// (<Error><Code>). Parsed with expat rather than by hand: keys come back
// XML-escaped (&amp;, &#x..;, possibly CDATA), and expat decodes every form
// and rejects malformed input; it is a small C library every Debian
// system has (libexpat1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::object::s3 {

struct ListedObject {
  std::string key;  // the full key, the store's prefix included
  uint64_t size = 0;
};

struct ListResult {
  std::vector<ListedObject> objects;
  bool is_truncated = false;
  std::string next_token;  // NextContinuationToken
};

// kCorruption for XML that does not parse or lacks what it must hold.
Result<ListResult> ParseListObjectsV2(std::string_view xml);
Result<std::string> ParseUploadId(std::string_view xml);
// The <Code> of an <Error> document ("AccessDenied"), or "" when `xml` is
// not one (an empty body, a HEAD answer).
std::string ParseErrorCode(std::string_view xml);

}  // namespace proximadb::object::s3
