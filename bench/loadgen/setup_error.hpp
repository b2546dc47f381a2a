#ifndef SSEKIT_BENCH_LOADGEN_SETUP_ERROR_HPP
#define SSEKIT_BENCH_LOADGEN_SETUP_ERROR_HPP

// A run that could not be measured at all (cannot connect, subscribers not
// ready, a publish refused): exit status 3, unlike a measured loss (1).

#include <stdexcept>

namespace ssekit::loadgen {

struct SetupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace ssekit::loadgen

#endif
