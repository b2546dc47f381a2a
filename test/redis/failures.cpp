// What goes wrong: Redis killed while commands wait, the connection destroyed
// while commands wait, and the bound on what may wait.

#include "redis/redis_connection.hpp"

#include "redis_fixture.hpp"

#include "../support/wait.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using ssekit::redis_error;
using ssekit::detail::RedisCommand;
using ssekit::detail::RedisConnection;
using ssekit::detail::RedisConnectionOptions;
using ssekit::detail::RedisReply;
using ssekit::test::blocked_clients_become;
using ssekit::test::eventually;
using ssekit::test::RedisFixture;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// How each of a batch of commands ended, in the order they were started.
struct Outcomes {
    std::vector<std::optional<error_code>> codes;

    bool all_done() const
    {
        for (const auto& code : codes)
            if (!code)
                return false;
        return true;
    }
};

/// Starts `args` without waiting for it; its error (or none) lands in `outcomes`.
void start(RedisConnection& redis, std::initializer_list<std::string_view> args, Outcomes& outcomes)
{
    const std::size_t slot = outcomes.codes.size();
    outcomes.codes.emplace_back();
    redis.async_command(args, [&outcomes, slot](error_code ec, RedisReply) { outcomes.codes[slot] = ec; });
}

/// A BLPOP that Redis holds, then `echoes` ECHOs queued behind it: all
/// waiting, and known to be, once Redis counts the blocked client.
asio::awaitable<void> start_waiting_commands(RedisConnection& redis, RedisConnection& observer, int echoes,
                                             Outcomes& outcomes)
{
    start(redis, {"BLPOP", "never", "0"}, outcomes);
    for (int i = 0; i < echoes; ++i)
        start(redis, {"ECHO", "queued"}, outcomes);
    BOOST_TEST(co_await eventually([&] { return redis.writes() >= 1u; }));
    BOOST_TEST(co_await blocked_clients_become(observer, 1));
    BOOST_TEST(!outcomes.all_done());
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_failures, RedisFixture)

BOOST_AUTO_TEST_CASE(redis_killed_fails_every_waiting_and_later_command_with_connection_lost_then_a_new_connection_works)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisConnection redis(executor);
        co_await redis.connect("127.0.0.1", server.port());
        Outcomes outcomes;
        {
            RedisConnection observer(executor);
            co_await observer.connect("127.0.0.1", server.port());
            co_await start_waiting_commands(redis, observer, 5, outcomes);
        }

        const auto killed = std::chrono::steady_clock::now();
        server.kill();
        BOOST_TEST(co_await eventually([&] { return outcomes.all_done(); }, 5s));
        BOOST_TEST((std::chrono::steady_clock::now() - killed < 2s));
        for (const auto& code : outcomes.codes)
            BOOST_TEST(*code == redis_error::connection_lost);
        BOOST_TEST(!redis.is_open());

        auto [later_ec, later] = co_await redis.async_command(RedisCommand("PING"), use_tuple);
        BOOST_TEST(later_ec == redis_error::connection_lost);

        server.restart();
        RedisConnection again(executor);
        co_await again.connect("127.0.0.1", server.port());
        BOOST_TEST((co_await again.command("PING")) == RedisReply::make_status("PONG"));
    }());
}

BOOST_AUTO_TEST_CASE(destroying_a_connection_completes_its_waiting_commands_with_operation_aborted)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisConnection observer(executor);
        co_await observer.connect("127.0.0.1", server.port());
        Outcomes outcomes;
        {
            RedisConnection redis(executor);
            co_await redis.connect("127.0.0.1", server.port());
            co_await start_waiting_commands(redis, observer, 5, outcomes);
        } // destroyed here, with six commands waiting
        BOOST_TEST(!outcomes.all_done()); // completions come through the executor, after the destructor
        BOOST_TEST(co_await eventually([&] { return outcomes.all_done(); }, 5s));
        for (const auto& code : outcomes.codes)
            BOOST_TEST(*code == asio::error::operation_aborted);

        // Redis saw the connection go: its BLPOP is no longer blocked.
        BOOST_TEST(co_await blocked_clients_become(observer, 0));
    }());
}

BOOST_AUTO_TEST_CASE(destroying_a_connection_while_it_connects_ends_the_connect_with_operation_aborted)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        std::optional<error_code> connect_result;
        {
            RedisConnection redis(executor);
            asio::co_spawn(executor, redis.connect("127.0.0.1", server.port()), [&](std::exception_ptr e) {
                connect_result = error_code();
                try {
                    if (e)
                        std::rethrow_exception(e);
                } catch (const boost::system::system_error& error) {
                    connect_result = error.code();
                }
            });
        }
        BOOST_TEST(co_await eventually([&] { return connect_result.has_value(); }, 5s));
        BOOST_TEST(*connect_result == asio::error::operation_aborted);
    }());
}

