// Decoding of gRPC request messages by the service itself, so that input
// the generated parser cannot take becomes INVALID_ARGUMENT with a message
// instead of gRPC's INTERNAL with none (and an error-level log line per
// request).
//
// The raw bytes are first walked against the message's descriptor, without
// building anything and without recursion: the wire format must be well
// formed, every string field (Struct keys and string values included) must
// be UTF-8, and the nesting must stay within kMaxRequestDepth counted as for
// a REST body (util/limits.h): every message, Struct and ListValue is a
// level; a Value and a map entry are not. Only then does protobuf parse the
// bytes, with a recursion limit that this depth cannot reach.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>

#include "proximadb/status.h"

namespace proximadb::grpc_api {

// The walk alone: OK when `bytes` are a well-formed `type` message (unknown
// fields allowed, as protobuf allows them) whose strings are UTF-8 and whose
// nesting is at most `max_depth`. Errors are kInvalidArgument naming the
// field ("point.id") or the byte offset of the damage.
Status CheckWire(std::string_view bytes,
                 const google::protobuf::Descriptor& type, size_t max_depth);

// CheckWire with kMaxRequestDepth, then the parse into `out` (whose type
// gives the descriptor). A missing message is kInvalidArgument too.
Status DecodeRequest(const ::grpc::ByteBuffer& wire,
                     google::protobuf::Message* out);

// True when `s` is UTF-8 as protobuf requires of a string field: no overlong
// forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);

}  // namespace proximadb::grpc_api
