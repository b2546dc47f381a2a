#ifndef SSEKIT_BENCH_LOADGEN_FILE_LIMIT_HPP
#define SSEKIT_BENCH_LOADGEN_FILE_LIMIT_HPP

// 10,000 subscribers need 10,000 descriptors; the usual soft limit is 1024.

#include <cstdint>

namespace ssekit::loadgen {

/// Raises RLIMIT_NOFILE's soft limit to its hard limit.
/// @return The soft limit now in force.
std::uint64_t raise_file_limit() noexcept;

} // namespace ssekit::loadgen

#endif
