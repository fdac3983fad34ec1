#include "collection/background_queue.h"

namespace proximadb {

BackgroundQueue::BackgroundQueue(bool threaded) : threaded_(threaded) {
  if (threaded_) worker_ = std::thread([this] { Loop(); });
}

BackgroundQueue::~BackgroundQueue() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    jobs_.clear();
  }
  cv_.SignalAll();
  if (worker_.joinable()) worker_.join();
}

void BackgroundQueue::Schedule(std::function<void()> job) {
  if (!threaded_) {
    job();
    return;
  }
  {
    MutexLock lock(&mu_);
    if (stop_) return;
    jobs_.push_back(std::move(job));
  }
  cv_.SignalAll();
}

void BackgroundQueue::Drain() {
  MutexLock lock(&mu_);
  while (!(stop_ || (jobs_.empty() && !running_))) cv_.Wait(&mu_);
}

void BackgroundQueue::Loop() {
  MutexLock lock(&mu_);
  while (true) {
    while (!(stop_ || !jobs_.empty())) cv_.Wait(&mu_);
    if (stop_) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    running_ = true;
    lock.Unlock();
    job();
    lock.Lock();
    running_ = false;
    cv_.SignalAll();
  }
}

}  // namespace proximadb
