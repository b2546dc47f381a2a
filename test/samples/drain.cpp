// Every sample drains on its first SIGTERM: an open stream gets the farewell
// (`event: drain` with a `retry:`) and a clean end, and the program exits 0
// within --drain-seconds.

#include "sample_process.hpp"

#include "support/http_client.hpp"
#include "support/run.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <string>

namespace asio = boost::asio;
using namespace ssekit::test;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(drain)

BOOST_AUTO_TEST_CASE(sigterm_sends_open_streams_the_farewell_and_exits_0_within_drain_seconds)
{
    SampleProcess sample(sample_path("heartbeat"), {"--drain-seconds", "3"});
    asio::io_context io;
    const auto signalled = std::chrono::steady_clock::now();
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/heartbeat"));
            co_await client.read_events(1);
            sample.signal(SIGTERM);
            const std::string rest = co_await client.read_body_to_end();
            BOOST_TEST(client.message_complete());
            const auto farewell = rest.rfind("event: drain\nretry: ");
            BOOST_TEST(farewell != std::string::npos, rest);
            BOOST_TEST(rest.ends_with("\n\n"));
            BOOST_TEST(co_await client.wait_closed());
        }(),
        5s);
    BOOST_TEST(sample.wait_for_exit(3s) == 0);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
    BOOST_TEST(took.count() < 3000);
}

BOOST_AUTO_TEST_CASE(a_second_signal_stops_at_once)
{
    SampleProcess sample(sample_path("heartbeat"), {"--drain-seconds", "60"});
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/heartbeat"));
            co_await client.read_events(1);
            sample.signal(SIGTERM);
            // The drain has begun once the listener is closed; the stream
            // would get its farewell a second later (the handler's grace).
            auto listener_closed = [&]() -> asio::awaitable<bool> {
                for (int attempt = 0; attempt < 200; ++attempt) {
                    try {
                        auto probe = co_await HttpClient::connect(sample.port());
                    } catch (const boost::system::system_error&) {
                        co_return true;
                    }
                    asio::steady_timer pause(co_await asio::this_coro::executor, 2ms);
                    co_await pause.async_wait(asio::use_awaitable);
                }
                co_return false;
            };
            BOOST_REQUIRE(co_await listener_closed());
            sample.signal(SIGTERM);
            const std::string rest = co_await client.read_body_to_end();
            BOOST_TEST(rest.find("event: drain") == std::string::npos, rest);
        }(),
        5s);
    BOOST_TEST(sample.wait_for_exit(5s) == 0);
}

BOOST_AUTO_TEST_CASE(drain_seconds_0_stops_at_once_without_a_farewell)
{
    SampleProcess sample(sample_path("heartbeat"), {"--drain-seconds", "0"});
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/heartbeat"));
            co_await client.read_events(1);
            sample.signal(SIGTERM);
            const std::string rest = co_await client.read_body_to_end();
            BOOST_TEST(rest.find("event: drain") == std::string::npos, rest);
        }(),
        5s);
    BOOST_TEST(sample.wait_for_exit(5s) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
