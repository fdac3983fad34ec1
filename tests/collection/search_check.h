// The filtered-search check shared by the payload-type tests: an exact
// filtered search must return the k nearest (L2) of the points a reference
// says match, and each source the planner scanned by index must report
// consistent counts.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "index/distance.h"
#include "proximadb/db.h"

namespace proximadb::testing {

// `matching`: (id, vector) of every point the filter matches. Returns how
// many sources were searched as "index_scan".
inline int CheckExactFilteredSearch(
    Collection& c, const std::vector<float>& q, const nlohmann::json& filter,
    const std::vector<std::pair<std::string, const std::vector<float>*>>&
        matching,
    uint32_t k = 20) {
  std::vector<std::pair<float, std::string>> scored;
  for (const auto& [id, v] : matching) {
    scored.push_back({index::L2Sqr(q.data(), v->data(), q.size()), id});
  }
  std::sort(scored.begin(), scored.end());
  SearchRequest req;
  req.vector = q;
  req.k = k;
  req.filter = filter;
  req.exact = true;
  req.explain = true;
  auto res = c.Search(req);
  EXPECT_TRUE(res.ok()) << res.status().ToString();
  if (!res.ok()) return 0;
  std::vector<std::string> got, want;
  for (const auto& h : res->hits) got.push_back(h.id);
  for (size_t i = 0; i < scored.size() && i < k; ++i) {
    want.push_back(scored[i].second);
  }
  EXPECT_EQ(got, want) << filter;
  int index_scans = 0;
  for (const auto& e : res->explain) {
    if (e.strategy != "index_scan") continue;
    ++index_scans;
    EXPECT_LE(e.matches, e.candidates);
    EXPECT_LE(e.candidates, e.estimated_matches);
  }
  return index_scans;
}

}  // namespace proximadb::testing
