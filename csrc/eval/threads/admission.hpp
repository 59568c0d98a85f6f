// How many large calls run on the cores at once, from any Python threads (admission.cpp).
#pragma once

namespace ik::eval {

// Held by a large call (work above the parallel threshold) for as long as it computes. At most as
// many calls hold one as the process has processors (or IK_ADMISSION says); a call that finds them all taken sleeps
// (without the GIL, which NumPy released around the loop) until one is given back. Many Python
// threads calling kernels at once (a ThreadPoolExecutor, Dask's threaded scheduler) then take
// turns on the cores instead of being time-sliced among them by the operating system: each
// call runs through the caches uninterrupted, with the working sets of at most that many calls
// in them, and no caller waits a scheduler slice for a core in the middle of its call.
// Taken only when `large`; not by a call already holding one (a nested call), on a pool worker,
// inside another library's OpenMP region, or with IK_ADMISSION=0.
class CallAdmission {
   public:
    explicit CallAdmission(bool large);
    ~CallAdmission();
    CallAdmission(const CallAdmission&) = delete;
    CallAdmission& operator=(const CallAdmission&) = delete;

   private:
    bool held_ = false;
};

}  // namespace ik::eval
