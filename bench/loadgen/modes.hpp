#ifndef SSEKIT_BENCH_LOADGEN_MODES_HPP
#define SSEKIT_BENCH_LOADGEN_MODES_HPP

// The measurements ssekit-loadgen makes; each in its own file.

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

/** N subscribers resume at once from the same Last-Event-ID: how long each
    takes to catch up from the server's log, and whether it got everything.
    @throws SetupError when the run cannot be measured.
*/
Report run_replay(const LoadOptions& options);

/** T topics filled past their log bound, no subscribers: the server's RSS
    against that bound, and the logs' size per GET /stats.
    @throws SetupError when the run cannot be measured.
*/
Report run_logs(const LoadOptions& options);

/// The mode `options` asks for.
Report run_mode(const LoadOptions& options);

} // namespace ssekit::loadgen

#endif
