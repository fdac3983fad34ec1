// A search with group_by (SearchRequest::group_by): the best groups of hits
// sharing a metadata value, each with its best hits, on top of a
// collection's Search, so single-node and cluster collections group alike.
#pragma once

#include "proximadb/db.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::service {

// Runs `r` (checked by CheckSearchOptions, group_by set) against `c`.
//
// Groups are ranked by their best hit; a point belongs to the group of
// each string or integer value the field holds (each element of an
// array); points without such a value are in no group. The answer is
// exact with respect to the collection's search:
//  1. a search for the best n hits (n = max(64, (k + offset) * group_size
//     * 2), widened once to 256 when the first k + offset groups it forms
//     are not full and matching points remain);
//  2. while fewer than k + offset groups exist, a search with the groups
//     found so far excluded ($nin) finds the next ones (their hits rank
//     after every hit of step 1);
//  3. each chosen group still short of group_size hits gets a search
//     filtered to its value, so a group's hits spread past the n best
//     (over any memtable or segment) are found.
// A point whose array holds a value of a group already found is excluded
// in step 2 with that group; a group all of whose points are such points
// and rank past the hits of step 1 is not found (docs/API.md).
Result<SearchResult> GroupedSearch(Collection& c, const SearchRequest& r);

}  // namespace proximadb::service
