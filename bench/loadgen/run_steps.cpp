#include "run_steps.hpp"

#include "monotonic_clock.hpp"
#include "payload.hpp"
#include "setup_error.hpp"

#include <unistd.h>

#include <chrono>
#include <numeric>
#include <stdexcept>

namespace ssekit::loadgen {

namespace {

constexpr std::int64_t warm_up_limit_ns = 15 * ns_per_s;
constexpr std::int64_t warm_up_period_ns = 1 * ns_per_s;
// How long the loop sleeps at most when nothing is due: ticks stay regular.
constexpr std::int64_t idle_wait_ns = 50 * ns_per_ms;

std::vector<Target> parse_targets(const std::vector<std::string>& urls, const std::string& fallback)
{
    std::vector<Target> targets;
    for (const auto& url : urls)
        targets.push_back(parse_target(url));
    if (targets.empty())
        targets.push_back(parse_target(fallback));
    return targets;
}

} // namespace

RunContext::RunContext(const LoadOptions& load_options)
    : options(load_options),
      target(parse_target(load_options.url)),
      publish_targets(parse_targets(load_options.publish_urls, load_options.url)),
      subscribe_targets(parse_targets(load_options.subscribe_urls, load_options.url)),
      topic(load_options.topic.empty() ? unique_topic() : load_options.topic)
{
}

std::vector<SubscribeEndpoint> subscribe_endpoints(const RunContext& run)
{
    std::vector<SubscribeEndpoint> endpoints;
    for (const Target& target : run.subscribe_targets)
        endpoints.push_back(SubscribeEndpoint{.target = target, .request = subscribe_request(target, run.topic)});
    return endpoints;
}

const Target& publish_target(const RunContext& run, std::uint32_t index)
{
    return run.publish_targets[index % run.publish_targets.size()];
}

std::string unique_topic()
{
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return "bench" + std::to_string(::getpid()) + "t" + std::to_string(ms.count());
}

SubscriberPoolOptions pool_options(const LoadOptions& options, std::uint32_t publishers)
{
    return SubscriberPoolOptions{.count = options.subscribers,
                                 .publishers = publishers,
                                 .sources = options.sources,
                                 .payload_bytes = options.payload};
}

std::optional<ProcessTreeUsage> read_server_usage(const LoadOptions& options)
{
    if (options.server_pids.empty())
        return std::nullopt;
    try {
        return read_process_tree_usage(options.server_pids);
    } catch (const std::runtime_error& e) {
        throw SetupError(std::string("--server-pid: ") + e.what());
    }
}

void connect_subscribers(RunContext& run, SubscriberPool& pool)
{
    for (;;) {
        const std::int64_t now = monotonic_ns();
        pool.tick(now);
        if (pool.given_up() > 0)
            throw SetupError("cannot connect: " + std::to_string(pool.given_up()) + " of " +
                             std::to_string(pool.size()) + " subscribers failed; " + pool.first_failure());
        if (pool.heads_received() == pool.size())
            break;
        if (run.progress.due(now))
            run.progress.show(now, "connecting " + std::to_string(pool.heads_received()) + "/" +
                                       std::to_string(pool.size()) + " (connect errors " +
                                       std::to_string(pool.connect_errors()) + ")");
        run.loop.run_once(now + idle_wait_ns);
    }
    run.progress.finish();
}

void warm_up(RunContext& run, SubscriberPool& pool, Publisher& publisher)
{
    const std::int64_t start = monotonic_ns();
    std::int64_t next_publish = start;
    std::uint64_t seq = 0;
    for (;;) {
        const std::int64_t now = monotonic_ns();
        pool.tick(now);
        check_publisher(publisher);
        if (auto answer = publisher.take_answer())
            check_answer(*answer);
        if (pool.disconnects() > 0)
            throw SetupError("subscribers not ready: " + std::to_string(pool.disconnects()) +
                             " disconnected during the warm-up; " + pool.first_disconnect());
        if (pool.warmed_up() == pool.size() && publisher.idle())
            break;
        if (now - start >= warm_up_limit_ns)
            throw SetupError("subscribers not ready: " + std::to_string(pool.warmed_up()) + " of " +
                             std::to_string(pool.size()) + " got a warm-up event within 15 s");
        if (pool.warmed_up() < pool.size() && publisher.idle() && now >= next_publish) {
            publisher.publish(warm_up_publisher, seq++);
            next_publish = now + warm_up_period_ns;
        }
        if (run.progress.due(now))
            run.progress.show(now, "warming up " + std::to_string(pool.warmed_up()) + "/" +
                                       std::to_string(pool.size()));
        run.loop.run_once(std::min(next_publish, now + idle_wait_ns));
    }
    run.progress.finish();
}

std::int64_t drain(RunContext& run, SubscriberPool& pool, const std::vector<std::uint64_t>& published)
{
    const auto timeout_ns = static_cast<std::int64_t>(run.options.drain_timeout_s * 1e9);
    const std::uint64_t per_subscriber = std::accumulate(published.begin(), published.end(), std::uint64_t{0});
    std::uint64_t seen = pool.tally().accounted();
    std::int64_t last_progress = monotonic_ns();
    for (;;) {
        const std::int64_t now = monotonic_ns();
        if (pool.caught_up(published))
            return now;
        if (pool.tally().accounted() != seen) {
            seen = pool.tally().accounted();
            last_progress = now;
        } else if (now - last_progress >= timeout_ns) {
            return now;
        }
        if (run.progress.due(now))
            run.progress.show(now, "draining: delivered " + std::to_string(pool.tally().delivered()) + "/" +
                                       std::to_string(per_subscriber * pool.size()));
        run.loop.run_once(std::min(last_progress + timeout_ns, now + idle_wait_ns));
    }
}

void finish_probing(RunContext& run, HeadProber& prober)
{
    for (;;) {
        const std::int64_t now = monotonic_ns();
        prober.tick(now);
        if (prober.done())
            break;
        if (run.progress.due(now))
            run.progress.show(now, "probing: " + std::to_string(prober.started()) + " probes started");
        run.loop.run_once(std::min(prober.next_due_ns(), now + idle_wait_ns));
    }
    run.progress.finish();
}

RunEnd finish_publishing(RunContext& run, SubscriberPool& pool, const std::vector<std::uint64_t>& published)
{
    RunEnd end;
    end.end_ns = drain(run, pool, published);
    run.progress.finish();
    end.server_usage = read_server_usage(run.options);
    pool.close_all();
    return end;
}

void check_answer(const Publisher::Answer& answer)
{
    if (answer.status >= 200 && answer.status <= 299)
        return;
    std::string body = answer.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' '))
        body.pop_back();
    throw SetupError("publish refused: HTTP " + std::to_string(answer.status) +
                     (body.empty() ? std::string() : " (answer: " + body + ")"));
}

