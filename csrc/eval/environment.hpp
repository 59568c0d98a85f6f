// The evaluator's switches read from the environment (docs/reference/environment.md lists them).
#pragma once

namespace ik::eval {

// Set IK_TESTING_FAIL_ALLOCATIONS in the environment to make every allocation of scratch memory
// fail, so that tests reach the out-of-memory path (read only when such memory is allocated).
bool fail_allocations_for_testing();

// An on/off switch of the environment (IK_CHUNKS, IK_DIRECT, IK_JIT, IK_CHAINS): on unless set to
// "0". Callers read it once (docs/reference/environment.md lists them).
bool switch_on(const char* variable);

}  // namespace ik::eval
