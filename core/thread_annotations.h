#pragma once
// Clang thread-safety annotations (-Wthread-safety), as abseil's
// absl/base/thread_annotations.h and leveldb's port/thread_annotations.h
// spell them. Under clang the analysis checks at compile time that a member
// marked PROTEAN_GUARDED_BY(mu_) is touched only with mu_ held and that a
// function marked PROTEAN_REQUIRES(mu_) is called only with it held; under
// other compilers every macro expands to nothing. `ci/thread_safety.sh` runs
// the analysis over the tree. The capabilities are core/mutex.h's Mutex and
// MutexLock (std::mutex carries no annotations in libstdc++).

#if defined(__clang__)
#define PROTEAN_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define PROTEAN_THREAD_ANNOTATION(x)
#endif

// On a type: it is a capability (a mutex).
#define PROTEAN_CAPABILITY(name) PROTEAN_THREAD_ANNOTATION(capability(name))
// On an RAII type: it holds a capability for its lifetime.
#define PROTEAN_SCOPED_CAPABILITY PROTEAN_THREAD_ANNOTATION(scoped_lockable)
// On a member: read or written only while the capability is held.
#define PROTEAN_GUARDED_BY(mu) PROTEAN_THREAD_ANNOTATION(guarded_by(mu))
// On a pointer member: what it points to is guarded (the pointer is not).
#define PROTEAN_PT_GUARDED_BY(mu) PROTEAN_THREAD_ANNOTATION(pt_guarded_by(mu))
// On a function: callers hold these capabilities.
#define PROTEAN_REQUIRES(...) PROTEAN_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// On a function: callers must not hold these (it takes them itself).
#define PROTEAN_EXCLUDES(...) PROTEAN_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: it acquires / releases the capabilities (none: `this`).
#define PROTEAN_ACQUIRE(...) PROTEAN_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define PROTEAN_RELEASE(...) PROTEAN_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// On a function: it checks at run time that the capability is held.
#define PROTEAN_ASSERT_CAPABILITY(x) PROTEAN_THREAD_ANNOTATION(assert_capability(x))
// On a function: returns a reference to the given capability.
#define PROTEAN_RETURN_CAPABILITY(x) PROTEAN_THREAD_ANNOTATION(lock_returned(x))
// On a function: the analysis does not look inside it (say why beside it).
#define PROTEAN_NO_THREAD_SAFETY_ANALYSIS PROTEAN_THREAD_ANNOTATION(no_thread_safety_analysis)