BOOST_AUTO_TEST_CASE(past_the_bound_on_pending_replies_a_command_fails_at_once_with_queue_full)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisConnectionOptions options;
        options.max_pending_replies = 3;
        RedisConnection redis(executor, options);
        co_await redis.connect("127.0.0.1", server.port());
        RedisConnection observer(executor);
        co_await observer.connect("127.0.0.1", server.port());

        Outcomes outcomes;
        co_await start_waiting_commands(redis, observer, 2, outcomes); // 3 waiting: the bound

        // Fails while BLPOP still holds the others: it did not wait for them.
        auto [ec, reply] = co_await redis.async_command(RedisCommand("ECHO", "one too many"), use_tuple);
        BOOST_TEST(ec == redis_error::queue_full);
        BOOST_TEST(!outcomes.all_done());
        BOOST_TEST(redis.pending_replies() == 3u);

        // Once the replies come, there is room again.
        co_await observer.command("RPUSH", "never", "x");
        BOOST_TEST(co_await eventually([&] { return outcomes.all_done(); }));
        for (const auto& code : outcomes.codes)
            BOOST_TEST(!*code);
        BOOST_TEST((co_await redis.command("ECHO", "room")) == RedisReply::make_string("room"));
    }());
}

BOOST_AUTO_TEST_CASE(past_the_bound_on_unwritten_bytes_a_command_fails_at_once_with_queue_full)
{
    run([&]() -> asio::awaitable<void> {
        RedisConnectionOptions options;
        options.max_unwritten_bytes = 64 * 1024;
        RedisConnection redis(co_await asio::this_coro::executor, options);
        co_await redis.connect("127.0.0.1", server.port());

        // Larger than the bound on its own.
        auto [big_ec, big] = co_await redis.async_command(RedisCommand("SET", "big", std::string(100 * 1024, 'b')), use_tuple);
        BOOST_TEST(big_ec == redis_error::queue_full);

        // Started in one turn, so none is written yet: the ones past 64 KiB fail.
        Outcomes outcomes;
        const std::string value(10 * 1024, 'v');
        for (int i = 0; i < 10; ++i)
            start(redis, {"SET", "k" + std::to_string(i), value}, outcomes);
        BOOST_TEST(co_await eventually([&] { return outcomes.all_done(); }));
        int refused = 0;
        for (const auto& code : outcomes.codes) {
            if (*code == redis_error::queue_full)
                ++refused;
            else
                BOOST_TEST(!*code);
        }
        BOOST_TEST(refused == 4); // six of 10 KiB and a few bytes each fit in 64 KiB
        BOOST_TEST((co_await redis.command("DBSIZE")).integer() == 6);
    }());
}

BOOST_AUTO_TEST_CASE(redis_closing_the_connection_fails_the_commands_behind_with_connection_lost)
{
    run([&]() -> asio::awaitable<void> {
        RedisConnection redis(co_await asio::this_coro::executor);
        co_await redis.connect("127.0.0.1", server.port());

        // Redis answers QUIT, then closes without reading further.
        Outcomes outcomes;
        start(redis, {"QUIT"}, outcomes);
        start(redis, {"ECHO", "too late"}, outcomes);
        BOOST_TEST(co_await eventually([&] { return outcomes.all_done(); }, 5s));
        BOOST_TEST(!*outcomes.codes[0]);
        BOOST_TEST(*outcomes.codes[1] == redis_error::connection_lost);
        BOOST_TEST(!redis.is_open());
    }());
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_a_reply_close_the_connection_with_protocol_error)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        // Not Redis: a server that answers anything with bytes that are not RESP.
        asio::ip::tcp::acceptor acceptor(executor, {asio::ip::make_address("127.0.0.1"), 0});
        RedisConnection redis(executor);
        co_await redis.connect("127.0.0.1", acceptor.local_endpoint().port());
        asio::ip::tcp::socket peer = co_await acceptor.async_accept(asio::use_awaitable);

        Outcomes outcomes;
        start(redis, {"PING"}, outcomes);
        start(redis, {"PING"}, outcomes);
        co_await asio::async_write(peer, asio::buffer(std::string_view("?not resp\r\n")), asio::use_awaitable);
        BOOST_TEST(co_await eventually([&] { return outcomes.all_done(); }, 5s));
        for (const auto& code : outcomes.codes)
            BOOST_TEST(*code == redis_error::protocol_error);
        BOOST_TEST(!redis.is_open());
    }());
}

BOOST_AUTO_TEST_CASE(a_reply_that_no_command_waits_for_closes_the_connection_with_protocol_error)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        asio::ip::tcp::acceptor acceptor(executor, {asio::ip::make_address("127.0.0.1"), 0});
        RedisConnection redis(executor);
        co_await redis.connect("127.0.0.1", acceptor.local_endpoint().port());
        asio::ip::tcp::socket peer = co_await acceptor.async_accept(asio::use_awaitable);

        co_await asio::async_write(peer, asio::buffer(std::string_view("+OK\r\n")), asio::use_awaitable);
        BOOST_TEST(co_await eventually([&] { return !redis.is_open(); }, 5s));
        auto [ec, reply] = co_await redis.async_command(RedisCommand("PING"), use_tuple);
        BOOST_TEST(ec == redis_error::protocol_error);
    }());
}

BOOST_AUTO_TEST_SUITE_END()
