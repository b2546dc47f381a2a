// fanout: one publisher on an open-loop schedule (event i is due at
// start + i/R) sent closed-loop (the next POST only after the previous
// answer; a late one goes at once, none is skipped), so the publish rate
// reached shows when the server cannot keep up. That rate is taken from
// writing the first POST to the last answer: M publishes, each a round trip.
// With --probes, new connections time their response head meanwhile.
// Subscribers may be spread over several servers (--subscribe-url) and the
// publisher post to another (--publish-url): servers sharing their topics.

#include "modes.hpp"

#include "head_prober.hpp"
#include "monotonic_clock.hpp"
#include "run_steps.hpp"

#include <algorithm>
#include <iostream>
#include <optional>

namespace ssekit::loadgen {

Report run_fanout(const LoadOptions& options)
{
    RunContext run(options);
    const auto usage_start = read_server_usage(options);
    SubscriberPool pool(run.loop, subscribe_endpoints(run), pool_options(options, 1));
    Publisher publisher(run.loop, publish_target(run, 0), run.topic, options.payload);
    std::optional<HeadProber> prober;
    const Target& probe_target = run.subscribe_targets.front();
    if (options.probes > 0)
        prober.emplace(run.loop, probe_target, subscribe_request(probe_target, run.topic),
                       HeadProberOptions{.count = options.probes,
                                         .interval_ns = static_cast<std::int64_t>(options.probe_interval_s * 1e9)});

    connect_subscribers(run, pool);
    warm_up(run, pool, publisher);

    const auto usage_measured = read_server_usage(options);
    const std::int64_t start = monotonic_ns();
    const double interval_ns = 1e9 / options.rate;
    LatencyHistogram round_trip;
    std::vector<std::uint64_t> published{0};
    std::uint64_t sent = 0;
    std::int64_t first_sent_ns = 0;
    std::int64_t last_answer_ns = 0;
    while (published[0] < options.events) {
        const std::int64_t now = monotonic_ns();
        if (prober)
            prober->tick(now);
        check_publisher(publisher);
        if (auto answer = publisher.take_answer()) {
            check_answer(*answer);
            round_trip.record(answer->answered_ns - answer->sent_ns);
            if (published[0] == 0)
                first_sent_ns = answer->sent_ns;
            last_answer_ns = answer->answered_ns;
            ++published[0];
        }
        const std::int64_t due = start + static_cast<std::int64_t>(static_cast<double>(sent) * interval_ns);
        if (publisher.idle() && sent < options.events && now >= due) {
            publisher.publish(0, sent);
            ++sent;
            continue; // the next one may be due already
        }
        if (run.progress.due(now))
            run.progress.show(now, "published " + std::to_string(published[0]) + "/" +
                                       std::to_string(options.events) + ", delivered " +
                                       std::to_string(pool.tally().delivered()));
        const bool waiting_for_schedule = publisher.idle() && sent < options.events;
        std::int64_t wake = waiting_for_schedule ? due : now + 50 * ns_per_ms;
        if (prober)
            wake = std::min(wake, prober->next_due_ns());
        run.loop.run_once(wake);
    }
    run.progress.finish();
    if (prober)
        finish_probing(run, *prober);

    const RunEnd run_end = finish_publishing(run, pool, published);

    Report report = base_report(options);
    report.events = options.events;
    report.rate = options.rate;
    report.payload = options.payload;
    report.publishers = 1;
    report_publishes(report, round_trip, published[0], first_sent_ns, last_answer_ns);
    report.elapsed_s = static_cast<double>(run_end.end_ns - start) / 1e9;
    report.connect_errors = publisher.connect_errors();
    report_deliveries(report, pool, published, start);
    report_server_usage(report, usage_start, usage_measured, run_end.server_usage, report.elapsed_s);
    if (prober) {
        report.probes = prober->started();
        report.probe_failures = prober->failed();
        set_head_latency(report, prober->head_latency());
        if (prober->failed() > 0)
            std::cerr << "ssekit-loadgen: " << prober->failed() << " probes failed; the first: "
                      << prober->first_failure() << '\n';
    }
    return report;
}

} // namespace ssekit::loadgen
