// Smoke test of samples/tokens: a POST starts a stream of tokens, read by
// sample-sse-cat; a client that leaves midway stops the generation at once.

#include "sample_process.hpp"

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace ssekit::test;

namespace {

/// GET /stats, parsed.
asio::awaitable<boost::json::value> stats(std::uint16_t port)
{
    std::string request = get_request("/stats", {"Connection: close"});
    auto response = co_await fetch(port, request);
    co_return boost::json::parse(response.body());
}

std::uint64_t counter(const boost::json::value& stats, std::string_view name)
{
    return stats.at(name).to_number<std::uint64_t>();
}

} // namespace

BOOST_AUTO_TEST_SUITE(tokens)

BOOST_AUTO_TEST_CASE(sse_cat_posts_a_prompt_and_prints_each_token_then_done)
{
    SampleProcess server(sample_path("tokens"));
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/generate";
    auto result = run_to_end(sample_path("sse_cat"),
                             {"--data", R"({"prompt": "hello", "tokens": 4, "interval_ms": 1})", "--header",
                              "Content-Type: application/json", "--once", url},
                             30s);
    BOOST_TEST(result.exit_status == 0, result.output);
    const auto lines = lines_of(result.output);
    const std::vector<std::string> expected{
        R"({"event":"message","id":"","data":"{\"index\":0,\"token\":\"Server-Sent\"}"})",
        R"({"event":"message","id":"","data":"{\"index\":1,\"token\":\" Events\"}"})",
        R"({"event":"message","id":"","data":"{\"index\":2,\"token\":\" carry\"}"})",
        R"({"event":"message","id":"","data":"{\"index\":3,\"token\":\" each\"}"})",
        R"({"event":"done","id":"","data":"{\"tokens\":4}"})"};
    BOOST_TEST(lines == expected, result.output);

    asio::io_context io;
    const auto counters = run_awaitable(io, stats(server.port()));
    BOOST_TEST(counter(counters, "finished") == 1u);
    BOOST_TEST(counter(counters, "cancelled") == 0u);
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_midway_stops_the_generation_at_once)
{
    SampleProcess server(sample_path("tokens"));
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        // 1,000 tokens 20 ms apart: 20 s if nothing stopped it.
        std::string request = post_request("/generate", R"({"prompt": "long", "tokens": 1000, "interval_ms": 20})");
        HttpClient client = co_await HttpClient::open(server.port(), request);
        BOOST_TEST(client.response().result_int() == 200u);
        BOOST_TEST(counter(co_await stats(server.port()), "generating") == 1u);
        co_await client.read_events(3);
        client.close();

        // Cancelled at its next wait or send: well within a second.
        BOOST_TEST(co_await eventually_async(
            [&]() -> asio::awaitable<bool> {
                const auto now = co_await stats(server.port());
                co_return counter(now, "generating") == 0u && counter(now, "cancelled") == 1u;
            },
            1s));
        BOOST_TEST(counter(co_await stats(server.port()), "finished") == 0u);
    }());
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_a_prompt_gets_400_and_no_stream)
{
    SampleProcess server(sample_path("tokens"));
    const std::vector<std::string> bad_bodies{"not json", R"(["prompt"])", R"({"tokens": 3})", R"({"prompt": 3})",
                                              R"({"prompt": "x", "tokens": 0})",
                                              R"({"prompt": "x", "interval_ms": -1})"};
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        for (const std::string& body : bad_bodies) {
            auto response = co_await fetch(server.port(), post_request("/generate", body));
            BOOST_TEST(response.result_int() == 400u, body);
        }
        const auto counters = co_await stats(server.port());
        BOOST_TEST(counter(counters, "generating") + counter(counters, "finished") + counter(counters, "cancelled") ==
                   0u);
    }());
}

BOOST_AUTO_TEST_SUITE_END()
