// What every sample shares: its command line and a clean stop on signals.

#include "sample_process.hpp"

#include "support/http_client.hpp"
#include "support/run.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace data = boost::unit_test::data;
using namespace ssekit::test;

namespace {

const char* const sample_names[] = {"events", "heartbeat", "json", "demo", "tokens", "chat", "jobs"};

} // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_DATA_TEST_CASE(prints_the_listening_address_first, data::make(sample_names), name)
{
    SampleProcess sample(sample_path(name));
    BOOST_TEST(sample.first_line() == "listening on http://127.0.0.1:" + std::to_string(sample.port()));
}

BOOST_DATA_TEST_CASE(exits_0_on_sigterm, data::make(sample_names), name)
{
    SampleProcess sample(sample_path(name));
    BOOST_TEST(sample.stop(SIGTERM) == 0);
}

BOOST_DATA_TEST_CASE(exits_0_on_sigint, data::make(sample_names), name)
{
    SampleProcess sample(sample_path(name));
    BOOST_TEST(sample.stop(SIGINT) == 0);
}

BOOST_DATA_TEST_CASE(prints_usage_and_exits_2_on_a_bad_port, data::make(sample_names), name)
{
    auto result = run_to_end(sample_path(name), {"--port", "notanumber"});
    BOOST_TEST(result.exit_status == 2);
    BOOST_TEST(result.output.find("usage: sample-" + std::string(name)) != std::string::npos, result.output);
    BOOST_TEST(result.output.find("notanumber") != std::string::npos, result.output);
}

BOOST_DATA_TEST_CASE(prints_usage_and_exits_2_on_an_unknown_argument, data::make(sample_names), name)
{
    auto result = run_to_end(sample_path(name), {"--verbose"});
    BOOST_TEST(result.exit_status == 2);
    BOOST_TEST(result.output.find("usage: sample-" + std::string(name)) != std::string::npos, result.output);
}

BOOST_DATA_TEST_CASE(help_prints_usage_and_exits_0, data::make(sample_names), name)
{
    auto result = run_to_end(sample_path(name), {"--help"});
    BOOST_TEST(result.exit_status == 0);
    BOOST_TEST(result.output.find("--port PORT") != std::string::npos, result.output);
}

BOOST_DATA_TEST_CASE(prints_usage_and_exits_2_on_zero_threads, data::make(sample_names), name)
{
    auto result = run_to_end(sample_path(name), {"--threads", "0"});
    BOOST_TEST(result.exit_status == 2);
    BOOST_TEST(result.output.find("--threads wants a number from 1") != std::string::npos, result.output);
}

BOOST_DATA_TEST_CASE(prints_usage_and_exits_2_on_a_bad_drain_time, data::make(sample_names), name)
{
    for (std::string bad : {"-1", "3601", "ten"}) {
        auto result = run_to_end(sample_path(name), {"--drain-seconds", bad});
        BOOST_TEST(result.exit_status == 2, name << " " << bad);
        BOOST_TEST(result.output.find("--drain-seconds wants a number from 0 to 3600") != std::string::npos,
                   result.output);
    }
}

BOOST_DATA_TEST_CASE(exits_0_on_sigterm_without_a_drain_time, data::make(sample_names), name)
{
    SampleProcess sample(sample_path(name), {"--drain-seconds", "0"});
    BOOST_TEST(sample.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(only_pubsub_and_demo_take_redis_and_only_as_host_and_port)
{
    auto events = run_to_end(sample_path("events"), {"--redis", "127.0.0.1:6379"});
    BOOST_TEST(events.exit_status == 2);
    BOOST_TEST(events.output.find("unknown argument '--redis'") != std::string::npos, events.output);
    if (!SSEKIT_SAMPLES_REDIS)
        return; // built without hiredis: pubsub and demo do not take it either
    for (std::string name : {"pubsub", "demo"}) {
        for (std::string bad : {"127.0.0.1", "127.0.0.1:0", ":6379", "127.0.0.1:http"}) {
            auto result = run_to_end(sample_path(name), {"--redis", bad});
            BOOST_TEST(result.exit_status == 2, name << " " << bad);
            BOOST_TEST(result.output.find("--redis wants HOST:PORT") != std::string::npos, result.output);
        }
    }
}

BOOST_AUTO_TEST_CASE(serves_on_several_threads)
{
    SampleProcess sample(sample_path("events"), {"--threads", "3"});
    auto body = stream_body(sample.port(), get_request("/events"));
    BOOST_TEST(body.complete);
    BOOST_TEST(body.body.find("data: this is SSE #5") != std::string::npos, body.body);
}

namespace {

// One stream holds the only connection allowed; a second request is refused.
asio::awaitable<unsigned> status_beside_one_open_stream(std::uint16_t port)
{
    auto stream = co_await HttpClient::open(port, get_request("/sub/held"));
    std::string request = get_request("/stats", {"Connection: close"});
    auto refused = co_await fetch(port, request);
    co_return refused.result_int();
}

} // namespace

BOOST_AUTO_TEST_CASE(max_connections_refuses_the_connection_over_the_limit)
{
    SampleProcess sample(sample_path("pubsub"), {"--max-connections", "1"});
    asio::io_context io;
    BOOST_TEST(run_awaitable(io, status_beside_one_open_stream(sample.port())) == 503u);
}

BOOST_AUTO_TEST_SUITE_END()
