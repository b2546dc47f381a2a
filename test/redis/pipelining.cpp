// Pipelining: many commands waiting at once from several coroutines, each
// reply matched to its own command, and the commands sharing few writes.

#include "redis/redis_connection.hpp"

#include "redis_fixture.hpp"

#include "../support/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::detail::RedisConnection;
using ssekit::detail::RedisReply;
using ssekit::test::RedisFixture;

namespace {

struct Tally {
    std::size_t matched = 0;
    std::size_t mismatched = 0;
    std::size_t failed = 0;

    std::size_t done() const noexcept { return matched + mismatched + failed; }
};

asio::awaitable<void> echo_and_check(RedisConnection& redis, std::string value, Tally& tally)
{
    RedisReply reply = co_await redis.command("ECHO", value);
    if (reply.is_string() && reply.text() == value)
        ++tally.matched;
    else
        ++tally.mismatched;
}

/// Starts `count` ECHOs, each in a coroutine of its own waiting for its
/// reply; lets the executor run (the writer among others) every `burst`.
asio::awaitable<void> produce(RedisConnection& redis, int producer, int count, int burst, Tally& tally)
{
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < count; ++i) {
        std::string value = "p" + std::to_string(producer) + ":" + std::to_string(i) + "\r\n";
        asio::co_spawn(executor, echo_and_check(redis, std::move(value), tally), [&tally](std::exception_ptr e) {
            if (e)
                ++tally.failed;
        });
        if ((i + 1) % burst == 0)
            co_await asio::post(executor, asio::use_awaitable);
    }
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_pipelining, RedisFixture)

BOOST_AUTO_TEST_CASE(ten_thousand_commands_from_four_coroutines_each_get_their_own_reply_in_few_writes)
{
    constexpr int producers = 4;
    constexpr int per_producer = 2'500;
    constexpr std::size_t total = producers * per_producer;
    Tally tally;
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisConnection redis(executor);
        co_await redis.connect("127.0.0.1", server.port());

        for (int p = 0; p < producers; ++p)
            asio::co_spawn(executor, produce(redis, p, per_producer, 100, tally), [&tally](std::exception_ptr e) {
                if (e)
                    ++tally.failed;
            });
        BOOST_TEST(co_await ssekit::test::eventually([&] { return tally.done() == total; }, 20s));
        BOOST_TEST(tally.matched == total);
        BOOST_TEST(tally.mismatched == 0u);
        BOOST_TEST(tally.failed == 0u);
        BOOST_TEST(redis.pending_replies() == 0u);

        // The producers interleave bursts of 100 with the writer: more than
        // one write, and far fewer than one per command.
        BOOST_TEST_MESSAGE(total << " commands in " << redis.writes() << " writes");
        BOOST_TEST(redis.writes() > 1u);
        BOOST_TEST(redis.writes() <= total / 20);
    }());
}

BOOST_AUTO_TEST_CASE(commands_started_in_one_turn_of_the_executor_share_one_write)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisConnection redis(executor);
        co_await redis.connect("127.0.0.1", server.port());
        const auto writes_before = redis.writes();

        Tally tally;
        for (int i = 0; i < 1'000; ++i)
            redis.async_command({"ECHO", std::to_string(i)}, [&tally, i](boost::system::error_code ec, RedisReply reply) {
                if (ec)
                    ++tally.failed;
                else if (reply.is_string() && reply.text() == std::to_string(i))
                    ++tally.matched;
                else
                    ++tally.mismatched;
            });
        BOOST_TEST(redis.pending_replies() == 1'000u);
        BOOST_TEST(co_await ssekit::test::eventually([&] { return tally.done() == 1'000u; }));
        BOOST_TEST(tally.matched == 1'000u);
        BOOST_TEST(redis.writes() - writes_before == 1u);
    }());
}

BOOST_AUTO_TEST_SUITE_END()
