// replay: a storm of subscribers resuming at once from the same
// Last-Event-ID. A probe subscriber follows the topic while a marker event
// (#1) and then `events` events (seq 0, 1, ...) are published; the probe
// reads the marker's id as the server wrote it. Then every subscriber
// connects at once with that id and must get the `events` events replayed
// from the server's log, then `live_events` published at `rate`: each
// exactly once, in order, and nothing else.

#include "modes.hpp"

#include "monotonic_clock.hpp"
#include "payload.hpp"
#include "run_steps.hpp"
#include "setup_error.hpp"

#include <algorithm>

namespace ssekit::loadgen {

namespace {

// The marker's publisher id. No pool counts it, so a storm subscriber that
// gets it (the whole log after a reset) is not complete.
constexpr std::uint32_t marker_publisher = 1;

// What a publishing phase measured.
struct Published {
    std::uint64_t count = 0;
    std::int64_t first_sent_ns = 0;
    std::int64_t last_answer_ns = 0;
    LatencyHistogram round_trip;
};

// Publishes seq first..first+count-1 as `publisher_id`: at `rate` per second
// on an open-loop schedule (as fanout does), or back to back when rate is 0.
Published publish_events(RunContext& run, Publisher& publisher, std::uint32_t publisher_id, std::uint64_t first,
                         std::uint64_t count, double rate)
{
    Published done;
    const std::int64_t start = monotonic_ns();
    const double interval_ns = rate > 0 ? 1e9 / rate : 0;
    std::uint64_t sent = 0;
    while (done.count < count) {
        const std::int64_t now = monotonic_ns();
        check_publisher(publisher);
        if (auto answer = publisher.take_answer()) {
            check_answer(*answer);
            done.round_trip.record(answer->answered_ns - answer->sent_ns);
            if (done.count == 0)
                done.first_sent_ns = answer->sent_ns;
            done.last_answer_ns = answer->answered_ns;
            ++done.count;
        }
        const std::int64_t due = start + static_cast<std::int64_t>(static_cast<double>(sent) * interval_ns);
        if (publisher.idle() && sent < count && now >= due) {
            publisher.publish(publisher_id, first + sent++);
            continue;
        }
        const bool waiting_for_schedule = publisher.idle() && sent < count;
        run.loop.run_once(waiting_for_schedule ? due : now + 50 * ns_per_ms);
    }
    return done;
}

// Publishes the marker and the events to replay; returns the marker's id
// once the probe has received all of them.
std::string publish_log(RunContext& run, SubscriberPool& probe, Publisher& publisher)
{
    std::string marker_id;
    probe.observe_events([&marker_id](const ssekit::ReceivedEvent& event) {
        if (auto stamp = parse_payload(event.data); stamp && stamp->publisher == marker_publisher)
            marker_id = event.id;
    });
    publish_events(run, publisher, marker_publisher, 0, 1, 0);
    publish_events(run, publisher, 0, 0, run.options.events, 0);
    const std::vector<std::uint64_t> published{run.options.events};
    drain(run, probe, published);
    run.progress.finish();
    probe.observe_events({}); // the probe reads on: marker_id must not be written after this returns
    if (!probe.caught_up(published))
        throw SetupError("the probe subscriber got " + std::to_string(probe.tally().delivered()) + " of the " +
                         std::to_string(run.options.events) + " events to replay");
    if (marker_id.empty())
        throw SetupError("the server sent the first event without an id: nothing to resume from");
    return marker_id;
}

// Drives the storm until every subscriber has every replayed event, or
// nothing came for --drain-timeout.
void wait_for_catch_up(RunContext& run, SubscriberPool& storm)
{
    const std::vector<std::uint64_t> replayed{run.options.events};
    const auto timeout_ns = static_cast<std::int64_t>(run.options.drain_timeout_s * 1e9);
    std::uint64_t seen = 0;
    std::int64_t last_progress = monotonic_ns();
    for (;;) {
        const std::int64_t now = monotonic_ns();
        storm.tick(now);
        if (storm.given_up() > 0)
            throw SetupError("cannot connect: " + std::to_string(storm.given_up()) + " of " +
                             std::to_string(storm.size()) + " subscribers failed; " + storm.first_failure());
        if (storm.heads_received() == storm.size() && storm.caught_up(replayed))
            break;
        if (storm.tally().accounted() + storm.heads_received() != seen) {
            seen = storm.tally().accounted() + storm.heads_received();
            last_progress = now;
        } else if (now - last_progress >= timeout_ns) {
            break;
        }
        if (run.progress.due(now))
            run.progress.show(now, "storm: " + std::to_string(storm.heads_received()) + "/" +
                                       std::to_string(storm.size()) + " connected, replayed " +
                                       std::to_string(storm.tally().delivered()) + "/" +
                                       std::to_string(run.options.events * storm.size()));
        run.loop.run_once(now + 50 * ns_per_ms);
    }
    run.progress.finish();
}

} // namespace

Report run_replay(const LoadOptions& options)
{
    RunContext run(options);
    const auto usage_start = read_server_usage(options);
    SubscriberPool probe(run.loop, run.target, subscribe_request(run.target, run.topic), pool_options(options, 1));
    Publisher publisher(run.loop, run.target, run.topic, options.payload);
    connect_subscribers(run, probe);
    warm_up(run, probe, publisher);
    const std::string marker_id = publish_log(run, probe, publisher);

    SubscriberPoolOptions storm_options = pool_options(options, 1);
    storm_options.connects_in_flight = options.subscribers; // all at once: that is the storm
    SubscriberPool storm(run.loop, run.target, subscribe_request(run.target, run.topic, marker_id), storm_options);
    const auto usage_storm = read_server_usage(options);
    const std::int64_t storm_start = monotonic_ns();
    storm.expect_replay(options.events - 1, storm_start);
    wait_for_catch_up(run, storm);

    const Published live = publish_events(run, publisher, 0, options.events, options.live_events, options.rate);
    const std::vector<std::uint64_t> published{options.events + options.live_events};
    const RunEnd run_end = finish_publishing(run, storm, published);
    probe.close_all();

    Report report = base_report(options);
    report.events = options.events;
    report.live_events = options.live_events;
    report.rate = options.rate;
    report.payload = options.payload;
    report.publishers = 1;
    report_publishes(report, live.round_trip, live.count, live.first_sent_ns, live.last_answer_ns);
    report.elapsed_s = static_cast<double>(run_end.end_ns - storm_start) / 1e9;
    report.connect_errors = publisher.connect_errors();
    report_deliveries(report, storm, published, storm_start);
    report.complete_subscribers = storm.complete(published);
    set_catch_up(report, storm.tally().catch_up());
    report_server_usage(report, usage_start, usage_storm, run_end.server_usage, report.elapsed_s);
    return report;
}

} // namespace ssekit::loadgen
