// Tests of bench/loadgen/report.hpp: the JSON line scripts read, and the
// exit status.
#include "report.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace ssekit::loadgen;

namespace {

const std::vector<std::string> keys{
    "mode", "label", "subscribers", "events", "rate", "payload", "publishers", "duration_s", "expected", "delivered",
    "lost", "duplicated", "unparsed", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us",
    "deliveries_per_s", "publishes", "publishes_per_s", "publish_rtt_p50_us", "publish_rtt_p99_us", "server_cpu_s",
    "server_cpu_share", "deliveries_per_server_cpu_s", "rss_before_bytes", "rss_after_bytes",
    "rss_per_connection_bytes", "probes", "probe_failures", "head_p50_us", "head_p99_us", "head_max_us",
    "live_events", "complete_subscribers", "catch_up_p50_us", "catch_up_p99_us", "catch_up_max_us",
    "topics", "rss_per_topic_bytes", "log_bound_bytes", "rss_overhead_ratio", "logged_topics",
    "replay_buffered_events", "replay_buffered_bytes", "elapsed_s", "connect_errors", "disconnects"};

Report fanout_report()
{
    Report report;
    report.mode = "fanout";
    report.subscribers = 5;
    report.events = 20;
    report.expected = 100;
    report.delivered = 100;
    report.lost = 0;
    report.duplicated = 0;
    LatencyHistogram latency;
    latency.record(123'456); // 123.456 µs
    set_latency(report, latency);
    report.elapsed_s = 0.5;
    return report;
}

} // namespace

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(the_json_line_has_every_key_in_order)
{
    const std::string line = json_line(to_json(fanout_report()));
    BOOST_TEST(line.find('\n') == std::string::npos);
    const auto object = boost::json::parse(line).as_object();
    BOOST_TEST_REQUIRE(object.size() == keys.size());
    std::size_t i = 0;
    for (const auto& [key, value] : object)
        BOOST_TEST(std::string(key) == keys[i++]);
    BOOST_TEST(object.at("label").is_null());
    BOOST_TEST(object.at("server_cpu_s").is_null());
    BOOST_TEST(object.at("delivered").to_number<int>() == 100);
}

BOOST_AUTO_TEST_CASE(latencies_are_microseconds_with_one_decimal)
{
    const std::string line = json_line(to_json(fanout_report()));
    BOOST_TEST(line.find("\"p50_us\":123.5") != std::string::npos, line);
    BOOST_TEST(line.find("\"max_us\":123.5,") != std::string::npos, line);
    BOOST_TEST(line.find("\"elapsed_s\":0.500") != std::string::npos, line);
    BOOST_TEST(line.find('E') == std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(a_label_is_escaped)
{
    Report report = fanout_report();
    report.label = "a \"quoted\" label";
    const auto object = boost::json::parse(json_line(to_json(report))).as_object();
    BOOST_TEST(object.at("label").as_string() == "a \"quoted\" label");
}

BOOST_AUTO_TEST_CASE(any_loss_duplicate_or_disconnect_fails_the_run)
{
    Report report = fanout_report();
    BOOST_TEST(exit_status(report) == 0);
    report.lost = 1;
    BOOST_TEST(exit_status(report) == 1);
    report.lost = 0;
    report.duplicated = 2;
    BOOST_TEST(exit_status(report) == 1);
    report.duplicated = 0;
    report.disconnects = 1;
    BOOST_TEST(exit_status(report) == 1);
}

BOOST_AUTO_TEST_CASE(a_failed_probe_fails_the_run)
{
    Report report = fanout_report();
    report.probes = 8;
    report.probe_failures = 0;
    BOOST_TEST(exit_status(report) == 0);
    report.probe_failures = 1;
    BOOST_TEST(exit_status(report) == 1);
}

BOOST_AUTO_TEST_CASE(an_incomplete_replay_subscriber_fails_the_run)
{
    Report report = fanout_report();
    report.mode = "replay";
    report.complete_subscribers = 5;
    BOOST_TEST(exit_status(report) == 0);
    report.complete_subscribers = 4;
    BOOST_TEST(exit_status(report) == 1);
}

BOOST_AUTO_TEST_CASE(full_logs_pass_only_when_stats_show_them_within_their_bound)
{
    Report report;
    report.mode = "logs";
    report.log_bound_bytes = 1000;
    BOOST_TEST(exit_status(report) == 1); // no /stats: unknown
    report.replay_buffered_bytes = 1000;
    BOOST_TEST(exit_status(report) == 0);
    report.replay_buffered_bytes = 1001;
    BOOST_TEST(exit_status(report) == 1);
}

BOOST_AUTO_TEST_CASE(catch_up_times_are_microseconds)
{
    Report report = fanout_report();
    LatencyHistogram catch_up;
    catch_up.record(2'500'000); // 2.5 ms
    set_catch_up(report, catch_up);
    const std::string line = json_line(to_json(report));
    BOOST_TEST(line.find("\"catch_up_p99_us\":2500.0") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(head_latencies_are_microseconds_and_absent_without_probes)
{
    Report report = fanout_report();
    BOOST_TEST(boost::json::parse(json_line(to_json(report))).as_object().at("head_p50_us").is_null());
    LatencyHistogram heads;
    heads.record(170'000'000); // 170 ms
    set_head_latency(report, heads);
    const std::string line = json_line(to_json(report));
    BOOST_TEST(line.find("\"head_p50_us\":170000.0") != std::string::npos, line);
    std::ostringstream table;
    print_table(table, report);
    BOOST_TEST(table.str().find("response head") != std::string::npos, table.str());
}

BOOST_AUTO_TEST_CASE(the_table_shows_the_counts)
{
    std::ostringstream table;
    print_table(table, fanout_report());
    BOOST_TEST(table.str().find("100 / 100") != std::string::npos, table.str());
    BOOST_TEST(table.str().find("p99.9 123.5") != std::string::npos, table.str());
}

BOOST_AUTO_TEST_SUITE_END()
