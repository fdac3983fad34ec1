// POST /collections/{name}/recommend (RecommendRequest): points like the
// positive examples and unlike the negative ones, on top of a collection's
// Search, so single-node and cluster collections recommend alike.
#pragma once

#include "proximadb/db.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::service {

// The examples of `r`: 1..kMaxRecommendExamples in all, at least one
// positive, each an id (1..kMaxIdBytes bytes) or a vector fit for `c`
// (dimension, finite, non-zero for cosine); the query's k + offset plus
// the examples given by id at most kMaxK. The query's own fields are
// checked by the caller as a search's.
Status CheckRecommendExamples(Collection& c, const RecommendRequest& r);

// Runs `r` against `c` (examples by id read first; kNotFound names the
// example). The answer is a search's: hits best first in the metric's
// score, offset and score_threshold applied, example ids left out.
//   average: one search with 2 * mean(positive) - mean(negative), or
//     mean(positive) without negatives (cosine examples normalised first).
//   best_score: a search per positive example; each candidate scored by
//     its nearest positive, left out when some negative is at least as
//     near; the searches widen (4x, up to kMaxK) until no unseen point can
//     rank among the k + offset best, so the answer is exact with respect
//     to the collection's search up to that bound.
Result<SearchResult> Recommend(Collection& c, const RecommendRequest& r);

}  // namespace proximadb::service
