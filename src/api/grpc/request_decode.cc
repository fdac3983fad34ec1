#include "api/grpc/request_decode.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/coded_stream.h>

#include "util/limits.h"

namespace proximadb::grpc_api {

namespace {

namespace gpb = google::protobuf;
using FD = gpb::FieldDescriptor;

// Each level the walk counts costs protobuf at most three (Struct, map
// entry, Value), so this limit never fires before the walk's; it stays as a
// second guard on the recursion of the generated parser.
constexpr int kProtoRecursionLimit = 3 * static_cast<int>(kMaxRequestDepth);

bool IsStructType(const gpb::Descriptor& d) {
  const std::string& n = d.full_name();
  return n == "google.protobuf.Struct" || n == "google.protobuf.Value" ||
         n == "google.protobuf.ListValue";
}

// Levels a message of type `d` adds, counted as in a REST body: a Value is
// only the slot a JSON value sits in, and a map entry the "key": part of
// an object.
size_t Cost(const gpb::Descriptor& d) {
  if (d.options().map_entry()) return 0;
  if (d.full_name() == "google.protobuf.Value") return 0;
  return 1;
}

struct Frame {
  const gpb::Descriptor* type;
  size_t end;        // offset one past this message's bytes
  size_t depth;      // levels so far, this one included
  std::string path;  // "points[2].metadata"; "" for the request itself
  bool in_struct;    // inside a Struct: names no longer help the client
  // Elements seen so far of each repeated field (field number, count).
  std::vector<std::pair<int, int>> seen;

