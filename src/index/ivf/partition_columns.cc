#include "index/ivf/partition_columns.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>

#include "util/coding.h"
#include "util/zstd_block.h"

namespace proximadb::index {

namespace {

constexpr uint32_t kFlagIrregular = 1;
constexpr uint32_t kFlagOverflow = 2;

Status Bad(const std::string& what) {
  return Status::Corruption("column statistics: " + what);
}

// The bytewise successor bound of a string cut to `n` bytes: every string
// with that prefix sorts at or below it.
std::string UpperOfPrefix(std::string_view v, size_t n) {
  std::string out(v.substr(0, n));
  out.append(1, '\xff');
  return out;
}

}  // namespace

void PartitionColumns::Stats::AddInt(int64_t v) {
  if (values == 0) {
    ilo = ihi = v;
  } else {
    ilo = std::min(ilo, v);
    ihi = std::max(ihi, v);
  }
  ++values;
}

void PartitionColumns::Stats::AddFloat(double v) {
  if (std::isnan(v)) return;  // NaN satisfies no positive test
  if (values == 0) {
    flo = fhi = v;
  } else {
    flo = std::min(flo, v);
    fhi = std::max(fhi, v);
  }
  ++values;
}

void PartitionColumns::Stats::AddString(std::string_view v) {
  const bool cut = v.size() > kMaxStringBytes;
  // A cut string's bounds: its prefix below (a prefix sorts first) and the
  // prefix followed by 0xff above, which no UTF-8 text reaches.
  const std::string lo(v.substr(0, kMaxStringBytes));
  const std::string hi = cut ? UpperOfPrefix(v, kMaxStringBytes) : lo;
  if (values == 0 || lo < slo) slo = lo;
  if (values == 0 || hi > shi) shi = hi;
  ++values;
  if (overflow) return;
  if (cut) {
    overflow = true;
    dict.clear();
    return;
  }
  auto it = std::lower_bound(dict.begin(), dict.end(), lo);
  if (it != dict.end() && *it == lo) return;
  if (dict.size() >= kMaxDictionary) {
    overflow = true;
    dict.clear();
    return;
  }
  dict.insert(it, lo);
}

Result<PartitionColumns::Type> PartitionColumns::ParseType(
    std::string_view name) {
  for (Type t : {Type::kString, Type::kInt, Type::kFloat, Type::kBool,
                 Type::kDatetime}) {
    if (TypeName(t) == name) return t;
  }
  return Status::InvalidArgument("unknown column type '" + std::string(name) +
                                 "'");
}

std::string_view PartitionColumns::TypeName(Type t) {
  switch (t) {
    case Type::kString:
      return "string";
    case Type::kInt:
      return "int";
    case Type::kFloat:
      return "float";
    case Type::kBool:
      return "bool";
    case Type::kDatetime:
      return "datetime";
  }
  return "?";
}

const PartitionColumns::Column* PartitionColumns::Find(
    std::string_view name) const {
  for (const Column& c : columns_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<std::string> PartitionColumns::Encode(uint64_t* raw_size) const {
  std::string raw;
  PutVarint64(&raw, columns_.size());
  for (const Column& c : columns_) {
    PutLengthPrefixed(&raw, c.name);
    PutVarint64(&raw, static_cast<uint32_t>(c.type));
    PutVarint64(&raw, c.parts.size());
    for (const Stats& s : c.parts) {
      PutVarint64(&raw, s.values);
      PutVarint64(&raw, (s.irregular ? kFlagIrregular : 0) |
                            (s.overflow ? kFlagOverflow : 0));
      switch (c.type) {
        case Type::kString:
          if (s.overflow) {
            PutLengthPrefixed(&raw, s.slo);
            PutLengthPrefixed(&raw, s.shi);
          } else {
            PutVarint64(&raw, s.dict.size());
            for (const std::string& v : s.dict) PutLengthPrefixed(&raw, v);
          }
          break;
        case Type::kFloat:
          PutFixed64(&raw, std::bit_cast<uint64_t>(s.flo));
          PutFixed64(&raw, std::bit_cast<uint64_t>(s.fhi));
          break;
        default:
          PutFixed64(&raw, static_cast<uint64_t>(s.ilo));
          PutFixed64(&raw, static_cast<uint64_t>(s.ihi));
      }
    }
  }
  PDB_ASSIGN_OR_RETURN(std::string packed, ZstdPack(raw));
  *raw_size = raw.size();
  return packed;
}

Result<PartitionColumns> PartitionColumns::Decode(std::string_view packed,
                                                  uint64_t raw_size,
                                                  uint32_t partitions) {
  // The most the encoding of kMaxFilterableColumns columns over 65536
  // partitions with full dictionaries can take, rounded up.
  PDB_ASSIGN_OR_RETURN(
      const std::string raw,
      ZstdUnpack(packed, raw_size, 64ull << 30, "column statistics"));
  std::string_view in = raw;
  uint64_t count = 0;
  if (!GetVarint64(&in, &count) || count > in.size()) {
    return Bad("column count");
  }
  std::vector<Column> cols;
  for (uint64_t i = 0; i < count; ++i) {
    Column c;
    std::string_view name;
    uint64_t type = 0, parts = 0;
    if (!GetLengthPrefixed(&in, &name) || !GetVarint64(&in, &type) ||
        type > static_cast<uint32_t>(Type::kDatetime) ||
        !GetVarint64(&in, &parts) || parts != partitions) {
      return Bad("column " + std::to_string(i) + " header");
    }
    c.name = std::string(name);
    c.type = static_cast<Type>(type);
    c.parts.resize(partitions);
    for (Stats& s : c.parts) {
      uint64_t values = 0, flags = 0;
      if (!GetVarint64(&in, &values) || values > UINT32_MAX ||
          !GetVarint64(&in, &flags) ||
          (flags & ~uint64_t(kFlagIrregular | kFlagOverflow)) != 0) {
        return Bad("column '" + c.name + "' partition entry");
      }
      s.values = static_cast<uint32_t>(values);
      s.irregular = (flags & kFlagIrregular) != 0;
      s.overflow = (flags & kFlagOverflow) != 0;
      if (c.type == Type::kString) {
        std::string_view a, b;
        if (s.overflow) {
          if (!GetLengthPrefixed(&in, &a) || !GetLengthPrefixed(&in, &b) ||
              b < a) {
            return Bad("column '" + c.name + "' string bounds");
          }
          s.slo = std::string(a);
          s.shi = std::string(b);
          continue;
        }
        uint64_t entries = 0;
        if (!GetVarint64(&in, &entries) || entries > kMaxDictionary) {
          return Bad("column '" + c.name + "' dictionary size");
        }
        for (uint64_t k = 0; k < entries; ++k) {
          if (!GetLengthPrefixed(&in, &a) ||
              (!s.dict.empty() && !(s.dict.back() < a))) {
            return Bad("column '" + c.name + "' dictionary");
          }
          s.dict.emplace_back(a);
        }
        // The bounds the dictionary implies, as AddString keeps them.
        if (!s.dict.empty()) {
          s.slo = s.dict.front();
          s.shi = s.dict.back();
        }
        continue;
      }
      uint64_t lo = 0, hi = 0;
      if (!GetFixed64(&in, &lo) || !GetFixed64(&in, &hi)) {
        return Bad("column '" + c.name + "' bounds");
      }
      if (c.type == Type::kFloat) {
        s.flo = std::bit_cast<double>(lo);
        s.fhi = std::bit_cast<double>(hi);
        if (std::isnan(s.flo) || std::isnan(s.fhi) || s.fhi < s.flo) {
          return Bad("column '" + c.name + "' float bounds");
        }
      } else {
        s.ilo = static_cast<int64_t>(lo);
        s.ihi = static_cast<int64_t>(hi);
        if (s.ihi < s.ilo) return Bad("column '" + c.name + "' bounds");
      }
    }
    cols.push_back(std::move(c));
  }
  if (!in.empty()) return Bad("trailing bytes");
  return PartitionColumns(std::move(cols));
}

size_t PartitionColumns::MemoryUsage() const {
  size_t bytes = columns_.capacity() * sizeof(Column);
  for (const Column& c : columns_) {
    bytes += c.name.capacity() + c.parts.capacity() * sizeof(Stats);
    for (const Stats& s : c.parts) {
      bytes += s.dict.capacity() * sizeof(std::string);
      for (const std::string& v : s.dict) bytes += v.capacity();
    }
  }
  return bytes;
}

}  // namespace proximadb::index
