#ifndef SSEKIT_BENCH_LOADGEN_MODES_HPP
#define SSEKIT_BENCH_LOADGEN_MODES_HPP

// The three measurements ssekit-loadgen makes; each in its own file.

#include "command_line.hpp"
#include "report.hpp"

namespace ssekit::loadgen {

/** N subscribers, M events at R per second from one keep-alive connection:
    delivery latency and completeness.
    @throws SetupError when the run cannot be measured.
*/
Report run_fanout(const LoadOptions& options);

/** S subscribers, K connections publishing back to back for a duration:
    deliveries and publishes per second.
    @throws SetupError when the run cannot be measured.
*/
Report run_throughput(const LoadOptions& options);

/** N idle subscribers: the server's RSS per connection.
    @throws SetupError when the run cannot be measured.
*/
Report run_idle(const LoadOptions& options);

/// The mode `options` asks for.
Report run_mode(const LoadOptions& options);

} // namespace ssekit::loadgen

#endif
