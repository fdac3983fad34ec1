// RecallEstimator: the live recall estimate of each collection's searches
// (docs/API.md, "Live recall estimate").
//
// A sampled fraction of the searches the service answers is run again, in
// the background, as an exact (brute-force) search with the same vector,
// filter and k; the recall@k of the answer the client got is the share of
// the exact top k it held. A hit whose score ties the exact k-th score
// counts as found (equally good points may fill the last places in either
// order). Per collection the estimator keeps the last `window` samples and
// reports their mean with a 95% Wilson score interval that treats each
// sampled query as one trial: a query's recall, a value in [0, 1] with mean
// p, varies at most as much as a coin with p does, so the interval is
// conservative (never narrower than the truth), and it does not collapse to
// a point when every sample says 1.0.
//
// Cost bounds: one worker thread at the lowest scheduling priority
// (SCHED_IDLE: it runs only on a core nothing else wants); after an exact
// search that took t of its CPU time, it waits t * (1 - share) / share, so
// it uses at most `cpu_share` of one core; a bounded queue between the
// searches and the worker drops the samples it has no room for (counted),
// so a search never waits for it. Only plain searches are sampled: an
// exact, grouped, multivector or named-vector search, one by a point's id,
// and one with an offset or a score threshold, is not.
//
// What the estimate is not: points written or deleted between the search
// and its exact re-run change the exact answer, so under heavy writes the
// estimate reads low by about the share of the top k that changed in that
// interval (normally milliseconds; longer when the worker is held back by
// its CPU share or by other work).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "util/mutex.h"

namespace proximadb::service {

struct RecallOptions {
  // The fraction of searches re-run exactly: 0 = the estimator is off.
  double sample_rate = 0.01;
  // The most of one core the exact re-runs may use (0 < share <= 1).
  double cpu_share = 0.05;
  // Samples waiting for the worker; more are dropped.
  size_t queue_limit = 64;
  // Samples per collection the estimate is computed over (the newest).
  size_t window = 1000;
};

// The estimate of one collection from per-query recalls (for tests).
RecallEstimate EstimateFrom(const std::vector<double>& recalls);

// Recall@k of `approx` (what the client got) against `exact` (the exact
// top k, best first): the share of the exact hits found, a hit tying the
// exact k-th score counting as found. nullopt when `exact` is empty.
std::optional<double> RecallOf(const std::vector<SearchHit>& approx,
                               const std::vector<SearchHit>& exact);

class RecallEstimator {
 public:
  // Runs one exact search of a collection by name (the service's).
  using ExactSearch = std::function<Result<SearchResult>(
      const std::string& collection, const SearchRequest& request)>;

  RecallEstimator(RecallOptions options, ExactSearch exact);
  ~RecallEstimator();  // stops the worker; queued samples are dropped
  RecallEstimator(const RecallEstimator&) = delete;
  RecallEstimator& operator=(const RecallEstimator&) = delete;

  // Called after a search answered `result` for `request` on the
  // collection `name` (its own name, not an alias). Decides whether to
  // sample it; never blocks on the worker.
  void Offer(const std::string& name, const SearchRequest& request,
             const SearchResult& result);

  // The collection's estimate; nullopt before its first sample was offered
  // (then `samples` may be 0 while some were dropped).
  std::optional<RecallEstimate> Get(const std::string& name) const;
  // A collection dropped: its samples go (a new one by the name starts
  // afresh).
  void Forget(const std::string& name);

  // Tests: waits until every offered sample was run or dropped.
  void WaitIdle();

  static bool Samples(const SearchRequest& request);

 private:
  struct Job {
    std::string name;
    SearchRequest request;
    std::vector<SearchHit> approx;  // ids and scores only
  };
  struct PerCollection {
    std::deque<double> recalls;  // the newest `window`
    uint64_t total = 0;
    uint64_t dropped = 0;
  };
  void Run();
  bool ShouldSample();

  const RecallOptions options_;
  const ExactSearch exact_;
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Job> queue_ GUARDED_BY(mu_);
  bool busy_ GUARDED_BY(mu_) = false;
  bool stop_ GUARDED_BY(mu_) = false;
  std::map<std::string, PerCollection, std::less<>> collections_
      GUARDED_BY(mu_);
  uint64_t draws_ GUARDED_BY(mu_) = 0;
  std::thread worker_;
};

}  // namespace proximadb::service
