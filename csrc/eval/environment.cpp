// The evaluator's switches read from the environment.
#include "environment.hpp"

#include <cstdlib>
#include <cstring>

namespace ik::eval {

bool fail_allocations_for_testing() { return std::getenv("IK_TESTING_FAIL_ALLOCATIONS") != nullptr; }

bool switch_on(const char* variable) {
    const char* value = std::getenv(variable);
    return !(value && std::strcmp(value, "0") == 0);
}

}  // namespace ik::eval
