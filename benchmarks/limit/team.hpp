// The threads of the hand-written references (floor.cpp, limit_seed.cpp): the caller and
// threads - 1 workers split [0, n) into equal pieces. Not OpenMP: GNU OpenMP's workers spin for
// milliseconds after each parallel region (GOMP_SPINCOUNT), holding the cores that the next peer's
// calls in the same process need, so every cell timed after a reference read slow (the float32
// polynomial at 1e8: 32.5 ms beside the floor, 16.3 ms without it). Workers here sleep in
// std::atomic::wait (a futex after a short spin) until the next call.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace team {

class Team {
public:
    ~Team() {
        stop_ = true;
        generation_.fetch_add(1);
        generation_.notify_all();
        for (auto& w : workers_) w.join();
    }

    // Calls piece(begin, end) over equal pieces of [0, n), one per thread, and returns when all are done.
    void run(int threads, std::ptrdiff_t n, const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>& piece) {
        threads = std::max(1, threads);
        while (static_cast<int>(workers_.size()) < threads - 1)
            workers_.emplace_back([this, index = static_cast<int>(workers_.size()) + 1, seen = generation_.load()] {
                work(index, seen);
            });
        n_ = n;
        threads_ = threads;
        piece_ = &piece;
        pending_.store(threads - 1);
        generation_.fetch_add(1);
        generation_.notify_all();
        run_piece(0);
        while (pending_.load() != 0) std::this_thread::yield();
    }

private:
    void run_piece(int index) {
        if (index >= threads_) return;
        const std::ptrdiff_t begin = n_ * index / threads_, end = n_ * (index + 1) / threads_;
        if (begin < end) (*piece_)(begin, end);
    }

    // seen: the generation when the worker was made (read by its maker: a worker that read it
    // itself, having started after the call it was made for, would wait for the next one).
    void work(int index, unsigned seen) {
        for (;;) {
            generation_.wait(seen);
            seen = generation_.load();
            if (stop_) return;
            if (index < threads_) {
                run_piece(index);
                pending_.fetch_sub(1);
            }
        }
    }

    std::vector<std::thread> workers_;
    std::atomic<unsigned> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
    std::ptrdiff_t n_ = 0;
    int threads_ = 1;
    const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>* piece_ = nullptr;
};

// Runs piece over [0, n) on `threads` threads, or on the caller alone below min_parallel elements
// (where waking a worker costs more than it saves).
inline void parallel(int threads, std::ptrdiff_t n, std::ptrdiff_t min_parallel,
                     const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>& piece) {
    static Team shared;
    if (threads <= 1 || n < min_parallel) {
        piece(0, n);
        return;
    }
    shared.run(threads, n, piece);
}

}  // namespace team
