// Encodes the header of a segment file (layout: segment_format.h): the fixed
// fields, the section table and the header CRC. Shared by everything that
// writes segment files (the segment writer, the cold-stub maker), so the
// table is laid out in one place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace proximadb::segment {

struct SegmentHeaderFields {
  uint32_t dimension = 0;
  uint32_t metric = 0;  // proximadb::Metric
  uint64_t count = 0;
  uint64_t segment_id = 0;
  uint64_t min_seq = 0;
  uint64_t max_seq = 0;
};

// One section table entry.
struct SectionEntry {
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc = 0;  // unmasked crc32c of the section's bytes
};

// The header bytes, HeaderLength(sections.size()) of them, CRC included.
// The format version is 2 when a compressed section is in the table, else 1.
std::string EncodeSegmentHeader(const SegmentHeaderFields& fields,
                                const std::vector<SectionEntry>& sections);

}  // namespace proximadb::segment
