// The conveniences around one search that the service applies on top of a
// collection's Search (SearchRequest: point_id, offset, score_threshold),
// the same for single-node and cluster collections and for both transports.
#pragma once

#include "proximadb/db.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::service {

// Whether `r` asks for any of them (else the request runs as it is).
bool HasSearchOptions(const SearchRequest& r);

// Their limits (group_by: a field path as for payload indexes, group_size
// 1..kMaxGroupSize, (k + offset) * group_size <= kMaxK):
// point_id 1..kMaxIdBytes bytes and then no vector; k + offset, plus 1 when
// searching by point_id (the point itself is found and left out), at most
// kMaxK; a finite score_threshold.
Status CheckSearchOptions(const SearchRequest& r);

// The request the collection runs for `r`: the vector of point `r.point_id`
// (kNotFound when there is no such point), k widened by the offset and the
// point itself, the options cleared.
Result<SearchRequest> PrepareSearch(Collection& c, const SearchRequest& r);

// The hits of the prepared request cut to what `r` asked for: the point
// itself left out, hits worse than score_threshold dropped, the first
// `offset` skipped, at most k.
void FinishSearch(const SearchRequest& r, Metric metric, SearchResult* result);

// `r` with the conveniences cleared (point_id, offset, score_threshold,
// group_by, group_size): what a collection's Search runs.
SearchRequest WithoutOptions(SearchRequest r);

// Adds the statistics of one more search run for the same request.
void AddStats(const SearchStats& from, SearchStats* to);

// Whether `score` passes r.score_threshold (always, when none).
bool WithinThreshold(const SearchRequest& r, Metric metric, float score);

// The metric `r` is scored by: its named vector's (using_vector), or the
// collection's.
Metric SearchMetric(const CollectionConfig& c, const SearchRequest& r);

// Whether score `a` ranks before `b` under `metric` (see Metric).
bool Better(Metric metric, float a, float b);

}  // namespace proximadb::service
