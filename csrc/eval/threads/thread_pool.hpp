// The process's worker threads: a few persistent std::threads that help a call only if they
// start in time, so that a worker waiting for a busy core never holds up the calling thread.
#pragma once

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace ik::eval {

// Called by each worker thread (not the calling one): blocks the asynchronous signals there, once
// per thread, so that the kernel delivers them to a Python thread. CPython handles a signal that
// lands on a thread of its own only: on another thread the handler records it but does not wake
// the interpreter (on Linux, eval_breaker is computed for the receiving thread), so a Ctrl-C that
// hit a worker during a call could go unnoticed long after the call returned.
inline void leave_signals_to_python_threads() {
    thread_local const bool blocked = [] {
        sigset_t set;
        sigemptyset(&set);
        for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGWINCH})
            sigaddset(&set, sig);
        return pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
    }();
    (void)blocked;
}

// One call's work: run(participant) is called once on the calling thread (participant 0) and
// once on each worker that joins in time (participants 1, 2, ...); each call takes pieces of the
// work until none is left, and returns how many it took (pieces of about equal work).
class PoolJob {
   public:
    virtual std::ptrdiff_t run(int participant) noexcept = 0;

   protected:
    ~PoolJob() = default;
};

// Runs job.run(0) on the calling thread and offers the job to up to `helpers` workers
// (created on first use; at most one fewer than the cores). Returns once the calling thread's
// run has returned and every worker that joined has left: a worker joins only while the caller's
// run is still going, so one that wakes late finds the job closed and delays nobody. The
// floating-point flags the workers raised are raised on the calling thread. One job at a time:
// the caller must hold a ThreadGrant of more than one thread. After a few calls in a row whose
// workers all came too late (their cores busy with other processes), calls run on the caller
// alone without waking them, but for a few probes that see whether they come in time again.
void run_on_pool(int helpers, PoolJob& job);

// What the pool did, since the process started: calls offered to the workers, offered calls no
// worker helped with in time (none came, or the caller waited for one long), calls that ran on the
// caller alone because workers kept coming late, and calls that ran on their caller alone because
// other calls were running (ThreadGrant). For benchmarks and tests: they tell why a call ran as it did.
struct PoolStatistics {
    std::atomic<std::uint64_t> offered{0}, unhelped{0}, withheld{0}, crowded{0};
};
PoolStatistics& pool_statistics();

// The most helpers the pool can give: the processors this process may run on, minus the caller.
int pool_capacity();

// True on a pool worker thread.
bool on_pool_worker();

// True in a process forked after the pool's workers started: it has none of them (fork copies
// the calling thread only), and every call runs on its calling thread.
bool pool_lost_in_fork();

}  // namespace ik::eval
