#include "storage/segment/segment_header.h"

#include <algorithm>

#include "storage/segment/segment_format.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::segment {

std::string EncodeSegmentHeader(const SegmentHeaderFields& fields,
                                const std::vector<SectionEntry>& sections) {
  std::string h;
  h.reserve(HeaderLength(sections.size()));
  h.append(kMagic);
  const bool compressed =
      std::any_of(sections.begin(), sections.end(), [](const SectionEntry& s) {
        return s.type == kIdBytesZstd || s.type == kMetaBytesZstd;
      });
  PutFixed32(&h, compressed ? kFormatVersionCompressed : kFormatVersion);
  PutFixed32(&h, static_cast<uint32_t>(HeaderLength(sections.size())));
  PutFixed32(&h, fields.dimension);
  PutFixed32(&h, fields.metric);
  PutFixed64(&h, fields.count);
  PutFixed64(&h, fields.segment_id);
  PutFixed64(&h, fields.min_seq);
  PutFixed64(&h, fields.max_seq);
  PutFixed32(&h, static_cast<uint32_t>(sections.size()));
  for (const SectionEntry& s : sections) {
    PutFixed32(&h, s.type);
    PutFixed32(&h, 0);
    PutFixed64(&h, s.offset);
    PutFixed64(&h, s.length);
    PutFixed32(&h, crc32c::Mask(s.crc));
    PutFixed32(&h, 0);
  }
  PutFixed32(&h, crc32c::Mask(crc32c::Value(h.data(), h.size())));
  return h;
}

}  // namespace proximadb::segment
