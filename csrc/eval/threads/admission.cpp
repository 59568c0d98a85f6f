// Large calls take turns on the cores (admission.hpp).
#include "admission.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "openmp_controls.hpp"
#include "thread_pool.hpp"

namespace ik::eval {
namespace {

// Calls holding an admission now. Its waiters sleep on it (a futex: std::atomic::wait).
std::atomic<int> admitted{0};
thread_local bool holds_admission = false;

// A process forked while other threads held admissions has none of those threads: it starts
// with every admission free.
const bool fork_handler_installed = [] {
    pthread_atfork(nullptr, nullptr, [] { admitted.store(0); });
    return true;
}();

// The processors this process may run on, or IK_ADMISSION's number (0: no limit).
int admission_limit() {
    static const int limit = [] {
        const char* env = std::getenv("IK_ADMISSION");
        return env ? std::atoi(env) : std::max(1, openmp::processors());
    }();
    return limit;
}

bool admission_on() { return admission_limit() > 0; }

}  // namespace

CallAdmission::CallAdmission(bool large) {
    (void)fork_handler_installed;
    if (!large || holds_admission || on_pool_worker() || openmp::in_parallel() || !admission_on()) return;
    const int limit = admission_limit();
    int now = admitted.load(std::memory_order_relaxed);
    bool waited = false;
    for (;;) {
        if (now < limit) {
            if (admitted.compare_exchange_weak(now, now + 1, std::memory_order_acquire)) break;
            continue;
        }
        waited = true;
        admitted.wait(now, std::memory_order_relaxed);
        now = admitted.load(std::memory_order_relaxed);
    }
    if (waited) pool_statistics().queued.fetch_add(1, std::memory_order_relaxed);
    held_ = holds_admission = true;
}

CallAdmission::~CallAdmission() {
    if (!held_) return;
    holds_admission = false;
    admitted.fetch_sub(1, std::memory_order_release);
    admitted.notify_one();
}

}  // namespace ik::eval
