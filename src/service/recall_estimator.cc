#include "service/recall_estimator.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

#include "util/split_mix.h"

namespace proximadb::service {

namespace {

// The 95% normal quantile of the Wilson interval.
constexpr double kZ = 1.959963984540054;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

}  // namespace

RecallEstimate EstimateFrom(const std::vector<double>& recalls) {
  RecallEstimate e;
  e.samples = recalls.size();
  if (recalls.empty()) return e;
  double sum = 0;
  for (double r : recalls) sum += r;
  const double n = double(recalls.size());
  const double p = sum / n;
  const double z2 = kZ * kZ;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half =
      kZ * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  e.recall = p;
  e.ci_lower = std::clamp(centre - half, 0.0, 1.0);
  e.ci_upper = std::clamp(centre + half, 0.0, 1.0);
  return e;
}

std::optional<double> RecallOf(const std::vector<SearchHit>& approx,
                               const std::vector<SearchHit>& exact) {
  if (exact.empty()) return std::nullopt;
  std::unordered_set<std::string_view> want;
  for (const SearchHit& h : exact) want.insert(h.id);
  const float kth = exact.back().score;
  const float tol = 1e-6f * std::max(1.0f, std::fabs(kth));
  size_t found = 0;
  for (size_t i = 0; i < approx.size() && i < exact.size(); ++i) {
    const SearchHit& h = approx[i];
    if (want.erase(h.id) > 0 || std::fabs(h.score - kth) <= tol) ++found;
  }
  return double(std::min(found, exact.size())) / double(exact.size());
}

RecallEstimator::RecallEstimator(RecallOptions options, ExactSearch exact)
    : options_(options), exact_(std::move(exact)) {
  if (options_.sample_rate > 0) worker_ = std::thread([this] { Run(); });
}

RecallEstimator::~RecallEstimator() {
  {
    MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (worker_.joinable()) worker_.join();
}

bool RecallEstimator::Samples(const SearchRequest& r) {
  return !r.exact && r.group_by.empty() && r.using_vector.empty() &&
         r.vector_rows == 0 && r.offset == 0 && !r.score_threshold &&
         r.point_id.empty() && !r.vector.empty();
}

bool RecallEstimator::ShouldSample() {
  if (options_.sample_rate <= 0) return false;
  if (options_.sample_rate >= 1) return true;
  uint64_t draw;
  {
    MutexLock l(&mu_);
    draw = draws_++;
  }
  // A fixed pseudo-random sequence: the same searches give the same
  // samples, run after run (tests, and comparisons across runs).
  const double u = double(SplitMix64(draw) >> 11) * 0x1.0p-53;
  return u < options_.sample_rate;
}

void RecallEstimator::Offer(const std::string& name,
                            const SearchRequest& request,
                            const SearchResult& result) {
  if (!Samples(request) || !ShouldSample()) return;
  Job job;
  job.name = name;
  job.request.vector = request.vector;
  job.request.k = request.k;
  job.request.filter = request.filter;
  job.request.exact = true;
  job.request.include_metadata = false;
  job.request.include_vector = false;
  job.approx.reserve(result.hits.size());
  for (const SearchHit& h : result.hits) {
    SearchHit slim;
    slim.id = h.id;
    slim.score = h.score;
    job.approx.push_back(std::move(slim));
  }
  {
    MutexLock l(&mu_);
    if (queue_.size() >= options_.queue_limit) {
      ++collections_[name].dropped;
      return;
    }
    queue_.push_back(std::move(job));
  }
  cv_.SignalAll();  // the worker, not only a WaitIdle
}

void RecallEstimator::Run() {
  // The lowest priority there is: this thread runs only on a core no other
  // thread wants (best effort: an unprivileged process may set it too).
  sched_param param{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) != 0) {
    spdlog::warn("recall estimate: cannot lower the worker to SCHED_IDLE");
  }
  while (true) {
    Job job;
    {
      MutexLock l(&mu_);
      busy_ = false;
      cv_.SignalAll();  // WaitIdle
      while (!stop_ && queue_.empty()) cv_.Wait(&mu_);
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    const double cpu0 = ThreadCpuSeconds();
    Result<SearchResult> exact = exact_(job.name, job.request);
    const double cpu = ThreadCpuSeconds() - cpu0;
    std::optional<double> recall;
    if (exact.ok()) recall = RecallOf(job.approx, exact->hits);
    {
      MutexLock l(&mu_);
      if (recall) {
        PerCollection& pc = collections_[job.name];
        pc.recalls.push_back(*recall);
        if (pc.recalls.size() > options_.window) pc.recalls.pop_front();
        ++pc.total;
      }
      // Hold back: cpu / wait = share / (1 - share). A stop ends the wait.
      const double share = std::clamp(options_.cpu_share, 1e-6, 1.0);
      const auto wait =
          std::chrono::duration<double>(cpu * (1 - share) / share);
      const auto until =
          std::chrono::steady_clock::now() +
          std::chrono::duration_cast<std::chrono::nanoseconds>(wait);
      while (!stop_ && std::chrono::steady_clock::now() < until) {
        cv_.WaitUntil(&mu_, until);
      }
      if (stop_) return;
    }
  }
}

std::optional<RecallEstimate> RecallEstimator::Get(
    const std::string& name) const {
  MutexLock l(&mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) return std::nullopt;
  const PerCollection& pc = it->second;
  RecallEstimate e =
      EstimateFrom(std::vector<double>(pc.recalls.begin(), pc.recalls.end()));
  e.samples_total = pc.total;
  e.dropped_total = pc.dropped;
  return e;
}

void RecallEstimator::Forget(const std::string& name) {
  MutexLock l(&mu_);
  collections_.erase(name);
}

void RecallEstimator::WaitIdle() {
  MutexLock l(&mu_);
  while (!stop_ && (busy_ || !queue_.empty())) cv_.Wait(&mu_);
}

}  // namespace proximadb::service
