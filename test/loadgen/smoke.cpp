// Smoke test of ssekit-loadgen: each mode against sample-pubsub on a free
// port, reading the JSON line it prints last. Timing is never asserted.

#include "samples/sample_process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ssekit::test;

namespace {

std::string loadgen_path()
{
    const char* path = std::getenv("SSEKIT_LOADGEN");
    if (path == nullptr || *path == '\0')
        throw std::runtime_error("SSEKIT_LOADGEN is not set; run the tests with `meson test`");
    return path;
}

struct LoadgenRun {
    int exit_status = -1;
    std::string output;
    boost::json::object report;
};

// Runs ssekit-loadgen against `sample` and parses its last line.
LoadgenRun run_loadgen(const SampleProcess& sample, std::vector<std::string> args)
{
    args.insert(args.begin() + 1, {"--url", "http://127.0.0.1:" + std::to_string(sample.port())});
    args.insert(args.end(), {"--server-pid", std::to_string(sample.pid())});
    auto result = run_to_end(loadgen_path(), args, std::chrono::seconds(40));
    LoadgenRun run{.exit_status = result.exit_status, .output = result.output, .report = {}};
    std::string_view text = run.output;
    while (text.ends_with('\n'))
        text.remove_suffix(1);
    const auto last_line = text.substr(text.rfind('\n') + 1);
    boost::system::error_code ec;
    auto value = boost::json::parse(last_line, ec);
    if (!ec && value.is_object())
        run.report = value.as_object();
    return run;
}

std::int64_t number(const boost::json::object& report, std::string_view key)
{
    return report.at(key).to_number<std::int64_t>();
}

} // namespace

BOOST_AUTO_TEST_SUITE(loadgen)

BOOST_AUTO_TEST_CASE(fanout_delivers_every_event_to_every_subscriber)
{
    SampleProcess sample(sample_path("pubsub"));
    auto run = run_loadgen(sample, {"fanout", "--subscribers", "5", "--events", "20", "--rate", "200"});
    BOOST_TEST_INFO("output: " << run.output);
    BOOST_TEST(run.exit_status == 0);
    BOOST_TEST_REQUIRE(!run.report.empty());
    BOOST_TEST(run.report.at("mode").as_string() == "fanout");
    BOOST_TEST(number(run.report, "expected") == 100);
    BOOST_TEST(number(run.report, "delivered") == 100);
    BOOST_TEST(number(run.report, "lost") == 0);
    BOOST_TEST(number(run.report, "duplicated") == 0);
    BOOST_TEST(number(run.report, "publishes") == 20);
    BOOST_TEST(run.report.at("p99_us").is_number());
    BOOST_TEST(run.report.at("server_cpu_s").is_number());
}

BOOST_AUTO_TEST_CASE(fanout_probes_time_their_response_heads)
{
    SampleProcess sample(sample_path("pubsub"));
    auto run = run_loadgen(sample, {"fanout", "--subscribers", "5", "--events", "20", "--rate", "100", "--probes",
                                    "4", "--probe-interval", "0.05"});
    BOOST_TEST_INFO("output: " << run.output);
    BOOST_TEST(run.exit_status == 0);
    BOOST_TEST_REQUIRE(!run.report.empty());
    BOOST_TEST(number(run.report, "probes") == 4);
    BOOST_TEST(number(run.report, "probe_failures") == 0);
    BOOST_TEST(run.report.at("head_p50_us").is_number());
    BOOST_TEST(number(run.report, "delivered") == 100);
}

BOOST_AUTO_TEST_CASE(replay_subscribers_resume_from_the_log_and_stay_complete)
{
    SampleProcess sample(sample_path("pubsub"));
    auto run = run_loadgen(sample, {"replay", "--subscribers", "10", "--events", "30", "--live-events", "3",
                                    "--rate", "50"});
    BOOST_TEST_INFO("output: " << run.output);
    BOOST_TEST(run.exit_status == 0);
    BOOST_TEST_REQUIRE(!run.report.empty());
    BOOST_TEST(run.report.at("mode").as_string() == "replay");
    BOOST_TEST(number(run.report, "complete_subscribers") == 10);
    BOOST_TEST(number(run.report, "expected") == 10 * 33);
    BOOST_TEST(number(run.report, "delivered") == 10 * 33);
    BOOST_TEST(number(run.report, "unparsed") == 0);
    BOOST_TEST(run.report.at("catch_up_p99_us").is_number());
}

