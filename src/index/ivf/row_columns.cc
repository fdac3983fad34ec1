#include "index/ivf/row_columns.h"

#include "util/coding.h"
#include "util/zstd_block.h"

namespace proximadb::index {

namespace {

Status BadCells(const std::string& what) {
  return Status::Corruption("row columns: " + what);
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace

int RowColumns::Find(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<std::string> RowColumns::Encode(uint64_t* raw_size) const {
  std::string raw;
  PutVarint64(&raw, columns_.size());
  for (const Column& c : columns_) {
    if (c.tags.size() != rows_ || c.values.size() != rows_) {
      return Status::Internal("row columns: column '" + c.name +
                              "' does not have one cell per row");
    }
    PutLengthPrefixed(&raw, c.name);
    PutVarint64(&raw, c.strings.size());
    for (const std::string& s : c.strings) PutLengthPrefixed(&raw, s);
    for (uint32_t r = 0; r < rows_; ++r) {
      const auto tag = static_cast<Tag>(c.tags[r]);
      raw.push_back(static_cast<char>(c.tags[r]));
      switch (tag) {
        case Tag::kInt:
          PutVarint64(&raw, ZigZag(static_cast<int64_t>(c.values[r])));
          break;
        case Tag::kUint:
        case Tag::kString:
          PutVarint64(&raw, c.values[r]);
          break;
        case Tag::kDouble:
          PutFixed64(&raw, c.values[r]);
          break;
        default:
          break;
      }
    }
  }
  PDB_ASSIGN_OR_RETURN(std::string packed, ZstdPack(raw));
  *raw_size = raw.size();
  return packed;
}

Result<RowColumns> RowColumns::Decode(std::string_view packed,
                                      uint64_t raw_size, uint32_t rows) {
  PDB_ASSIGN_OR_RETURN(
      const std::string raw,
      ZstdUnpack(packed, raw_size, 64ull << 30, "row columns"));
  std::string_view in = raw;
  uint64_t count = 0;
  if (!GetVarint64(&in, &count) || count > in.size()) {
    return BadCells("column count");
  }
  std::vector<Column> cols;
  for (uint64_t i = 0; i < count; ++i) {
    Column c;
    std::string_view name;
    uint64_t strings = 0;
    if (!GetLengthPrefixed(&in, &name) || !GetVarint64(&in, &strings) ||
        strings > in.size()) {
      return BadCells("column " + std::to_string(i) + " header");
    }
    c.name = std::string(name);
    c.strings.reserve(strings);
    for (uint64_t k = 0; k < strings; ++k) {
      std::string_view s;
      if (!GetLengthPrefixed(&in, &s)) {
        return BadCells("column '" + c.name + "' strings");
      }
      c.strings.emplace_back(s);
    }
    if (rows > in.size()) return BadCells("column '" + c.name + "' cells");
    c.tags.resize(rows);
    c.values.resize(rows);
    for (uint32_t r = 0; r < rows; ++r) {
      if (in.empty() || static_cast<uint8_t>(in[0]) > kMaxTag) {
        return BadCells("column '" + c.name + "' cell " + std::to_string(r));
      }
      const auto tag = static_cast<Tag>(in[0]);
      in.remove_prefix(1);
      c.tags[r] = static_cast<uint8_t>(tag);
      uint64_t v = 0;
      bool ok = true;
      switch (tag) {
        case Tag::kInt:
          ok = GetVarint64(&in, &v);
          v = static_cast<uint64_t>(UnZigZag(v));
          break;
        case Tag::kUint:
          ok = GetVarint64(&in, &v);
          break;
        case Tag::kString:
          ok = GetVarint64(&in, &v) && v < c.strings.size();
          break;
        case Tag::kDouble:
          ok = GetFixed64(&in, &v);
          break;
        default:
          break;
      }
      if (!ok) {
        return BadCells("column '" + c.name + "' cell " + std::to_string(r));
      }
      c.values[r] = v;
    }
    cols.push_back(std::move(c));
  }
  if (!in.empty()) return BadCells("trailing bytes");
  return RowColumns(std::move(cols), rows);
}

size_t RowColumns::MemoryUsage() const {
  size_t bytes = columns_.capacity() * sizeof(Column);
  for (const Column& c : columns_) {
    bytes += c.name.capacity() + c.tags.capacity() +
             c.values.capacity() * sizeof(uint64_t) +
             c.strings.capacity() * sizeof(std::string);
    for (const std::string& s : c.strings) bytes += s.capacity();
  }
  return bytes;
}

}  // namespace proximadb::index
