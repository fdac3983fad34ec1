#include "collection/background_queue.h"

namespace proximadb {

BackgroundQueue::BackgroundQueue(bool threaded) : threaded_(threaded) {
  if (threaded_) worker_ = std::thread([this] { Loop(); });
}

BackgroundQueue::~BackgroundQueue() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BackgroundQueue::Schedule(std::function<void()> job) {
  if (!threaded_) {
    job();
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
}

void BackgroundQueue::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stop_ || (jobs_.empty() && !running_); });
}

void BackgroundQueue::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    running_ = true;
    lock.unlock();
    job();
    lock.lock();
    running_ = false;
    cv_.notify_all();
  }
}

}  // namespace proximadb
