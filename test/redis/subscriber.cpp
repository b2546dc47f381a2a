// RedisSubscriber: confirmed subscriptions, every message in order and
// unchanged, unsubscribe that stops them, and the ways a subscriber ends.

#include "redis/redis_subscriber.hpp"

#include "redis_fixture.hpp"

#include "../support/wait.hpp"

#include "redis/redis_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace std::string_literals;
using boost::system::error_code;
using ssekit::redis_error;
using ssekit::detail::RedisConnection;
using ssekit::detail::RedisMessage;
using ssekit::detail::RedisSubscriber;
using ssekit::detail::RedisSubscriberOptions;
using ssekit::test::eventually;
using ssekit::test::RedisFixture;

namespace ssekit::detail {

std::ostream& boost_test_print_type(std::ostream& os, const RedisMessage& message)
{
    return os << '{' << message.channel << ", " << message.payload.size() << " bytes}";
}

} // namespace ssekit::detail

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<long long> publish(RedisConnection& redis, std::string_view channel, std::string_view payload)
{
    co_return (co_await redis.command("PUBLISH", channel, payload)).integer();
}

/// The next message as "channel: payload"; a string, which g++ 12 handles
/// inside co_await (an aggregate temporary there is destroyed twice).
asio::awaitable<std::string> next_message(RedisSubscriber& subscriber)
{
    RedisMessage message = co_await subscriber.receive();
    co_return message.channel + ": " + message.payload;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_subscriber, RedisFixture)

BOOST_AUTO_TEST_CASE(a_subscriber_receives_exactly_the_published_payloads_in_order_unchanged)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisSubscriber subscriber(executor);
        RedisConnection publisher(executor);
        co_await subscriber.connect("127.0.0.1", server.port());
        co_await publisher.connect("127.0.0.1", server.port());

        // Confirmed before subscribe() returns: the first publish reaches it.
        co_await subscriber.subscribe("topic:a");
        std::vector<std::string> payloads;
        for (int i = 0; i < 200; ++i)
            payloads.push_back("id: " + std::to_string(i) + "\r\ndata: \0\n\n"s);
        payloads.push_back(std::string(256 * 1024, 'p'));
        for (const auto& payload : payloads)
            BOOST_TEST(co_await publish(publisher, "topic:a", payload) == 1);

        for (std::size_t i = 0; i < payloads.size(); ++i) {
            RedisMessage message = co_await subscriber.receive();
            BOOST_TEST(message.channel == "topic:a");
            BOOST_TEST((message.payload == payloads[i]), "message " << i);
        }
        BOOST_TEST(subscriber.queued_bytes() == 0u);
    }());
}

BOOST_AUTO_TEST_CASE(after_unsubscribe_returns_no_message_of_that_channel_arrives)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisSubscriber subscriber(executor);
        RedisConnection publisher(executor);
        co_await subscriber.connect("127.0.0.1", server.port());
        co_await publisher.connect("127.0.0.1", server.port());
        co_await subscriber.subscribe("a");
        co_await subscriber.subscribe("b");

        BOOST_TEST(co_await publish(publisher, "a", "a1") == 1);
        co_await subscriber.unsubscribe("a");
        BOOST_TEST(co_await publish(publisher, "a", "a2") == 0); // nobody listens to `a` any more
        BOOST_TEST(co_await publish(publisher, "b", "b1") == 1);

        // What was received before unsubscribe() stays; then only `b`.
        BOOST_TEST(co_await next_message(subscriber) == "a: a1");
        BOOST_TEST(co_await next_message(subscriber) == "b: b1");

        // A channel can be subscribed to again.
        co_await subscriber.subscribe("a");
        BOOST_TEST(co_await publish(publisher, "a", "a3") == 1);
        BOOST_TEST(co_await next_message(subscriber) == "a: a3");
    }());
}

