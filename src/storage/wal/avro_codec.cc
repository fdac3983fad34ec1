// The Avro WAL payload (WalFormat::kAvro): the Avro binary encoding of one
// WalBatch datum of kSchema below, written and read with avro-c, so a payload
// can be decoded by any Avro implementation given the schema.
//
// `vector` is array<float> rather than bytes: the reason to offer Avro at all
// is that standard Avro tools can read the log, and to them bytes would be an
// opaque blob. The cost (one avro-c call per element) is why kNative stays
// the default.
//
// Avro encodes a record as its fields back to back, so the payload is
// zigzag-varint(seq) followed by the encoding of the `ops` array: the body is
// produced by avro-c from the array schema alone, before the seq is known.
#include <avro.h>

#include <cstring>
#include <vector>

#include "storage/wal/record_codec.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::wal {
namespace {

constexpr char kSchema[] = R"({
  "type": "record", "name": "WalBatch", "namespace": "proximadb.wal",
  "fields": [
    {"name": "seq", "type": "long"},
    {"name": "ops", "type": {"type": "array", "items": {
      "type": "record", "name": "WalOp",
      "fields": [
        {"name": "type", "type": {"type": "enum", "name": "WalOpType",
                                  "symbols": ["UPSERT", "DELETE",
                                              "UPDATE_METADATA",
                                              "UPDATE_METADATA_WITH_VECTOR"]}},
        {"name": "id", "type": "string"},
        {"name": "vector", "type": {"type": "array", "items": "float"}},
        {"name": "metadata_json", "type": "string"}
      ]}}}
  ]
})";

// The largest WalOpType enum index (the native type - 1).
constexpr int kMaxTypeIndex = 3;

// WalOp field positions in kSchema.
enum OpField : size_t { kType = 0, kId = 1, kVector = 2, kMetadata = 3 };

Status Bad(const std::string& what) {
  return Status::Corruption("avro wal payload: " + what);
}

Status AvroError(const char* what) {
  return Status::Internal(std::string("avro-c ") + what + ": " +
                          avro_strerror());
}

// --- Structural check before avro-c sees the bytes. avro-c trusts encoded
// lengths (it allocates what a string length says), so every length and
// count is checked against the bytes that remain first.

bool ReadLong(std::string_view* in, int64_t* v) {
  uint64_t u = 0;
  for (int i = 0; i < 10 && static_cast<size_t>(i) < in->size(); ++i) {
    uint64_t b = static_cast<unsigned char>((*in)[i]);
    if (i == 9 && b > 1) return false;
    u |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      in->remove_prefix(i + 1);
      *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
      return true;
    }
  }
  return false;
}

bool SkipBytes(std::string_view* in) {
  int64_t len;
  if (!ReadLong(in, &len) || len < 0 || static_cast<uint64_t>(len) > in->size())
    return false;
  in->remove_prefix(static_cast<size_t>(len));
  return true;
}

// Reads one array block header; *count == 0 ends the array. Items of at
// least `min_item` bytes each must fit in what remains.
bool ReadBlockCount(std::string_view* in, size_t min_item, int64_t* count) {
  if (!ReadLong(in, count)) return false;
  if (*count < 0) {
    int64_t block_bytes;
    if (*count == INT64_MIN || !ReadLong(in, &block_bytes) || block_bytes < 0)
      return false;
    *count = -*count;
  }
  return static_cast<uint64_t>(*count) <= in->size() / min_item;
}

bool CheckStructure(std::string_view in) {
  int64_t seq, count;
  if (!ReadLong(&in, &seq) || seq < 0) return false;
  // An op is at least 4 bytes: enum, id length, empty vector, metadata length.
  while (ReadBlockCount(&in, 4, &count) && count > 0) {
    for (int64_t i = 0; i < count; ++i) {
      int64_t type, floats;
      if (!ReadLong(&in, &type) || type < 0 || type > kMaxTypeIndex ||
          !SkipBytes(&in))
        return false;
      while (true) {
        if (!ReadBlockCount(&in, 4, &floats)) return false;
        if (floats == 0) break;
        in.remove_prefix(static_cast<size_t>(floats) * 4);
      }
      if (!SkipBytes(&in)) return false;
    }
  }
  return count == 0 && in.empty();
}

