#ifndef SSEKIT_BENCH_LOADGEN_MONOTONIC_CLOCK_HPP
#define SSEKIT_BENCH_LOADGEN_MONOTONIC_CLOCK_HPP

// CLOCK_MONOTONIC in nanoseconds: the clock of every stamp and deadline, the
// same in the publisher and the subscribers (one process).

#include <cstdint>
#include <ctime>

namespace ssekit::loadgen {

inline std::int64_t monotonic_ns() noexcept
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

inline constexpr std::int64_t ns_per_ms = 1'000'000;
inline constexpr std::int64_t ns_per_s = 1'000'000'000;

} // namespace ssekit::loadgen

#endif