BOOST_AUTO_TEST_CASE(connection_loss_reaches_the_receiver_after_the_messages_already_queued)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisSubscriber subscriber(executor);
        RedisConnection publisher(executor);
        co_await subscriber.connect("127.0.0.1", server.port());
        co_await publisher.connect("127.0.0.1", server.port());
        co_await subscriber.subscribe("a");

        co_await publish(publisher, "a", "1");
        co_await publish(publisher, "a", "2");
        BOOST_TEST(co_await eventually([&] { return subscriber.queued_bytes() == 4u; }));
        server.kill();
        BOOST_TEST(co_await eventually([&] { return !subscriber.is_open(); }, 5s));

        BOOST_TEST(co_await next_message(subscriber) == "a: 1");
        BOOST_TEST(co_await next_message(subscriber) == "a: 2");
        auto [ec, message] = co_await subscriber.async_receive(use_tuple);
        BOOST_TEST(ec == redis_error::connection_lost);
        auto [subscribe_error] = co_await asio::co_spawn(executor, subscriber.subscribe("b"), use_tuple);
        BOOST_TEST(static_cast<bool>(subscribe_error));
    }());
}

BOOST_AUTO_TEST_CASE(a_waiting_receiver_learns_of_the_connection_loss_at_once)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisSubscriber subscriber(executor);
        co_await subscriber.connect("127.0.0.1", server.port());
        co_await subscriber.subscribe("a");

        std::optional<error_code> received;
        subscriber.async_receive([&](error_code ec, RedisMessage) { received = ec; });
        server.kill();
        BOOST_TEST(co_await eventually([&] { return received.has_value(); }, 5s));
        BOOST_TEST(*received == redis_error::connection_lost);
    }());
}

BOOST_AUTO_TEST_CASE(messages_past_the_queue_bound_end_the_subscriber_with_receive_queue_full)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisSubscriberOptions options;
        options.max_queued_bytes = 100;
        RedisSubscriber subscriber(executor, options);
        RedisConnection publisher(executor);
        co_await subscriber.connect("127.0.0.1", server.port());
        co_await publisher.connect("127.0.0.1", server.port());
        co_await subscriber.subscribe("c");

        const std::string payload(39, 'x'); // 40 bytes with the channel
        for (int i = 0; i < 3; ++i)
            co_await publish(publisher, "c", payload);
        BOOST_TEST(co_await eventually([&] { return !subscriber.is_open(); }, 5s));

        // The two that fit, then the gap, announced.
        BOOST_TEST((co_await subscriber.receive()).payload == payload);
        BOOST_TEST((co_await subscriber.receive()).payload == payload);
        auto [ec, message] = co_await subscriber.async_receive(use_tuple);
        BOOST_TEST(ec == redis_error::receive_queue_full);
    }());
}

BOOST_AUTO_TEST_CASE(a_cancelled_receive_takes_no_message)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisSubscriber subscriber(executor);
        RedisConnection publisher(executor);
        co_await subscriber.connect("127.0.0.1", server.port());
        co_await publisher.connect("127.0.0.1", server.port());
        co_await subscriber.subscribe("d");

        asio::steady_timer impatience(executor, 10ms);
        auto [order, ec, message, timer_ec] =
            co_await asio::experimental::make_parallel_group(subscriber.async_receive(asio::deferred),
                                                             impatience.async_wait(asio::deferred))
                .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
        BOOST_TEST(order[0] == 1u);
        BOOST_TEST(ec == asio::error::operation_aborted);

        co_await publish(publisher, "d", "kept");
        BOOST_TEST(co_await next_message(subscriber) == "d: kept");
    }());
}

BOOST_AUTO_TEST_CASE(destroying_a_subscriber_ends_a_waiting_receive_with_operation_aborted)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        std::optional<error_code> received;
        {
            RedisSubscriber subscriber(executor);
            co_await subscriber.connect("127.0.0.1", server.port());
            co_await subscriber.subscribe("e");
            subscriber.async_receive([&](error_code ec, RedisMessage) { received = ec; });
        }
        BOOST_TEST(co_await eventually([&] { return received.has_value(); }));
        BOOST_TEST(*received == asio::error::operation_aborted);
    }());
}

BOOST_AUTO_TEST_CASE(a_second_receive_while_one_waits_fails_with_already_started)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisSubscriber subscriber(executor);
        co_await subscriber.connect("127.0.0.1", server.port());
        co_await subscriber.subscribe("f");
        std::optional<error_code> first;
        subscriber.async_receive([&](error_code ec, RedisMessage) { first = ec; });
        auto [ec, message] = co_await subscriber.async_receive(use_tuple);
        BOOST_TEST(ec == asio::error::already_started);
        BOOST_TEST(!first.has_value());
    }());
}

BOOST_AUTO_TEST_SUITE_END()