// avro-c objects are not safe to share across threads (reference counts and
// generic values are mutated on use), so each thread checks out its own set
// from a pool; the pool lock is held only for the checkout.
struct AvroState {
  avro_schema_t schema = nullptr;
  avro_value_iface_t* batch_iface = nullptr;
  avro_value_iface_t* ops_iface = nullptr;
  avro_value_t batch{};
  avro_value_t ops{};

  ~AvroState() {
    if (ops.self != nullptr) avro_value_decref(&ops);
    if (batch.self != nullptr) avro_value_decref(&batch);
    if (ops_iface != nullptr) avro_value_iface_decref(ops_iface);
    if (batch_iface != nullptr) avro_value_iface_decref(batch_iface);
    if (schema != nullptr) avro_schema_decref(schema);
  }

  Status Init() {
    if (avro_schema_from_json_length(kSchema, sizeof(kSchema) - 1, &schema)) {
      return AvroError("schema");
    }
    avro_schema_t ops_schema = avro_schema_record_field_get(schema, "ops");
    batch_iface = avro_generic_class_from_schema(schema);
    ops_iface = avro_generic_class_from_schema(ops_schema);
    if (batch_iface == nullptr || ops_iface == nullptr) {
      return AvroError("class");
    }
    if (avro_generic_value_new(batch_iface, &batch) ||
        avro_generic_value_new(ops_iface, &ops)) {
      return AvroError("value");
    }
    return Status::OK();
  }
};

class AvroCodec final : public RecordCodec {
 public:
  WalFormat format() const override { return WalFormat::kAvro; }

  void AppendSeqPrefix(uint64_t seq, std::string* dst) const override {
    // Avro long: zigzag, then base-128 varint.
    uint64_t s = static_cast<uint64_t>(seq);
    uint64_t z =
        (s << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(s) >> 63);
    while (z >= 0x80) {
      dst->push_back(static_cast<char>(z | 0x80));
      z >>= 7;
    }
    dst->push_back(static_cast<char>(z));
  }

  Status EncodeBody(const WalBatch& batch, std::string* out) const override {
    PDB_ASSIGN_OR_RETURN(std::unique_ptr<AvroState> st, Checkout());
    Status s = EncodeOps(st.get(), batch, out);
    Return(std::move(st));
    return s;
  }

  Status Decode(std::string_view payload, WalBatch* out) const override {
    if (!CheckStructure(payload)) return Bad("malformed encoding");
    PDB_ASSIGN_OR_RETURN(std::unique_ptr<AvroState> st, Checkout());
    Status s = DecodeBatch(st.get(), payload, out);
    Return(std::move(st));
    return s;
  }

 private:
  static Status EncodeOps(AvroState* st, const WalBatch& batch,
                          std::string* out) {
    avro_value_t* ops = &st->ops;
    if (avro_value_reset(ops)) return AvroError("reset");
    for (const WalOp& op : batch.ops) {
      avro_value_t v, f, e;
      int type = static_cast<int>(op.type) - 1;
      if (type < 0 || type > kMaxTypeIndex) {
        return Status::InvalidArgument("bad op type");
      }
      if (!op.sparse.empty()) {
        // ValidateCollectionConfig keeps sparse vectors out of Avro
        // collections; refuse rather than drop them.
        return Status::InvalidArgument(
            "the Avro WAL format has no sparse vectors");
      }
      if (op.expires_at != 0) {
        // Likewise for expiry (ValidateCollectionConfig, PointToUpsertOp).
        return Status::InvalidArgument("the Avro WAL format has no expiry");
      }
      if (avro_value_append(ops, &v, nullptr) ||
          avro_value_get_by_index(&v, kType, &f, nullptr) ||
          avro_value_set_enum(&f, type) ||
          avro_value_get_by_index(&v, kId, &f, nullptr) ||
          // Sizes include the NUL terminator (an avro-c convention); ids with
          // embedded NULs survive because lengths, not strlen, are used.
          avro_value_set_string_len(&f, op.id.c_str(), op.id.size() + 1)) {
        return AvroError("encode op");
      }
      if (avro_value_get_by_index(&v, kVector, &f, nullptr)) {
        return AvroError("encode vector");
      }
      if (WalOp::HasVector(op.type)) {
        for (float x : op.vector) {
          if (avro_value_append(&f, &e, nullptr) || avro_value_set_float(&e, x))
            return AvroError("encode vector");
        }
      }
      const std::string empty;
      const std::string& meta =
          op.type == WalOp::Type::kDelete ? empty : op.metadata_json;
      if (avro_value_get_by_index(&v, kMetadata, &f, nullptr) ||
          avro_value_set_string_len(&f, meta.c_str(), meta.size() + 1)) {
        return AvroError("encode metadata");
      }
    }
    size_t size = 0;
    if (avro_value_sizeof(ops, &size)) return AvroError("sizeof");
    const size_t base = out->size();
    out->resize(base + size);
    avro_writer_t w =
        avro_writer_memory(out->data() + base, static_cast<int64_t>(size));
    if (w == nullptr) return AvroError("writer");
    int rc = avro_value_write(w, ops);
    avro_writer_free(w);
    if (rc) return AvroError("write");
    return Status::OK();
  }

