// A FIFO of background jobs (building a segment's HNSW graph, building its
// payload indexes, and saving either beside the segment) run by
// one worker thread, so a flush returns as soon as its segment is committed.
// Without a thread (DBOptions::background_threads = false, in tests) jobs run
// inline when scheduled, which keeps tests deterministic.
#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

class BackgroundQueue {
 public:
  explicit BackgroundQueue(bool threaded);
  BackgroundQueue(const BackgroundQueue&) = delete;
  BackgroundQueue& operator=(const BackgroundQueue&) = delete;
  // Drops jobs not started yet (they hold only weak references) and joins.
  ~BackgroundQueue();

  void Schedule(std::function<void()> job) EXCLUDES(mu_);
  // Waits until every job scheduled so far has finished (tests, shutdown).
  void Drain() EXCLUDES(mu_);

 private:
  void Loop();

  const bool threaded_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  bool running_ GUARDED_BY(mu_) = false;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace proximadb
