// Smoke test of samples/demo: the page and the routes it reuses.

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
    for (const char* path : {"\"/events\"", "\"/heartbeat\"", "\"/json\""})
        BOOST_TEST(page.find(path) != std::string::npos, "the page opens " << path);
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