BOOST_AUTO_TEST_CASE(logs_fill_topics_and_read_their_size_from_stats)
{
    SampleProcess sample(sample_path("pubsub"));
    // A bound of 4 events' worth: 10 events of 4 KiB overfill it.
    auto run = run_loadgen(sample, {"logs", "--topics", "3", "--events", "10", "--payload", "4096", "--log-bound",
                                    "20000"});
    BOOST_TEST_INFO("output: " << run.output);
    BOOST_TEST_REQUIRE(!run.report.empty());
    BOOST_TEST(number(run.report, "publishes") == 30);
    BOOST_TEST(number(run.report, "logged_topics") == 3);
    BOOST_TEST(number(run.report, "replay_buffered_events") == 30); // sample-pubsub's own bound is 16 MiB
    BOOST_TEST(number(run.report, "log_bound_bytes") == 60000);
    BOOST_TEST(run.report.at("rss_overhead_ratio").is_number());
    BOOST_TEST(run.exit_status == 1); // the logs hold more than the 20000 B told
}

BOOST_AUTO_TEST_CASE(throughput_delivers_what_was_published)
{
    SampleProcess sample(sample_path("pubsub"));
    auto run = run_loadgen(sample,
                           {"throughput", "--subscribers", "3", "--publishers", "2", "--duration", "1"});
    BOOST_TEST_INFO("output: " << run.output);
    BOOST_TEST(run.exit_status == 0);
    BOOST_TEST_REQUIRE(!run.report.empty());
    BOOST_TEST(number(run.report, "expected") > 0);
    BOOST_TEST(number(run.report, "delivered") == number(run.report, "expected"));
    BOOST_TEST(number(run.report, "expected") == 3 * number(run.report, "publishes"));
    BOOST_TEST(number(run.report, "lost") == 0);
}

BOOST_AUTO_TEST_CASE(publishers_and_subscribers_spread_over_the_urls_given)
{
    // One server under two names: every subscriber, whichever URL it took,
    // gets what every publisher posted.
    SampleProcess sample(sample_path("pubsub"));
    const std::string port = std::to_string(sample.port());
    auto run = run_loadgen(sample, {"throughput", "--subscribers", "4", "--publishers", "2", "--duration", "1",
                                    "--publish-url", "http://localhost:" + port, "--publish-url",
                                    "http://127.0.0.1:" + port, "--subscribe-url", "http://127.0.0.1:" + port,
                                    "--subscribe-url", "http://localhost:" + port});
    BOOST_TEST_INFO("output: " << run.output);
    BOOST_TEST(run.exit_status == 0);
    BOOST_TEST_REQUIRE(!run.report.empty());
    BOOST_TEST(number(run.report, "expected") == 4 * number(run.report, "publishes"));
    BOOST_TEST(number(run.report, "delivered") == number(run.report, "expected"));
}

BOOST_AUTO_TEST_CASE(idle_reports_the_rss_per_connection)
{
    SampleProcess sample(sample_path("pubsub"));
    auto run = run_loadgen(sample, {"idle", "--subscribers", "20"});
    BOOST_TEST_INFO("output: " << run.output);
    BOOST_TEST(run.exit_status == 0);
    BOOST_TEST_REQUIRE(!run.report.empty());
    BOOST_TEST(run.report.at("rss_per_connection_bytes").is_number());
    BOOST_TEST(run.report.at("delivered").is_null());
}

BOOST_AUTO_TEST_CASE(a_server_that_is_not_there_is_a_set_up_failure)
{
    auto result = run_to_end(loadgen_path(),
                             {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1",
                              "--rate", "1"},
                             std::chrono::seconds(30));
    BOOST_TEST(result.exit_status == 3, result.output);
    BOOST_TEST(result.output.find("cannot connect") != std::string::npos, result.output);
}

BOOST_AUTO_TEST_CASE(a_bad_command_line_is_a_usage_error)
{
    auto result = run_to_end(loadgen_path(), {"fanout", "--subscribers", "x"});
    BOOST_TEST(result.exit_status == 2, result.output);
    BOOST_TEST(result.output.find("Usage:") != std::string::npos, result.output);
}

BOOST_AUTO_TEST_SUITE_END()