void check_publisher(const Publisher& publisher)
{
    if (!publisher.failure().empty())
        throw SetupError("publish failed: " + publisher.failure());
}

void report_deliveries(Report& report, SubscriberPool& pool, const std::vector<std::uint64_t>& published,
                       std::int64_t start_ns)
{
    pool.count_missing_as_lost(published);
    const DeliveryTally& tally = pool.tally();
    const std::uint64_t per_subscriber = std::accumulate(published.begin(), published.end(), std::uint64_t{0});
    report.expected = per_subscriber * pool.size();
    report.delivered = tally.delivered();
    report.lost = tally.lost();
    report.duplicated = tally.duplicated();
    report.unparsed = tally.unparsed();
    set_latency(report, tally.latency());
    if (tally.delivered() > 0 && tally.last_delivery_ns() > start_ns)
        report.deliveries_per_s = static_cast<double>(tally.delivered()) /
                                  (static_cast<double>(tally.last_delivery_ns() - start_ns) / 1e9);
    report.connect_errors += pool.connect_errors();
    report.disconnects += pool.disconnects();
}

void report_publishes(Report& report, const LatencyHistogram& round_trip, std::uint64_t publishes,
                      std::int64_t first_sent_ns, std::int64_t last_answered_ns)
{
    report.publishes = publishes;
    if (publishes > 0 && last_answered_ns > first_sent_ns)
        report.publishes_per_s =
            static_cast<double>(publishes) / (static_cast<double>(last_answered_ns - first_sent_ns) / 1e9);
    set_publish_round_trip(report, round_trip);
}

void report_server_usage(Report& report, const std::optional<ProcessTreeUsage>& start,
                         const std::optional<ProcessTreeUsage>& measure_from,
                         const std::optional<ProcessTreeUsage>& end, double wall_s)
{
    if (!start || !measure_from || !end)
        return;
    report.rss_before_bytes = start->rss_bytes;
    report.rss_after_bytes = end->rss_bytes;
    const double cpu_s = end->cpu_seconds - measure_from->cpu_seconds;
    report.server_cpu_s = cpu_s;
    if (wall_s > 0)
        report.server_cpu_share = cpu_s / wall_s;
    if (report.delivered && cpu_s > 0)
        report.deliveries_per_server_cpu_s = static_cast<double>(*report.delivered) / cpu_s;
}

Report base_report(const LoadOptions& options)
{
    Report report;
    report.mode = mode_name(options.mode);
    if (!options.label.empty())
        report.label = options.label;
    report.subscribers = options.subscribers;
    return report;
}

} // namespace ssekit::loadgen
