#include "util/mutex.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace proximadb {
namespace {

using namespace std::chrono_literals;

// Whether another thread could take `mu` right now.
bool FreeElsewhere(Mutex* mu) {
  bool got = false;
  std::thread t([&] {
    if (mu->TryLock()) {
      got = true;
      mu->Unlock();
    }
  });
  t.join();
  return got;
}

// Whether another thread could take `mu` exclusively / shared right now.
bool ExclusiveFreeElsewhere(SharedMutex* mu) {
  bool got = false;
  std::thread t([&] {
    if (mu->try_lock()) {
      got = true;
      mu->unlock();
    }
  });
  t.join();
  return got;
}
bool SharedFreeElsewhere(SharedMutex* mu) {
  bool got = false;
  std::thread t([&] {
    if (mu->try_lock_shared()) {
      got = true;
      mu->unlock_shared();
    }
  });
  t.join();
  return got;
}

TEST(MutexTest, MutexLockHoldsForItsScope) {
  Mutex mu;
  {
    MutexLock l(&mu);
    EXPECT_FALSE(FreeElsewhere(&mu));
  }
  EXPECT_TRUE(FreeElsewhere(&mu));
}

TEST(MutexTest, MutexLockCanBeReleasedAndRetaken) {
  Mutex mu;
  {
    MutexLock l(&mu);
    l.Unlock();
    EXPECT_TRUE(FreeElsewhere(&mu));
    l.Lock();
    EXPECT_FALSE(FreeElsewhere(&mu));
  }
  EXPECT_TRUE(FreeElsewhere(&mu));
  {
    // Released and not taken again: the destructor must not unlock twice.
    MutexLock l(&mu);
    l.Unlock();
  }
  EXPECT_TRUE(FreeElsewhere(&mu));
}

TEST(MutexTest, ReaderLockSharesWriterLockExcludes) {
  SharedMutex mu;
  {
    ReaderLock r(&mu);
    EXPECT_TRUE(SharedFreeElsewhere(&mu));
    EXPECT_FALSE(ExclusiveFreeElsewhere(&mu));
    r.Unlock();
    EXPECT_TRUE(ExclusiveFreeElsewhere(&mu));
    r.Lock();
    EXPECT_FALSE(ExclusiveFreeElsewhere(&mu));
  }
  {
    WriterLock w(&mu);
    EXPECT_FALSE(SharedFreeElsewhere(&mu));
    EXPECT_FALSE(ExclusiveFreeElsewhere(&mu));
    w.Unlock();
    EXPECT_TRUE(ExclusiveFreeElsewhere(&mu));
    w.Lock();
    EXPECT_FALSE(SharedFreeElsewhere(&mu));
  }
  EXPECT_TRUE(ExclusiveFreeElsewhere(&mu));
}

TEST(MutexTest, CondVarWaitWakesOnSignalWithTheLockHeld) {
  Mutex mu;
  CondVar cv;
  bool ready = false;  // guarded by mu
  std::atomic<bool> waiting{false};
  std::thread setter([&] {
    while (!waiting.load()) std::this_thread::yield();
    MutexLock l(&mu);  // only possible once the waiter released mu
    ready = true;
    cv.SignalAll();
  });
  {
    MutexLock l(&mu);
    waiting.store(true);
    while (!ready) cv.Wait(&mu);
    EXPECT_TRUE(ready);
    EXPECT_FALSE(FreeElsewhere(&mu));  // held again after the wait
  }
  setter.join();
}

TEST(MutexTest, CondVarWaitForAndUntilTimeOut) {
  Mutex mu;
  CondVar cv;
  MutexLock l(&mu);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(cv.WaitFor(&mu, 20ms));
  EXPECT_FALSE(FreeElsewhere(&mu));
  EXPECT_FALSE(cv.WaitUntil(&mu, std::chrono::steady_clock::now() + 20ms));
  EXPECT_FALSE(FreeElsewhere(&mu));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);
}

TEST(MutexTest, CondVarWaitUntilReturnsTrueWhenSignalled) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::atomic<bool> waiting{false};
  std::thread setter([&] {
    while (!waiting.load()) std::this_thread::yield();
    MutexLock l(&mu);
    ready = true;
    cv.Signal();
  });
  bool signalled = false;
  {
    MutexLock l(&mu);
    waiting.store(true);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!ready) signalled = cv.WaitUntil(&mu, deadline);
  }
  setter.join();
  EXPECT_TRUE(ready);
  EXPECT_TRUE(signalled);
}

}  // namespace
}  // namespace proximadb
