#include "report.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace ssekit::loadgen {

namespace {

double to_us(std::uint64_t ns)
{
    return std::round(static_cast<double>(ns) / 100.0) / 10.0;
}

template <class T>
boost::json::value json_or_null(const std::optional<T>& value)
{
    if (!value)
        return nullptr;
    return boost::json::value(*value);
}

// Decimals of a float by its key's unit: µs to 0.1, rates to 0.1,
// seconds to 1 ms, shares to 1e-4.
int decimals_for(std::string_view key)
{
    if (key.ends_with("_us") || key.ends_with("per_s") || key == "deliveries_per_server_cpu_s")
        return 1;
    if (key.ends_with("_share"))
        return 4;
    return 3;
}

std::string fixed(double value, int decimals)
{
    char text[64];
    auto [end, ec] = std::to_chars(std::begin(text), std::end(text), value, std::chars_format::fixed, decimals);
    if (ec != std::errc{})
        return boost::json::serialize(boost::json::value(value)); // |value| > 1e40: not ours
    return std::string(text, end);
}

std::string text_or_dash(const std::optional<double>& value, int decimals)
{
    return value ? fixed(*value, decimals) : std::string("-");
}

void row(std::ostream& out, std::string_view name, const std::string& value)
{
    // Pad by characters, not bytes: "µs" is two bytes of UTF-8.
    const auto width = std::count_if(name.begin(), name.end(), [](char c) { return (c & 0xC0) != 0x80; });
    out << "  " << name << std::string(width < 26 ? static_cast<std::size_t>(26 - width) : 1, ' ') << value << '\n';
}

} // namespace

void set_latency(Report& report, const LatencyHistogram& latency_ns)
{
    if (latency_ns.count() == 0)
        return;
    report.p50_us = to_us(latency_ns.value_at_percentile(50));
    report.p90_us = to_us(latency_ns.value_at_percentile(90));
    report.p99_us = to_us(latency_ns.value_at_percentile(99));
    report.p999_us = to_us(latency_ns.value_at_percentile(99.9));
    report.max_us = to_us(latency_ns.max());
    report.mean_us = std::round(latency_ns.mean() / 100.0) / 10.0;
}

void set_publish_round_trip(Report& report, const LatencyHistogram& round_trip_ns)
{
    if (round_trip_ns.count() == 0)
        return;
    report.publish_rtt_p50_us = to_us(round_trip_ns.value_at_percentile(50));
    report.publish_rtt_p99_us = to_us(round_trip_ns.value_at_percentile(99));
}

void set_head_latency(Report& report, const LatencyHistogram& head_ns)
{
    if (head_ns.count() == 0)
        return;
    report.head_p50_us = to_us(head_ns.value_at_percentile(50));
    report.head_p99_us = to_us(head_ns.value_at_percentile(99));
    report.head_max_us = to_us(head_ns.max());
}

void set_catch_up(Report& report, const LatencyHistogram& catch_up_ns)
{
    if (catch_up_ns.count() == 0)
        return;
    report.catch_up_p50_us = to_us(catch_up_ns.value_at_percentile(50));
    report.catch_up_p99_us = to_us(catch_up_ns.value_at_percentile(99));
    report.catch_up_max_us = to_us(catch_up_ns.max());
}

int exit_status(const Report& report) noexcept
{
    const bool clean = report.lost.value_or(0) == 0 && report.duplicated.value_or(0) == 0 &&
                       report.disconnects == 0 && report.probe_failures.value_or(0) == 0 &&
                       report.complete_subscribers.value_or(report.subscribers) == report.subscribers;
    // Full logs pass only when /stats showed them within their bound.
    const bool logs_within_bound =
        !report.log_bound_bytes ||
        (report.replay_buffered_bytes && *report.replay_buffered_bytes <= *report.log_bound_bytes);
    return clean && logs_within_bound ? 0 : 1;
}

