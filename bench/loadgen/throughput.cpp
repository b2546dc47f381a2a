// throughput: K publisher connections, each publishing back to back
// (closed loop) for the duration; the subscribers' deliveries per second
// show how much the server fans out when pushed. Publishers and
// subscribers may be spread over servers that share their topics
// (--publish-url, --subscribe-url).

#include "modes.hpp"

#include "monotonic_clock.hpp"
#include "run_steps.hpp"

#include <algorithm>
#include <memory>
#include <numeric>

namespace ssekit::loadgen {

Report run_throughput(const LoadOptions& options)
{
    RunContext run(options);
    const auto usage_start = read_server_usage(options);
    SubscriberPool pool(run.loop, subscribe_endpoints(run), pool_options(options, options.publishers));
    std::vector<std::unique_ptr<Publisher>> publishers;
    for (std::uint32_t p = 0; p < options.publishers; ++p)
        publishers.push_back(
            std::make_unique<Publisher>(run.loop, publish_target(run, p), run.topic, options.payload));

    connect_subscribers(run, pool);
    warm_up(run, pool, *publishers[0]);

    const auto usage_measured = read_server_usage(options);
    const std::int64_t start = monotonic_ns();
    const std::int64_t stop = start + static_cast<std::int64_t>(options.duration_s * 1e9);
    LatencyHistogram round_trip;
    std::vector<std::uint64_t> published(options.publishers, 0);
    std::vector<std::uint64_t> sent(options.publishers, 0);
    std::int64_t last_answer_ns = start;
    for (;;) {
        const std::int64_t now = monotonic_ns();
        bool all_idle = true;
        for (std::uint32_t p = 0; p < options.publishers; ++p) {
            Publisher& publisher = *publishers[p];
            check_publisher(publisher);
            if (auto answer = publisher.take_answer()) {
                check_answer(*answer);
                round_trip.record(answer->answered_ns - answer->sent_ns);
                last_answer_ns = std::max(last_answer_ns, answer->answered_ns);
                ++published[p];
            }
            if (publisher.idle() && now < stop)
                publisher.publish(p, sent[p]++);
            all_idle = all_idle && publisher.idle();
        }
        if (now >= stop && all_idle)
            break;
        if (run.progress.due(now))
            run.progress.show(now, "published " +
                                       std::to_string(std::accumulate(published.begin(), published.end(),
                                                                      std::uint64_t{0})) +
                                       ", delivered " + std::to_string(pool.tally().delivered()));
        run.loop.run_once(now < stop ? stop : now + 50 * ns_per_ms);
    }
    run.progress.finish();

    const RunEnd run_end = finish_publishing(run, pool, published);

    Report report = base_report(options);
    report.payload = options.payload;
    report.publishers = options.publishers;
    report.duration_s = options.duration_s;
    report_publishes(report, round_trip, std::accumulate(published.begin(), published.end(), std::uint64_t{0}),
                     start, last_answer_ns);
    report.elapsed_s = static_cast<double>(run_end.end_ns - start) / 1e9;
    for (const auto& publisher : publishers)
        report.connect_errors += publisher->connect_errors();
    report_deliveries(report, pool, published, start);
    report_server_usage(report, usage_start, usage_measured, run_end.server_usage, report.elapsed_s);
    return report;
}

} // namespace ssekit::loadgen
