// Shard snapshots (docs/CLUSTER.md, "Snapshots and stream retention"): the
// primary of a shard snapshots its replica's local collection into the
// object store every node shares ([tiering]), records the newest snapshot
// of the shard in etcd, and removes from the shard's stream the entries
// the snapshot holds (but a tail). A replica the stream no longer serves
// (it was down, or it is new) restores the snapshot, then follows the
// stream from the snapshot's position.
//
// Each node writes only its own repository (snapshot_repo.h: "one server
// per repository"), under ShardSnapshotPrefix; any node reads any.
#pragma once

#include <cstdint>
#include <string>

#include "cluster/shard_applier.h"
#include "proximadb/status.h"

namespace proximadb::cluster {

// The record of a shard's newest snapshot, in etcd at
// ClusterKeys::snapshot(uid, shard) (docs/FORMATS.md, "Shard snapshot
// record").
struct ShardSnapshotRecord {
  std::string node_id;      // whose repository holds it
  std::string snapshot_id;  // the engine snapshot's id in that repository
  // The replica's applied position read before the snapshot began: every
  // log entry up to position.applied_seq is in it. Later entries may be
  // too; applying them again changes nothing (shard_applier.h), so a
  // restored replica follows the log from applied_seq + 1.
  AppliedPosition position;
  uint64_t created_unix_ms = 0;
  uint64_t points = 0;
  uint64_t size_bytes = 0;
  int64_t mod_revision = 0;  // etcd's (not encoded)
  bool operator==(const ShardSnapshotRecord&) const = default;
};

// JSON with a CRC32C: {"version":1,"node_id":..,"snapshot_id":..,
// "applied_seq":..,"max_token":..,"fenced_entries":..,
// "created_unix_ms":..,"points":..,"size_bytes":..,"crc32c":..}.
std::string EncodeShardSnapshotRecord(const ShardSnapshotRecord& r);
// kCorruption naming `where` (the etcd key) on any damage.
Result<ShardSnapshotRecord> DecodeShardSnapshotRecord(const std::string& bytes,
                                                      const std::string& where);

// The object-store prefix of node `node_id`'s repository of shard
// snapshots: "cluster/<namespace>/<cluster id>/<node id>/snapshots/".
std::string ShardSnapshotPrefix(const std::string& cluster_namespace,
                                const std::string& cluster_id,
                                const std::string& node_id);

// Whether a replica that applied `applied_seq` is due for a snapshot when
// the newest one is at `snapshot_seq` (0: none): the log grew by at least
// `interval` entries since (interval 0: never).
bool SnapshotDue(uint64_t applied_seq, uint64_t snapshot_seq,
                 uint64_t interval);
// The first stream entry to keep once a snapshot at `snapshot_seq` is
// recorded: the `retain` entries up to it stay (a replica that far behind
// still catches up from the stream), everything before goes. 1: nothing
// goes.
uint64_t StreamKeepFrom(uint64_t snapshot_seq, uint64_t retain);

}  // namespace proximadb::cluster
