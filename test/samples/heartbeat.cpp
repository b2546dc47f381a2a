// Smoke test of samples/heartbeat.

#include "sample_process.hpp"

#include "support/http_client.hpp"
#include "support/run.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <string>

namespace asio = boost::asio;
using namespace ssekit::test;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(heartbeat)

BOOST_AUTO_TEST_CASE(beats_several_times_within_a_second)
{
    SampleProcess sample(sample_path("heartbeat"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/heartbeat"));
            BOOST_TEST(client.response().result_int() == 200u);
            for (const auto& event : co_await client.read_events(5))
                BOOST_TEST(event == "data: heartbeat");
        }(),
        1s);
}

BOOST_AUTO_TEST_CASE(sigterm_ends_open_streams_and_the_program)
{
    SampleProcess sample(sample_path("heartbeat"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/heartbeat"));
            co_await client.read_events(1);

            // Blocks this coroutine's thread on purpose: the client only
            // needs its socket to buffer until it reads again.
            BOOST_TEST(sample.stop(SIGTERM) == 0);
            bool closed = co_await client.wait_closed();
            BOOST_TEST(closed);
        }());
}

BOOST_AUTO_TEST_SUITE_END()
