// Clang's thread-safety annotations (-Wthread-safety), in the style of
// LevelDB's port/thread_annotations.h. On a compiler without the attributes
// (GCC) every macro expands to nothing, so they only document there; the
// clang pass (scripts/check-thread-safety.sh, and every clang build through
// -Werror=thread-safety in CMakeLists.txt) turns them into compile errors.
//
// The annotations only mean something on annotated lock types: use the
// wrappers of util/mutex.h, never std::mutex / std::lock_guard directly.
//
// Conventions (see docs/ARCHITECTURE.md, "Locking"):
//  - A member read or written under a lock is GUARDED_BY(that lock); a
//    pointer whose pointee is guarded is PT_GUARDED_BY.
//  - A function whose caller must hold a lock is named `...Locked` and says
//    which lock with REQUIRES(mu) (exclusive) or REQUIRES_SHARED(mu).
//  - A function that takes a lock itself, and so must not be called with it
//    held, may say EXCLUDES(mu) where a self-deadlock is a real risk.
#pragma once

#if defined(__clang__) && !defined(SWIG)
#define PDB_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define PDB_THREAD_ANNOTATION_(x)  // no-op
#endif

// A class that is a lock ("mutex", "shared_mutex", ...).
#ifndef CAPABILITY
#define CAPABILITY(x) PDB_THREAD_ANNOTATION_(capability(x))
#endif

// An RAII class that holds a lock for its lifetime.
#ifndef SCOPED_CAPABILITY
#define SCOPED_CAPABILITY PDB_THREAD_ANNOTATION_(scoped_lockable)
#endif

// A data member only accessed with the given lock held.
#ifndef GUARDED_BY
#define GUARDED_BY(x) PDB_THREAD_ANNOTATION_(guarded_by(x))
#endif

// A pointer member whose pointee is only accessed with the lock held.
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) PDB_THREAD_ANNOTATION_(pt_guarded_by(x))
#endif

// Locks that must be acquired before / after this one (checked only with
// -Wthread-safety-beta; documents the order otherwise).
#ifndef ACQUIRED_AFTER
#define ACQUIRED_AFTER(...) PDB_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))
#endif
#ifndef ACQUIRED_BEFORE
#define ACQUIRED_BEFORE(...) \
  PDB_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#endif

// The caller must hold the lock(s) exclusively / at least shared.
#ifndef REQUIRES
#define REQUIRES(...) PDB_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#endif
#ifndef REQUIRES_SHARED
#define REQUIRES_SHARED(...) \
  PDB_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#endif

// The function acquires / releases the lock(s) (and does not release /
// acquire them again before returning).
#ifndef ACQUIRE
#define ACQUIRE(...) PDB_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#endif
#ifndef ACQUIRE_SHARED
#define ACQUIRE_SHARED(...) \
  PDB_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#endif
#ifndef RELEASE
#define RELEASE(...) PDB_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#endif
#ifndef RELEASE_SHARED
#define RELEASE_SHARED(...) \
  PDB_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#endif
// Releases a lock held either way (a scoped lock's destructor).
#ifndef RELEASE_GENERIC
#define RELEASE_GENERIC(...) \
  PDB_THREAD_ANNOTATION_(release_generic_capability(__VA_ARGS__))
#endif

// Acquires the lock(s) only when the function returns the given value.
#ifndef TRY_ACQUIRE
#define TRY_ACQUIRE(...) \
  PDB_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#endif
#ifndef TRY_ACQUIRE_SHARED
#define TRY_ACQUIRE_SHARED(...) \
  PDB_THREAD_ANNOTATION_(try_acquire_shared_capability(__VA_ARGS__))
#endif

// The caller must NOT hold the lock(s) (the function takes them itself).
#ifndef EXCLUDES
#define EXCLUDES(...) PDB_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#endif

// Tells the analysis the lock is held (checked at run time, or known).
#ifndef ASSERT_CAPABILITY
#define ASSERT_CAPABILITY(x) PDB_THREAD_ANNOTATION_(assert_capability(x))
#endif
#ifndef ASSERT_SHARED_CAPABILITY
#define ASSERT_SHARED_CAPABILITY(x) \
  PDB_THREAD_ANNOTATION_(assert_shared_capability(x))
#endif

// The function returns a reference to the given lock.
#ifndef RETURN_CAPABILITY
#define RETURN_CAPABILITY(x) PDB_THREAD_ANNOTATION_(lock_returned(x))
#endif

// Turns the analysis off for one function. Every use says why in a comment.
#ifndef NO_THREAD_SAFETY_ANALYSIS
#define NO_THREAD_SAFETY_ANALYSIS \
  PDB_THREAD_ANNOTATION_(no_thread_safety_analysis)
#endif
