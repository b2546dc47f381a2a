#ifndef SSEKIT_BENCH_LOADGEN_RUN_STEPS_HPP
#define SSEKIT_BENCH_LOADGEN_RUN_STEPS_HPP

// The steps the modes share: connect the subscribers, warm up, drain, and
// measure the server from /proc. Each step drives the event loop until it
// is done and throws SetupError when the run cannot go on.

#include "command_line.hpp"
#include "epoll_loop.hpp"
#include "head_prober.hpp"
#include "proc_stats.hpp"
#include "progress_line.hpp"
#include "publisher.hpp"
#include "report.hpp"
#include "subscriber_pool.hpp"
#include "target.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssekit::loadgen {

/// What every mode works with.
struct RunContext {
    /// @throws UsageError for a bad URL (parse_command_line checked it already).
    explicit RunContext(const LoadOptions& options);

    const LoadOptions& options;
    Target target;
    /// From --publish-url and --subscribe-url: {target} when not given.
    std::vector<Target> publish_targets;
    std::vector<Target> subscribe_targets;
    std::string topic;
    EpollLoop loop;
    ProgressLine progress;
};

/// "bench" + PID + the time: a topic no earlier run used.
std::string unique_topic();

/// Every subscribe target with its GET /sub/{topic}: subscribers spread over them.
std::vector<SubscribeEndpoint> subscribe_endpoints(const RunContext& run);

/// The target publisher `index` posts to: publishers spread over the publish targets.
const Target& publish_target(const RunContext& run, std::uint32_t index);

/// The subscriber pool's settings for this run.
SubscriberPoolOptions pool_options(const LoadOptions& options, std::uint32_t publishers);

/// The server's usage now, or nothing without --server-pid.
/// @throws SetupError when a server process is gone.
std::optional<ProcessTreeUsage> read_server_usage(const LoadOptions& options);

/// Connects every subscriber and waits for each one's 200 head.
void connect_subscribers(RunContext& run, SubscriberPool& pool);

/** Publishes warm-up events (publisher 9999, not counted) once a second
    until every subscriber got one; gives up after 15 s. Leaves `publisher`
    idle and its connection open.
*/
void warm_up(RunContext& run, SubscriberPool& pool, Publisher& publisher);

/** Waits until every streaming subscriber has every event of `published`
    (counts per publisher), or until nothing arrived for --drain-timeout.
    @return When it stopped waiting.
*/
std::int64_t drain(RunContext& run, SubscriberPool& pool, const std::vector<std::uint64_t>& published);

/// Runs the loop until every probe of `prober` has finished (each has its own timeout).
void finish_probing(RunContext& run, HeadProber& prober);

/// Where a publishing mode stands once its publishers stopped.
struct RunEnd {
    std::int64_t end_ns = 0; // when the drain stopped waiting
    std::optional<ProcessTreeUsage> server_usage;
};

/** After the last publish: drains (see drain()), reads the server's usage
    and closes the subscribers.
*/
RunEnd finish_publishing(RunContext& run, SubscriberPool& pool, const std::vector<std::uint64_t>& published);

/// @throws SetupError for an answer that is not 2xx.
void check_answer(const Publisher::Answer& answer);

/// @throws SetupError when the publisher's last publish failed.
void check_publisher(const Publisher& publisher);

/** Fills what the subscribers received: expected, delivered, lost (counting
    what never came), duplicated, unparsed, latency, deliveries per second
    over [start_ns, last delivery], connect errors, disconnects.
*/
void report_deliveries(Report& report, SubscriberPool& pool, const std::vector<std::uint64_t>& published,
                       std::int64_t start_ns);

/** Fills publishes, publishes per second over [first_sent_ns, last_answered_ns]
    (from writing the first POST to the last answer) and the round trips.
*/
void report_publishes(Report& report, const LatencyHistogram& round_trip, std::uint64_t publishes,
                      std::int64_t first_sent_ns, std::int64_t last_answered_ns);

/** Fills the server's CPU from `measure_from` to `end` over `wall_s`, and
    its RSS at `start` and `end`; nothing without --server-pid.
*/
void report_server_usage(Report& report, const std::optional<ProcessTreeUsage>& start,
                         const std::optional<ProcessTreeUsage>& measure_from,
                         const std::optional<ProcessTreeUsage>& end, double wall_s);

/// The fields every mode has.
Report base_report(const LoadOptions& options);

} // namespace ssekit::loadgen

#endif