  int NextIndex(int number) {
    for (auto& [n, count] : seen) {
      if (n == number) return count++;
    }
    seen.emplace_back(number, 1);
    return 0;
  }
};

std::string FieldPath(Frame* f, const FD& fd) {
  if (f->in_struct) return f->path;
  std::string name(fd.name());
  if (fd.is_repeated() && !fd.is_map()) {
    name += "[" + std::to_string(f->NextIndex(fd.number())) + "]";
  }
  return f->path.empty() ? name : f->path + "." + name;
}

bool ReadVarint(std::string_view b, size_t end, size_t* pos, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= end) return false;
    const auto c = static_cast<uint8_t>(b[(*pos)++]);
    r |= uint64_t(c & 0x7f) << shift;
    if ((c & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;  // longer than the 10 bytes of a 64-bit varint
}

// Bytes per element of a packed fixed-width field; 0 for varints.
size_t FixedWidth(const FD& fd) {
  switch (fd.type()) {
    case FD::TYPE_FLOAT:
    case FD::TYPE_FIXED32:
    case FD::TYPE_SFIXED32:
      return 4;
    case FD::TYPE_DOUBLE:
    case FD::TYPE_FIXED64:
    case FD::TYPE_SFIXED64:
      return 8;
    default:
      return 0;
  }
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII runs, eight bytes at a time: ids and keys are mostly ASCII.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, sizeof w);
      if ((w & 0x8080808080808080ull) != 0) break;
      p += 8;
    }
    if (p == end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;  // continuation bytes
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte, C0/C1 or F5..FF
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    p += n + 1;
  }
  return true;
}

Status CheckWire(std::string_view b, const gpb::Descriptor& type,
                 size_t max_depth) {
  auto malformed = [&](const std::string& what, size_t at) {
    return Status::InvalidArgument("request is not a valid " +
                                   type.full_name() + " message: " + what +
                                   " at byte " + std::to_string(at));
  };
  std::vector<Frame> stack;
  stack.push_back({&type, b.size(), 1, "", IsStructType(type), {}});
  size_t pos = 0;
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (pos == f.end) {
      stack.pop_back();
      continue;
    }
    const size_t at = pos;
    uint64_t tag;
    if (!ReadVarint(b, f.end, &pos, &tag) || tag > UINT32_MAX) {
      return malformed("malformed field tag", at);
    }
    const uint32_t number = static_cast<uint32_t>(tag >> 3);
    const int wire_type = static_cast<int>(tag & 7);
    if (number == 0) return malformed("field number 0", at);
    const FD* fd = f.type->FindFieldByNumber(static_cast<int>(number));
    switch (wire_type) {
      case 0: {
        uint64_t ignored;
        if (!ReadVarint(b, f.end, &pos, &ignored)) {
          return malformed("truncated or overlong varint", at);
        }
        break;
      }
      case 1:
      case 5: {
        const size_t n = wire_type == 1 ? 8 : 4;
        if (f.end - pos < n) {
          return malformed("truncated fixed-width field", at);
        }
        pos += n;
        break;
      }
      case 2: {
        uint64_t len;
        if (!ReadVarint(b, f.end, &pos, &len) || len > f.end - pos) {
          return malformed("truncated length-delimited field", at);
        }
        const size_t start = pos;
        pos += len;
        // A known field sent with another wire type is an unknown field to
        // protobuf, so only the matching ones are looked into.
        if (fd == nullptr) break;
        if (fd->type() == FD::TYPE_STRING) {
          if (!IsValidUtf8(b.substr(start, len))) {
            return Status::InvalidArgument(
                f.in_struct
                    ? "a key or string value in '" + f.path +
                          "' is not valid UTF-8"
                    : "field '" + FieldPath(&f, *fd) + "' is not valid UTF-8");
          }
          if (fd->is_repeated()) FieldPath(&f, *fd);  // counts the element
        } else if (fd->type() == FD::TYPE_MESSAGE) {
          const gpb::Descriptor& sub = *fd->message_type();
          const size_t depth = f.depth + Cost(sub);
          if (depth > max_depth) {
            return Status::InvalidArgument(RequestTooDeepMessage());
          }
          Frame child{&sub,
                      pos,
                      depth,
                      FieldPath(&f, *fd),
                      f.in_struct || IsStructType(sub),
                      {}};
          pos = start;  // walk into it; `f` dangles after the push
          stack.push_back(std::move(child));
        } else if (fd->is_repeated()) {
          const size_t width = FixedWidth(*fd);
          if (width != 0 && len % width != 0) {
            const std::string name =
                (f.path.empty() ? "" : f.path + ".") + std::string(fd->name());
            return malformed(
                "packed field '" + name + "' is not a whole number of values",
                at);
          }
        }
        break;
      }
      case 3:
      case 4:
        return malformed("group fields are not supported", at);
      default:
        return malformed("invalid wire type " + std::to_string(wire_type), at);
    }
    // Refused (once its bytes are known to be well formed) like an unknown
    // key of a REST body: a field this server does not know (a typo'd
    // client, a newer .proto) must not silently do nothing. Protobuf has no
    // names for them, so the number is named.
    if (fd == nullptr) {
      const std::string& path = stack.back().path;
      return Status::InvalidArgument(
          (path.empty() ? "" : path + ": ") + "unknown field number " +
          std::to_string(number) + " in " + stack.back().type->full_name());
    }
  }
  return Status::OK();
}

Status DecodeRequest(const ::grpc::ByteBuffer& wire, gpb::Message* out) {
  const gpb::Descriptor& type = *out->GetDescriptor();
  if (!wire.Valid()) {
    return Status::InvalidArgument("the call carries no " + type.full_name() +
                                   " message");
  }
  std::vector<::grpc::Slice> slices;
  if (!wire.Dump(&slices).ok()) {
    return Status::InvalidArgument("the request message cannot be read");
  }
  std::string joined;
  std::string_view bytes;
  if (slices.size() == 1) {
    bytes = std::string_view(reinterpret_cast<const char*>(slices[0].begin()),
                             slices[0].size());
  } else {
    joined.reserve(wire.Length());
    for (const ::grpc::Slice& s : slices) {
      joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    bytes = joined;
  }
  PDB_RETURN_IF_ERROR(CheckWire(bytes, type, kMaxRequestDepth));
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return Status::InvalidArgument("request message over 2 GB");
  }
  gpb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                               static_cast<int>(bytes.size()));
  in.SetRecursionLimit(kProtoRecursionLimit);
  if (!out->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return Status::InvalidArgument("request is not a valid " +
                                   type.full_name() + " message");
  }
  return Status::OK();
}

}  // namespace proximadb::grpc_api
