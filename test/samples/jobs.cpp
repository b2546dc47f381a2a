// Smoke test of samples/jobs: a job's progress stream ends with `done`, a
// client that comes after the end gets `done`, and one that reconnects after
// `done` gets 204, which stops sample-sse-cat as it stops a browser's
// EventSource.

#include "sample_process.hpp"

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using namespace ssekit::test;

namespace {

/// Starts a job; returns the path of its progress (the Location answered).
asio::awaitable<std::string> start_job(std::uint16_t port, std::string_view query)
{
    auto response = co_await fetch(port, post_request("/jobs?" + std::string(query), ""));
    BOOST_TEST(response.result_int() == 201u, response.body());
    co_return std::string(response[http::field::location]);
}

/// The id line of an event's text ("id: X"), without "id: ".
std::string id_of(const std::string& event)
{
    const auto at = event.find("id: ");
    return event.substr(at + 4, event.find('\n', at) - at - 4);
}

} // namespace

BOOST_AUTO_TEST_SUITE(jobs)

BOOST_AUTO_TEST_CASE(the_progress_ends_with_done_and_a_reconnect_after_it_gets_204)
{
    SampleProcess sample(sample_path("jobs"));
    const std::uint16_t port = sample.port();
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        const std::string progress = co_await start_job(port, "steps=3&interval_ms=20");
        BOOST_TEST(progress == "/jobs/1/progress");

        HttpClient live = co_await HttpClient::open(port, get_request(progress));
        const auto events = co_await live.read_events(4);
        BOOST_TEST(events[0].starts_with("event: progress\nid: "));
        BOOST_TEST(events[0].ends_with("\ndata: {\"step\":1,\"of\":3}"));
        BOOST_TEST(events[2].ends_with("\ndata: {\"step\":3,\"of\":3}"));
        BOOST_TEST(events[3].starts_with("event: done\nid: "));
        BOOST_TEST(events[3].ends_with("\ndata: {\"result\":\"job 1 done\"}"));
        // ...and the stream ends with the job.
        BOOST_TEST(co_await live.read_body_to_end() == "");
        BOOST_TEST(live.message_complete());

        // A client that saw `done` and reconnects is told to stop.
        std::vector<std::string> after_done{"Last-Event-ID: " + id_of(events[3]), "Connection: close"};
        auto again = co_await fetch(port, get_request(progress, after_done));
        BOOST_TEST(again.result_int() == 204u);

        // A client that comes after the end gets the result, whose id
        // makes its next reconnect a 204.
        std::vector<std::string> late{"Connection: close"};
        const StreamBody result = co_await read_stream(port, get_request(progress, late));
        BOOST_TEST(result.complete);
        BOOST_TEST(result.body == events[3] + "\n\n");
    }());
}

BOOST_AUTO_TEST_CASE(sse_cat_without_once_stops_at_the_204_after_done)
{
    SampleProcess sample(sample_path("jobs"));
    asio::io_context io;
    const std::string progress = run_awaitable(io, start_job(sample.port(), "steps=2&interval_ms=500"));
    const std::string url = "http://127.0.0.1:" + std::to_string(sample.port()) + progress;
    // Reconnects after the stream ends (3 s, the client's default), gets 204, exits 0.
    auto result = run_to_end(sample_path("sse_cat"), {url}, 30s);
    BOOST_TEST(result.exit_status == 0, result.output);
    // Every step it was there for (all, unless this machine was slow to start
    // it), then the result once.
    const auto lines = lines_of(result.output);
    BOOST_REQUIRE(!lines.empty());
    BOOST_TEST(lines.size() <= 3u, result.output);
    for (std::size_t i = 0; i + 1 < lines.size(); ++i)
        BOOST_TEST(lines[i].starts_with(R"({"event":"progress")"), lines[i]);
    BOOST_TEST(lines.back().starts_with(R"({"event":"done")"), lines.back());
}

BOOST_AUTO_TEST_CASE(an_unknown_job_is_404_and_bad_parameters_400)
{
    SampleProcess sample(sample_path("jobs"));
    const std::uint16_t port = sample.port();
    const std::vector<std::string> close{"Connection: close"};
    const std::vector<std::string> bad_queries{"steps=0", "steps=101", "steps=x", "interval_ms=-1", "interval_ms=60001"};
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto unknown = co_await fetch(port, get_request("/jobs/42/progress", close));
        BOOST_TEST(unknown.result_int() == 404u);
        for (const std::string& query : bad_queries) {
            auto response = co_await fetch(port, post_request("/jobs?" + query, ""));
            BOOST_TEST(response.result_int() == 400u, query);
        }
    }());
}

BOOST_AUTO_TEST_SUITE_END()