void print_table(std::ostream& out, const Report& report)
{
    out << "ssekit-loadgen " << report.mode;
    if (report.label)
        out << "  [" << *report.label << "]";
    out << '\n';
    row(out, "subscribers", std::to_string(report.subscribers));
    if (report.events && report.live_events && report.rate)
        row(out, "events", std::to_string(*report.events) + " replayed, " + std::to_string(*report.live_events) +
                               " live at " + fixed(*report.rate, 1) + "/s");
    else if (report.events && report.rate)
        row(out, "events", std::to_string(*report.events) + " at " + fixed(*report.rate, 1) + "/s");
    if (report.publishers && report.duration_s)
        row(out, "publishers", std::to_string(*report.publishers) + " for " + fixed(*report.duration_s, 1) + " s");
    if (report.payload)
        row(out, "payload", std::to_string(*report.payload) + " B");
    if (report.expected && report.delivered)
        row(out, "delivered / expected", std::to_string(*report.delivered) + " / " + std::to_string(*report.expected));
    if (report.lost)
        row(out, "lost", std::to_string(*report.lost));
    if (report.duplicated)
        row(out, "duplicated / reordered", std::to_string(*report.duplicated));
    if (report.unparsed)
        row(out, "unparsed events", std::to_string(*report.unparsed));
    if (report.p50_us) {
        row(out, "latency µs",
            "p50 " + text_or_dash(report.p50_us, 1) + "  p90 " + text_or_dash(report.p90_us, 1) + "  p99 " +
                text_or_dash(report.p99_us, 1) + "  p99.9 " + text_or_dash(report.p999_us, 1) + "  max " +
                text_or_dash(report.max_us, 1) + "  mean " + text_or_dash(report.mean_us, 1));
    } else if (report.delivered) {
        row(out, "latency µs", "- (nothing delivered)");
    }
    if (report.complete_subscribers)
        row(out, "complete subscribers", std::to_string(*report.complete_subscribers) + " / " +
                                             std::to_string(report.subscribers));
    if (report.catch_up_p50_us)
        row(out, "catch-up µs", "p50 " + text_or_dash(report.catch_up_p50_us, 1) + "  p99 " +
                                    text_or_dash(report.catch_up_p99_us, 1) + "  max " +
                                    text_or_dash(report.catch_up_max_us, 1));
    if (report.topics)
        row(out, "topics", std::to_string(*report.topics) + ", " + std::to_string(report.events.value_or(0)) +
                               " events each");
    if (report.rss_per_topic_bytes)
        row(out, "RSS growth per topic", std::to_string(*report.rss_per_topic_bytes) + " B");
    if (report.log_bound_bytes)
        row(out, "RSS / log bound", text_or_dash(report.rss_overhead_ratio, 3) + " of " +
                                        std::to_string(*report.log_bound_bytes) + " B");
    if (report.replay_buffered_bytes)
        row(out, "logs per /stats", std::to_string(*report.replay_buffered_bytes) + " B, " +
                                        std::to_string(report.replay_buffered_events.value_or(0)) + " events in " +
                                        std::to_string(report.logged_topics.value_or(0)) + " topics");
    if (report.deliveries_per_s)
        row(out, "deliveries / s", fixed(*report.deliveries_per_s, 1));
    if (report.publishes) {
        std::string text = std::to_string(*report.publishes);
        if (report.publishes_per_s)
            text += ", " + fixed(*report.publishes_per_s, 1) + " / s";
        if (report.publish_rtt_p50_us)
            text += ", round trip p50 " + text_or_dash(report.publish_rtt_p50_us, 1) + " µs, p99 " +
                    text_or_dash(report.publish_rtt_p99_us, 1) + " µs";
        row(out, "publishes", text);
    }
    if (report.server_cpu_s) {
        row(out, "server CPU", fixed(*report.server_cpu_s, 3) + " s, share of wall " +
                                   text_or_dash(report.server_cpu_share, 3));
        row(out, "deliveries / server CPU-s", text_or_dash(report.deliveries_per_server_cpu_s, 1));
    }
    if (report.rss_before_bytes && report.rss_after_bytes)
        row(out, "server RSS before / after",
            std::to_string(*report.rss_before_bytes) + " / " + std::to_string(*report.rss_after_bytes) + " B");
    if (report.rss_per_connection_bytes)
        row(out, "RSS per connection", std::to_string(*report.rss_per_connection_bytes) + " B");
    if (report.probes)
        row(out, "probes / failed", std::to_string(*report.probes) + " / " +
                                        std::to_string(report.probe_failures.value_or(0)));
    if (report.head_p50_us)
        row(out, "response head µs", "p50 " + text_or_dash(report.head_p50_us, 1) + "  p99 " +
                                         text_or_dash(report.head_p99_us, 1) + "  max " +
                                         text_or_dash(report.head_max_us, 1));
    row(out, "connect errors", std::to_string(report.connect_errors));
    row(out, "disconnects", std::to_string(report.disconnects));
    row(out, "elapsed", fixed(report.elapsed_s, 3) + " s");
}

