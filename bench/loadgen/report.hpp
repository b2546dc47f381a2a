#ifndef SSEKIT_BENCH_LOADGEN_REPORT_HPP
#define SSEKIT_BENCH_LOADGEN_REPORT_HPP

// What a run measured: a table for people, then one JSON line for scripts
// (bench/run.py reads the last line of stdout). A value that does not apply
// to the mode is empty here and null in the JSON.

#include "latency_histogram.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace ssekit::loadgen {

struct Report {
    std::string mode{};
    std::optional<std::string> label{};
    std::uint64_t subscribers{};
    std::optional<std::uint64_t> events{};
    std::optional<double> rate{};
    std::optional<std::uint64_t> payload{};
    std::optional<std::uint64_t> publishers{};
    std::optional<double> duration_s{};
    std::optional<std::uint64_t> expected{};
    std::optional<std::uint64_t> delivered{};
    std::optional<std::uint64_t> lost{};
    std::optional<std::uint64_t> duplicated{};
    std::optional<std::uint64_t> unparsed{};
    std::optional<double> p50_us{};
    std::optional<double> p90_us{};
    std::optional<double> p99_us{};
    std::optional<double> p999_us{};
    std::optional<double> max_us{};
    std::optional<double> mean_us{};
    std::optional<double> deliveries_per_s{};
    std::optional<std::uint64_t> publishes{};
    std::optional<double> publishes_per_s{};
    std::optional<double> publish_rtt_p50_us{};
    std::optional<double> publish_rtt_p99_us{};
    std::optional<double> server_cpu_s{};
    std::optional<double> server_cpu_share{};
    std::optional<double> deliveries_per_server_cpu_s{};
    std::optional<std::uint64_t> rss_before_bytes{};
    std::optional<std::uint64_t> rss_after_bytes{};
    std::optional<std::int64_t> rss_per_connection_bytes{};
    /// fanout with --probes: new connections timing their response head.
    std::optional<std::uint64_t> probes{};
    std::optional<std::uint64_t> probe_failures{};
    std::optional<double> head_p50_us{};
    std::optional<double> head_p99_us{};
    std::optional<double> head_max_us{};
    /// replay: the storm's subscribers that got everything exactly once, in
    /// order, and the time each took to its last replayed event.
    std::optional<std::uint64_t> live_events{};
    std::optional<std::uint64_t> complete_subscribers{};
    std::optional<double> catch_up_p50_us{};
    std::optional<double> catch_up_p99_us{};
    std::optional<double> catch_up_max_us{};
    /// logs: the topics filled, the server's RSS against their bound, and
    /// what GET /stats says their logs hold.
    std::optional<std::uint64_t> topics{};
    std::optional<std::int64_t> rss_per_topic_bytes{};
    std::optional<std::uint64_t> log_bound_bytes{};
    std::optional<double> rss_overhead_ratio{};
    std::optional<std::uint64_t> logged_topics{};
    std::optional<std::uint64_t> replay_buffered_events{};
    std::optional<std::uint64_t> replay_buffered_bytes{};
    double elapsed_s{};
    std::uint64_t connect_errors{};
    std::uint64_t disconnects{};
};

/// Fills the latency fields (µs) from a histogram of ns; leaves them empty when it is.
void set_latency(Report& report, const LatencyHistogram& latency_ns);

/// Fills publish_rtt_p50_us and publish_rtt_p99_us from a histogram of ns, unless it is empty.
void set_publish_round_trip(Report& report, const LatencyHistogram& round_trip_ns);

/// Fills the head_* fields (µs) from a histogram of ns; leaves them empty when it is.
void set_head_latency(Report& report, const LatencyHistogram& head_ns);

/// Fills the catch_up_* fields (µs) from a histogram of ns; leaves them empty when it is.
void set_catch_up(Report& report, const LatencyHistogram& catch_up_ns);

/// 0 when nothing was lost or duplicated, no subscriber disconnected, no
/// probe failed, every replay subscriber is complete and full logs are
/// known to be within their bound, else 1.
int exit_status(const Report& report) noexcept;

/// The table, for people.
void print_table(std::ostream& out, const Report& report);

/// Every key, in the documented order; null where empty.
boost::json::object to_json(const Report& report);

/** `object` on one line, no newline: Boost.JSON's serialization, except
    that floating-point numbers are fixed-point (µs with 1 decimal) where
    Boost.JSON would write 1.234E2.
*/
std::string json_line(const boost::json::object& object);

} // namespace ssekit::loadgen

#endif
