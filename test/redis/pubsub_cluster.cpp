// sample-pubsub --redis: two processes of the sample share topics through a
// redis-server of the test's own, and answer GET /ready as a load
// balancer's health check would want.

#include "redis_fixture.hpp"

#include "../samples/sample_process.hpp"
#include "../support/http_client.hpp"
#include "../support/wait.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::test::fetch;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::post_for_text;
using ssekit::test::post_request;
using ssekit::test::SampleProcess;

namespace {

asio::awaitable<unsigned> ready_status(std::uint16_t port)
{
    std::string request = get_request("/ready", {"Connection: close"});
    auto response = co_await fetch(port, request);
    co_return response.result_int();
}

/// Waits until GET /ready answers `status` (the check runs every second).
asio::awaitable<bool> ready_becomes(std::uint16_t port, unsigned status)
{
    co_return co_await ssekit::test::eventually_async(
        [port, status]() -> asio::awaitable<bool> { co_return co_await ready_status(port) == status; }, 10s, 50ms);
}

asio::awaitable<std::string> publish(std::uint16_t port, std::string_view body)
{
    return post_for_text(port, "/pub/news", body);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(pubsub_cluster, ssekit::test::RedisFixture)

BOOST_AUTO_TEST_CASE(two_samples_share_topics_and_are_ready_only_while_redis_delivers)
{
    const std::string redis = "127.0.0.1:" + std::to_string(server.port());
    SampleProcess one(ssekit::test::sample_path("pubsub"), {"--redis", redis});
    SampleProcess two(ssekit::test::sample_path("pubsub"), {"--redis", redis});
    run(
        [&]() -> asio::awaitable<void> {
            BOOST_REQUIRE(co_await ready_becomes(one.port(), 200));
            BOOST_REQUIRE(co_await ready_becomes(two.port(), 200));

            auto on_one = co_await HttpClient::open(one.port(), get_request("/sub/news"));
            const std::string first = co_await publish(two.port(), "from two");
            BOOST_TEST((co_await on_one.read_events(1))[0] == "id: " + first + "\ndata: from two");

            // The client comes back to the other server and misses nothing.
            const std::string second = co_await publish(one.port(), "while away");
            std::string resume = get_request("/sub/news", {"Last-Event-ID: " + first});
            auto on_two = co_await HttpClient::open(two.port(), resume);
            BOOST_TEST((co_await on_two.read_events(1))[0] == "id: " + second + "\ndata: while away");

            server.stop();
            BOOST_TEST(co_await ready_becomes(one.port(), 503));
            BOOST_TEST(co_await ready_becomes(two.port(), 503));
            auto refused = co_await fetch(two.port(), post_request("/pub/news", "nowhere"));
            BOOST_TEST(refused.result_int() == 503u);
            BOOST_TEST(refused["Retry-After"] == "1");

            server.restart();
            BOOST_TEST(co_await ready_becomes(one.port(), 200));
        }(),
        60s);
}

BOOST_AUTO_TEST_SUITE_END()
