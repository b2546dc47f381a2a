// Smoke test of samples/events: Ktor's example over a real socket.

#include "sample_process.hpp"

#include "support/http_client.hpp"
#include "support/run.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace ssekit::test;

BOOST_AUTO_TEST_SUITE(events)

BOOST_AUTO_TEST_CASE(sends_six_events_then_ends_the_response)
{
    SampleProcess sample(sample_path("events"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/events"));
            const auto& head = client.response();
            BOOST_TEST(head.result_int() == 200u);
            BOOST_TEST(head[http::field::content_type] == "text/event-stream");
            BOOST_TEST(head[http::field::cache_control] == "no-store");
            BOOST_TEST(head["X-Accel-Buffering"] == "no");

            auto events = co_await client.read_events(6);
            for (std::size_t i = 0; i < events.size(); ++i)
                BOOST_TEST(events[i] == "data: this is SSE #" + std::to_string(i));

            // The handler returned: the chunked body ends with nothing more.
            std::string rest = co_await client.read_body_to_end();
            BOOST_TEST(rest == "");
            BOOST_TEST(client.message_complete());
        }(),
        std::chrono::seconds(30)); // five one-second pauses
}

BOOST_AUTO_TEST_SUITE_END()
