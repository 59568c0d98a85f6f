// Inputs and one-input runs of a program, shared by the evaluator's tests.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

#include "eval/program.hpp"
#include "eval/threads/parallel.hpp"

namespace ik::test {

inline std::vector<double> normal(std::size_t n, unsigned seed_value = 1) {
    std::mt19937_64 rng(seed_value);
    std::normal_distribution<double> d;
    std::vector<double> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

inline void run1(const eval::Program& p, const double* in, std::ptrdiff_t in_step, double* out, std::ptrdiff_t out_step,
                 std::ptrdiff_t n) {
    char* args[2] = {reinterpret_cast<char*>(const_cast<double*>(in)), reinterpret_cast<char*>(out)};
    const std::ptrdiff_t steps[2] = {in_step, out_step};
    eval::run(p, args, steps, n);
}

}  // namespace ik::test