  static Status DecodeBatch(AvroState* st, std::string_view payload,
                            WalBatch* out) {
    avro_value_t* batch = &st->batch;
    if (avro_value_reset(batch)) return AvroError("reset");
    avro_reader_t r = avro_reader_memory(payload.data(),
                                         static_cast<int64_t>(payload.size()));
    if (r == nullptr) return AvroError("reader");
    // No end-of-input check here: avro_reader_is_eof only works for file
    // readers, and CheckStructure already proved the datum spans the payload.
    int rc = avro_value_read(r, batch);
    avro_reader_free(r);
    if (rc) return Bad(std::string("avro-c read: ") + avro_strerror());

    WalBatch result;
    avro_value_t f, ops, op, e;
    int64_t seq;
    size_t n_ops;
    if (avro_value_get_by_index(batch, 0, &f, nullptr) ||
        avro_value_get_long(&f, &seq) ||
        avro_value_get_by_index(batch, 1, &ops, nullptr) ||
        avro_value_get_size(&ops, &n_ops)) {
      return Bad("unexpected shape");
    }
    result.seq = static_cast<uint64_t>(seq);
    result.ops.resize(n_ops);
    for (size_t i = 0; i < n_ops; ++i) {
      WalOp& o = result.ops[i];
      int type;
      const char* str;
      size_t len, n_floats;
      if (avro_value_get_by_index(&ops, i, &op, nullptr) ||
          avro_value_get_by_index(&op, kType, &f, nullptr) ||
          avro_value_get_enum(&f, &type) || type < 0 || type > kMaxTypeIndex) {
        return Bad("bad op type");
      }
      o.type = static_cast<WalOp::Type>(type + 1);
      if (avro_value_get_by_index(&op, kId, &f, nullptr) ||
          avro_value_get_string(&f, &str, &len)) {
        return Bad("bad id");
      }
      o.id.assign(str, len > 0 ? len - 1 : 0);
      if (avro_value_get_by_index(&op, kVector, &f, nullptr) ||
          avro_value_get_size(&f, &n_floats)) {
        return Bad("bad vector");
      }
      o.vector.resize(n_floats);
      for (size_t j = 0; j < n_floats; ++j) {
        if (avro_value_get_by_index(&f, j, &e, nullptr) ||
            avro_value_get_float(&e, &o.vector[j])) {
          return Bad("bad vector");
        }
      }
      if (avro_value_get_by_index(&op, kMetadata, &f, nullptr) ||
          avro_value_get_string(&f, &str, &len)) {
        return Bad("bad metadata");
      }
      o.metadata_json.assign(str, len > 0 ? len - 1 : 0);
      if (!WalOp::HasVector(o.type) && !o.vector.empty()) {
        return Bad("vector on an op that carries none");
      }
    }
    *out = std::move(result);
    return Status::OK();
  }

  Result<std::unique_ptr<AvroState>> Checkout() const {
    {
      MutexLock l(&mu_);
      if (!pool_.empty()) {
        auto st = std::move(pool_.back());
        pool_.pop_back();
        return st;
      }
    }
    auto st = std::make_unique<AvroState>();
    PDB_RETURN_IF_ERROR(st->Init());
    return st;
  }

  void Return(std::unique_ptr<AvroState> st) const {
    MutexLock l(&mu_);
    pool_.push_back(std::move(st));
  }

  mutable Mutex mu_;
  mutable std::vector<std::unique_ptr<AvroState>> pool_ GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<RecordCodec> NewAvroCodec() {
  return std::make_unique<AvroCodec>();
}

}  // namespace proximadb::wal
