// Input of `scripts/check-thread-safety.sh --self-test` (ctest
// "thread_safety_self_test"), not a GoogleTest file: compiled with
// -fsyntax-only, it must pass as it is and fail once PDB_PROBE_VIOLATION
// reads a guarded member without its lock, so the check is known to be able
// to fail (the annotations and wrappers really reach the analysis).
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

class Probe {
 public:
  int Read() EXCLUDES(mu_) {
    ReaderLock l(&mu_);
    return ReadLocked();
  }
  void Write(int v) EXCLUDES(mu_) {
    WriterLock l(&mu_);
    value_ = v;
    l.Unlock();
    l.Lock();
    value_ += 1;
  }
  int Wait() EXCLUDES(small_mu_) {
    MutexLock l(&small_mu_);
    while (!ready_) cv_.Wait(&small_mu_);
    return 1;
  }
#ifdef PDB_PROBE_VIOLATION
  int Unguarded() { return value_; }
#endif

 private:
  int ReadLocked() const REQUIRES_SHARED(mu_) { return value_; }

  SharedMutex mu_;
  int value_ GUARDED_BY(mu_) = 0;
  Mutex small_mu_;
  CondVar cv_;
  bool ready_ GUARDED_BY(small_mu_) = false;
};

int Use() {
  Probe p;
  p.Write(1);
  return p.Read();
}

}  // namespace proximadb
