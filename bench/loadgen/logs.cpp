// logs: what full topic logs cost the server. T topics get E events of B
// bytes each, with no subscriber, enough to fill each topic's log to its
// bound; then the server's RSS is read from /proc and the logs' own size
// from GET /stats (sample-pubsub's counters).

#include "modes.hpp"

#include "http_get.hpp"
#include "log_stats.hpp"
#include "monotonic_clock.hpp"
#include "run_steps.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <numeric>

namespace ssekit::loadgen {

namespace {

// Fills every topic, one publisher connection each, all at once.
void fill_topics(RunContext& run, std::vector<std::unique_ptr<Publisher>>& publishers, Report& report)
{
    const std::uint64_t per_topic = run.options.events;
    std::vector<std::uint64_t> sent(publishers.size(), 0);
    std::vector<std::uint64_t> published(publishers.size(), 0);
    LatencyHistogram round_trip;
    const std::int64_t start = monotonic_ns();
    std::int64_t last_answer_ns = start;
    for (;;) {
        const std::int64_t now = monotonic_ns();
        bool done = true;
        for (std::size_t t = 0; t < publishers.size(); ++t) {
            Publisher& publisher = *publishers[t];
            check_publisher(publisher);
            if (auto answer = publisher.take_answer()) {
                check_answer(*answer);
                round_trip.record(answer->answered_ns - answer->sent_ns);
                last_answer_ns = std::max(last_answer_ns, answer->answered_ns);
                ++published[t];
            }
            if (publisher.idle() && sent[t] < per_topic)
                publisher.publish(0, sent[t]++);
            done = done && published[t] == per_topic;
        }
        if (done)
            break;
        const std::uint64_t total = std::accumulate(published.begin(), published.end(), std::uint64_t{0});
        if (run.progress.due(now))
            run.progress.show(now, "published " + std::to_string(total) + "/" +
                                       std::to_string(per_topic * publishers.size()));
        run.loop.run_once(now + 50 * ns_per_ms);
    }
    run.progress.finish();
    report_publishes(report, round_trip, per_topic * publishers.size(), start, last_answer_ns);
}

} // namespace

Report run_logs(const LoadOptions& options)
{
    RunContext run(options);
    const auto before = read_server_usage(options);
    const std::int64_t start = monotonic_ns();
    const std::string prefix = run.topic + ".";
    std::vector<std::unique_ptr<Publisher>> publishers;
    for (std::uint32_t t = 0; t < options.topics; ++t)
        publishers.push_back(
            std::make_unique<Publisher>(run.loop, run.target, prefix + std::to_string(t), options.payload));

    Report report = base_report(options);
    report.events = options.events;
    report.payload = options.payload;
    report.topics = options.topics;
    fill_topics(run, publishers, report);
    const auto after = read_server_usage(options);
    report.elapsed_s = static_cast<double>(monotonic_ns() - start) / 1e9;
    for (const auto& publisher : publishers)
        report.connect_errors += publisher->connect_errors();
    publishers.clear();

    report_server_usage(report, before, before, after, report.elapsed_s);
    const std::uint64_t bound = std::uint64_t{options.topics} * options.log_bound_bytes;
    report.log_bound_bytes = bound;
    if (before && after) {
        const double growth = static_cast<double>(after->rss_bytes) - static_cast<double>(before->rss_bytes);
        report.rss_per_topic_bytes = std::llround(growth / options.topics);
        report.rss_overhead_ratio = static_cast<double>(after->rss_bytes) / static_cast<double>(bound);
    }
    try {
        const LogTotals logs = sum_topic_logs(http_get(run.target, "/stats"), prefix);
        report.logged_topics = logs.topics;
        report.replay_buffered_events = logs.events;
        report.replay_buffered_bytes = logs.bytes;
    } catch (const std::exception& e) {
        // Not every server has sample-pubsub's /stats: the run says so and is flagged.
        std::cerr << "ssekit-loadgen: GET /stats: " << e.what() << '\n';
    }
    return report;
}

} // namespace ssekit::loadgen