boost::json::object to_json(const Report& report)
{
    boost::json::object o;
    o["mode"] = report.mode;
    o["label"] = report.label ? boost::json::value(*report.label) : boost::json::value(nullptr);
    o["subscribers"] = report.subscribers;
    o["events"] = json_or_null(report.events);
    o["rate"] = json_or_null(report.rate);
    o["payload"] = json_or_null(report.payload);
    o["publishers"] = json_or_null(report.publishers);
    o["duration_s"] = json_or_null(report.duration_s);
    o["expected"] = json_or_null(report.expected);
    o["delivered"] = json_or_null(report.delivered);
    o["lost"] = json_or_null(report.lost);
    o["duplicated"] = json_or_null(report.duplicated);
    o["unparsed"] = json_or_null(report.unparsed);
    o["p50_us"] = json_or_null(report.p50_us);
    o["p90_us"] = json_or_null(report.p90_us);
    o["p99_us"] = json_or_null(report.p99_us);
    o["p999_us"] = json_or_null(report.p999_us);
    o["max_us"] = json_or_null(report.max_us);
    o["mean_us"] = json_or_null(report.mean_us);
    o["deliveries_per_s"] = json_or_null(report.deliveries_per_s);
    o["publishes"] = json_or_null(report.publishes);
    o["publishes_per_s"] = json_or_null(report.publishes_per_s);
    o["publish_rtt_p50_us"] = json_or_null(report.publish_rtt_p50_us);
    o["publish_rtt_p99_us"] = json_or_null(report.publish_rtt_p99_us);
    o["server_cpu_s"] = json_or_null(report.server_cpu_s);
    o["server_cpu_share"] = json_or_null(report.server_cpu_share);
    o["deliveries_per_server_cpu_s"] = json_or_null(report.deliveries_per_server_cpu_s);
    o["rss_before_bytes"] = json_or_null(report.rss_before_bytes);
    o["rss_after_bytes"] = json_or_null(report.rss_after_bytes);
    o["rss_per_connection_bytes"] = json_or_null(report.rss_per_connection_bytes);
    o["probes"] = json_or_null(report.probes);
    o["probe_failures"] = json_or_null(report.probe_failures);
    o["head_p50_us"] = json_or_null(report.head_p50_us);
    o["head_p99_us"] = json_or_null(report.head_p99_us);
    o["head_max_us"] = json_or_null(report.head_max_us);
    o["live_events"] = json_or_null(report.live_events);
    o["complete_subscribers"] = json_or_null(report.complete_subscribers);
    o["catch_up_p50_us"] = json_or_null(report.catch_up_p50_us);
    o["catch_up_p99_us"] = json_or_null(report.catch_up_p99_us);
    o["catch_up_max_us"] = json_or_null(report.catch_up_max_us);
    o["topics"] = json_or_null(report.topics);
    o["rss_per_topic_bytes"] = json_or_null(report.rss_per_topic_bytes);
    o["log_bound_bytes"] = json_or_null(report.log_bound_bytes);
    o["rss_overhead_ratio"] = json_or_null(report.rss_overhead_ratio);
    o["logged_topics"] = json_or_null(report.logged_topics);
    o["replay_buffered_events"] = json_or_null(report.replay_buffered_events);
    o["replay_buffered_bytes"] = json_or_null(report.replay_buffered_bytes);
    o["elapsed_s"] = report.elapsed_s;
    o["connect_errors"] = report.connect_errors;
    o["disconnects"] = report.disconnects;
    return o;
}

std::string json_line(const boost::json::object& object)
{
    std::string line = "{";
    bool first = true;
    for (const auto& [key, value] : object) {
        if (!first)
            line += ',';
        first = false;
        line += boost::json::serialize(boost::json::string(key));
        line += ':';
        if (value.is_double())
            line += std::isfinite(value.get_double()) ? fixed(value.get_double(), decimals_for(key)) : "null";
        else
            line += boost::json::serialize(value);
    }
    line += '}';
    return line;
}

} // namespace ssekit::loadgen
