// idle: what an open, silent subscription costs the server in memory.

#include "modes.hpp"

#include "monotonic_clock.hpp"
#include "run_steps.hpp"

#include <cmath>

namespace ssekit::loadgen {

Report run_idle(const LoadOptions& options)
{
    RunContext run(options);
    const auto before = read_server_usage(options);
    const std::int64_t start = monotonic_ns();
    SubscriberPool pool(run.loop, run.target, subscribe_request(run.target, run.topic), pool_options(options, 1));

    connect_subscribers(run, pool);
    // Keep reading while the server settles: heartbeats must not pile up.
    const std::int64_t settled = monotonic_ns() + static_cast<std::int64_t>(options.settle_s * 1e9);
    for (std::int64_t now = monotonic_ns(); now < settled; now = monotonic_ns()) {
        pool.tick(now);
        run.loop.run_once(settled);
    }
    const auto after = read_server_usage(options);
    const std::int64_t end = monotonic_ns();
    pool.close_all();

    Report report = base_report(options);
    report.elapsed_s = static_cast<double>(end - start) / 1e9;
    report.connect_errors = pool.connect_errors();
    report.disconnects = pool.disconnects();
    report_server_usage(report, before, before, after, report.elapsed_s);
    if (before && after) {
        const double growth = static_cast<double>(after->rss_bytes) - static_cast<double>(before->rss_bytes);
        report.rss_per_connection_bytes = std::llround(growth / static_cast<double>(options.subscribers));
    }
    return report;
}

} // namespace ssekit::loadgen
