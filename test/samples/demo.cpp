// Smoke test of samples/demo: the page and the routes it reuses. The page
// itself runs in Chromium in test/browser.

#include "sample_process.hpp"

#include "support/http_client.hpp"
#include "support/run.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace ssekit::test;

BOOST_AUTO_TEST_SUITE(demo)

BOOST_AUTO_TEST_CASE(serves_a_page_that_uses_event_source)
{
    SampleProcess sample(sample_path("demo"));
    asio::io_context io;
    auto response = run_awaitable(io, fetch(sample.port(), get_request("/")));
    BOOST_TEST(response.result_int() == 200u);
    BOOST_TEST(response[http::field::content_type].starts_with("text/html"));
    const std::string& page = response.body();
    BOOST_TEST(page.find("EventSource") != std::string::npos);
    for (const char* path : {"\"/events\"", "\"/heartbeat\"", "\"/json\"", "\"/sub/\"", "\"/pub/\"", "\"/stats\""})
        BOOST_TEST(page.find(path) != std::string::npos, "the page uses " << path);
    BOOST_TEST(page.find("last_event_id") != std::string::npos, "a reloaded page asks for the events it missed");
}

BOOST_AUTO_TEST_CASE(serves_the_board_topics_too)
{
    SampleProcess sample(sample_path("demo"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto subscriber = co_await HttpClient::open(sample.port(), get_request("/sub/board"));
            BOOST_TEST(subscriber.response()[http::field::content_type] == "text/event-stream");

            std::string post = "POST /pub/board HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello";
            auto published = co_await fetch(sample.port(), post);
            BOOST_TEST(published.result_int() == 200u);
            const std::string id = published.body().substr(0, published.body().find('\n'));
            BOOST_TEST(id.ends_with("-1")); // EPOCH-OFFSET
            auto events = co_await subscriber.read_events(1);
            BOOST_TEST(events[0] == "id: " + id + "\ndata: hello");

            auto stats = co_await fetch(sample.port(), get_request("/stats"));
            BOOST_TEST(stats.body().find(R"("board":{"subscribers":1,"published":1,)") != std::string::npos,
                       stats.body());
        }());
}

BOOST_AUTO_TEST_CASE(serves_the_json_stream_too)
{
    SampleProcess sample(sample_path("demo"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/json"));
            auto events = co_await client.read_events(2);
            BOOST_TEST(events[0] == R"(data: {"id":0,"firstName":"Jet","lastName":"Brains"})");
            BOOST_TEST(events[1] == R"(data: {"id":0,"prices":[100,200]})");
            co_await client.read_body_to_end();
            BOOST_TEST(client.message_complete());
        }());
}

BOOST_AUTO_TEST_CASE(serves_the_heartbeat_stream_too)
{
    SampleProcess sample(sample_path("demo"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto client = co_await HttpClient::open(sample.port(), get_request("/heartbeat"));
            for (const auto& event : co_await client.read_events(3))
                BOOST_TEST(event == "data: heartbeat");
        }());
}

BOOST_AUTO_TEST_CASE(answers_404_for_other_paths)
{
    SampleProcess sample(sample_path("demo"));
    asio::io_context io;
    auto response = run_awaitable(io, fetch(sample.port(), get_request("/nothing-here")));
    BOOST_TEST(response.result_int() == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
