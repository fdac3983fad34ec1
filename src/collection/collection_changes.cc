// The change feed: a collection's acknowledged writes, read back from its
// WAL (which the retention keeps after flushes). See docs/ARCHITECTURE.md,
// "Change feed".
#include <deque>
#include <string>
#include <utility>

#include "collection/collection_impl.h"
#include "index/sparse.h"
#include "storage/wal/wal_cursor.h"

namespace proximadb {
namespace {

Change::Op OpOf(wal::WalOp::Type t) {
  switch (t) {
    case wal::WalOp::Type::kUpsert:
      return Change::Op::kUpsert;
    case wal::WalOp::Type::kDelete:
      return Change::Op::kDelete;
    case wal::WalOp::Type::kUpdateMetadataNoVector:
    case wal::WalOp::Type::kUpdateMetadata:
      return Change::Op::kUpdateMetadata;
  }
  return Change::Op::kUpsert;
}

}  // namespace

// Reads whole WAL records and hands their operations out one by one, so a
// large batch may span several Next calls.
class CollectionChangeReader final : public ChangeReader {
 public:
  CollectionChangeReader(std::shared_ptr<CollectionImpl> c, std::string dir,
                         WalFormat format, uint64_t from_seq)
      : c_(std::move(c)),
        cursor_(c_->deps_.env, std::move(dir), format, from_seq) {}

  Status Next(size_t max_changes, uint64_t wait_ms,
              std::vector<Change>* out) override {
    if (max_changes == 0) return Status::OK();
    PDB_RETURN_IF_ERROR(Fill(max_changes, out));
    if (!out->empty() || wait_ms == 0) return Status::OK();
    // Nothing new: wait for the writer (no collection lock held), then
    // read what came.
    c_->wal_->WaitForSeqAfter(cursor_.next_seq() - 1, wait_ms);
    return Fill(max_changes, out);
  }

  uint64_t next_seq() const override {
    return pending_.empty() ? cursor_.next_seq() : pending_.front().seq;
  }

 private:
  Status Fill(size_t max_changes, std::vector<Change>* out) {
    const size_t start = out->size();
    Take(max_changes, out);
    if (out->size() - start >= max_changes) return Status::OK();
    ReaderLock life(&c_->lifecycle_mu_);
    PDB_RETURN_IF_ERROR(c_->CheckOpen());
    // Only what is durable: the writer publishes last_seq after the sync.
    const uint64_t upto = c_->wal_->last_seq();
    auto read =
        cursor_.Read(upto, /*max_records=*/64, [&](const wal::WalBatch& b) {
          Expand(b);
          return pending_.size() < max_changes;
        });
    if (!read.ok()) {
      return Status(read.status().code(), "collection '" + c_->config_.name +
                                              "': " + read.status().message());
    }
    Take(max_changes - (out->size() - start), out);
    return Status::OK();
  }

  void Expand(const wal::WalBatch& b) {
    const uint32_t n = static_cast<uint32_t>(b.ops.size());
    for (uint32_t i = 0; i < n; ++i) {
      const wal::WalOp& op = b.ops[i];
      Change ch;
      ch.seq = b.seq;
      ch.index = i;
      ch.batch_ops = n;
      ch.time_unix_micros = b.time_unix_micros;
      ch.op = OpOf(op.type);
      ch.id = op.id;
      if (wal::WalOp::HasVector(op.type)) ch.vector = op.vector;
      if (op.type != wal::WalOp::Type::kDelete) {
        ch.metadata_json = op.metadata_json;
      }
      // The WAL's decoder has checked the blob (native_codec.cc).
      (void)index::DecodePointVectors(op.sparse, &ch.sparse_vectors,
                                      &ch.named_vectors);
      ch.expires_at_micros = op.expires_at;
      pending_.push_back(std::move(ch));
    }
  }

  void Take(size_t n, std::vector<Change>* out) {
    while (n > 0 && !pending_.empty()) {
      out->push_back(std::move(pending_.front()));
      pending_.pop_front();
      --n;
    }
  }

  const std::shared_ptr<CollectionImpl> c_;
  wal::WalCursor cursor_;
  std::deque<Change> pending_;  // of a record read but not handed out
};

Result<std::unique_ptr<ChangeReader>> CollectionImpl::Changes(
    uint64_t from_seq) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  const uint64_t first = wal_->first_retained_seq();
  if (from_seq == 0) from_seq = first;
  if (from_seq < first) {
    return Status::OutOfRange(
        "collection '" + config_.name + "': changes from sequence " +
        std::to_string(from_seq) +
        " are no longer retained; the oldest available is " +
        std::to_string(first) +
        " (WAL retention: [storage] wal_retention_hours, wal_retention_mb)");
  }
  return std::unique_ptr<ChangeReader>(new CollectionChangeReader(
      shared_from_this(), wal_dir_, config_.wal_format, from_seq));
}

std::pair<uint64_t, uint64_t> CollectionImpl::ChangeRange() {
  return {wal_->first_retained_seq(), wal_->last_seq()};
}

}  // namespace proximadb
