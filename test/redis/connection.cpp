// RedisConnection against a real redis-server: binary values both ways,
// error replies as values, the scripts and streams the backplane will use,
// and a cancelled wait that leaves the other replies where they belong.

#include "redis/redis_connection.hpp"

#include "redis_fixture.hpp"

#include "../support/wait.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace std::string_literals;
using ssekit::redis_error;
using ssekit::detail::RedisCommand;
using ssekit::detail::RedisConnection;
using ssekit::detail::RedisReply;
using ssekit::test::RedisFixture;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Every byte value, over and over, to `size` bytes.
std::string all_bytes(std::size_t size)
{
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>(i * 7 % 256);
    return bytes;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_connection, RedisFixture)

BOOST_AUTO_TEST_CASE(set_then_get_returns_binary_values_unchanged_up_to_one_mebibyte)
{
    run([&]() -> asio::awaitable<void> {
        RedisConnection redis(co_await asio::this_coro::executor);
        co_await redis.connect("127.0.0.1", server.port());
        BOOST_TEST(redis.is_open());

        const std::vector<std::string> values{"", "a\rb", "a\nb", "a\0b"s, "\r\n\0\r\n"s, "$3\r\n*1\r\n",
                                              all_bytes(1024 * 1024)};
        for (std::size_t i = 0; i < values.size(); ++i) {
            const std::string key = "key\r\n\0"s + std::to_string(i); // keys are binary too
            RedisReply set = co_await redis.command("SET", key, values[i]);
            BOOST_TEST(set == RedisReply::make_status("OK"));
            RedisReply got = co_await redis.command("GET", key);
            BOOST_REQUIRE(got.is_string());
            BOOST_TEST(got.text().size() == values[i].size());
            BOOST_TEST((got.text() == values[i]), "value " << i << " came back changed");
        }
        BOOST_TEST((co_await redis.command("GET", "missing")).is_nil());
    }());
}

BOOST_AUTO_TEST_CASE(an_error_reply_is_a_value_and_the_connection_goes_on)
{
    run([&]() -> asio::awaitable<void> {
        RedisConnection redis(co_await asio::this_coro::executor);
        co_await redis.connect("127.0.0.1", server.port());

        BOOST_TEST((co_await redis.command("INCR", "counter")).integer() == 1);
        BOOST_TEST((co_await redis.command("INCRBY", "counter", "41")).integer() == 42);
        co_await redis.command("SET", "word", "abc");

        RedisReply error = co_await redis.command("INCR", "word");
        BOOST_TEST(error.is_error());
        BOOST_TEST(error.text().starts_with("ERR"), error);
        RedisReply unknown = co_await redis.command("NO-SUCH-COMMAND", "x");
        BOOST_TEST(unknown.is_error());

        BOOST_TEST(redis.is_open());
        BOOST_TEST((co_await redis.command("GET", "word")).text() == "abc");
        BOOST_TEST((co_await redis.command("INCR", "counter")).integer() == 43);
    }());
}

BOOST_AUTO_TEST_CASE(eval_returns_an_array_and_a_loaded_script_runs_by_its_sha)
{
    run([&]() -> asio::awaitable<void> {
        RedisConnection redis(co_await asio::this_coro::executor);
        co_await redis.connect("127.0.0.1", server.port());

        // What the backplane's publish does in spirit: count, then answer
        // with several values at once.
        const std::string script = "local n = redis.call('INCR', KEYS[1]) return {n, ARGV[1], KEYS[1]}";
        const RedisReply expected = RedisReply::make_array({RedisReply::make_integer(1),
                                                            RedisReply::make_string("a\r\n\0b"s),
                                                            RedisReply::make_string("topic:1")});
        BOOST_TEST((co_await redis.command("EVAL", script, "1", "topic:1", "a\r\n\0b"s)) == expected);

        RedisReply sha = co_await redis.command("SCRIPT", "LOAD", script);
        BOOST_REQUIRE(sha.is_string());
        BOOST_TEST(sha.text().size() == 40u);
        RedisReply second = co_await redis.command("EVALSHA", sha.text(), "1", "topic:1", "again");
        BOOST_TEST(second == RedisReply::make_array({RedisReply::make_integer(2), RedisReply::make_string("again"),
                                                     RedisReply::make_string("topic:1")}));

        RedisReply unknown = co_await redis.command("EVALSHA", std::string(40, '0'), "0");
        BOOST_TEST(unknown.is_error());
        BOOST_TEST(unknown.text().starts_with("NOSCRIPT"), unknown);
    }());
}

BOOST_AUTO_TEST_CASE(xadd_then_xrange_returns_the_entries_in_order_with_binary_fields)
{
    run([&]() -> asio::awaitable<void> {
        RedisConnection redis(co_await asio::this_coro::executor);
        co_await redis.connect("127.0.0.1", server.port());

        const std::vector<std::string> payloads{"data: one\n\n", "\0\r\n"s, std::string(100'000, 'z')};
        std::vector<std::string> ids;
        for (const auto& payload : payloads) {
            RedisReply id = co_await redis.command("XADD", "events", "MAXLEN", "~", "1000", "*", "event", payload);
            BOOST_REQUIRE(id.is_string());
            ids.push_back(id.text());
        }

        RedisReply range = co_await redis.command("XRANGE", "events", "-", "+");
        BOOST_REQUIRE(range.is_array());
        BOOST_REQUIRE(range.elements().size() == payloads.size());
        for (std::size_t i = 0; i < payloads.size(); ++i) {
            const RedisReply expected = RedisReply::make_array(
                {RedisReply::make_string(ids[i]),
                 RedisReply::make_array({RedisReply::make_string("event"), RedisReply::make_string(payloads[i])})});
            BOOST_TEST((range.elements()[i] == expected), "entry " << i);
        }

        // After an id, exclusive: how a server catches up from its last offset.
        RedisReply after = co_await redis.command("XRANGE", "events", "(" + ids[0], "+");
        BOOST_TEST(after.elements().size() == 2u);
    }());
}

BOOST_AUTO_TEST_CASE(a_cancelled_wait_completes_at_once_and_its_reply_is_dropped_not_given_to_the_next_command)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisConnection redis(executor);
        RedisConnection pusher(executor);
        co_await redis.connect("127.0.0.1", server.port());
        co_await pusher.connect("127.0.0.1", server.port());

        // BLPOP waits in Redis until the list has an element; the caller
        // stops waiting long before.
        asio::steady_timer impatience(executor, 20ms);
        const auto started = std::chrono::steady_clock::now();
        auto [order, ec, reply, timer_ec] =
            co_await asio::experimental::make_parallel_group(
                redis.async_command(RedisCommand("BLPOP", "jobs", "0"), asio::deferred), impatience.async_wait(asio::deferred))
                .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
        BOOST_TEST(order[0] == 1u);
        BOOST_TEST(ec == asio::error::operation_aborted);
        BOOST_TEST((std::chrono::steady_clock::now() - started < 1s));

        // The next command goes out at once, behind BLPOP, in Redis as in
        // the FIFO; a plain callback this time.
        std::optional<std::pair<boost::system::error_code, RedisReply>> echo;
        redis.async_command({"ECHO", "mine"}, [&](boost::system::error_code ec, RedisReply reply) {
            echo.emplace(ec, std::move(reply));
        });
        BOOST_TEST(redis.pending_replies() == 2u);
        BOOST_TEST(co_await ssekit::test::eventually([&] { return redis.writes() == 2u; }));
        BOOST_TEST((co_await pusher.command("RPUSH", "jobs", "job-1")).integer() == 1);
        BOOST_TEST(co_await ssekit::test::eventually([&] { return echo.has_value(); }));
        BOOST_TEST(!echo->first);
        BOOST_TEST(echo->second == RedisReply::make_string("mine"));

        // BLPOP did run: the job was taken, and its reply was dropped.
        BOOST_TEST((co_await pusher.command("LLEN", "jobs")).integer() == 0);
        BOOST_TEST(redis.pending_replies() == 0u);
    }());
}

BOOST_AUTO_TEST_CASE(cancelling_a_coroutine_that_waits_for_a_reply_leaves_the_replies_of_the_others_in_place)
{
    run([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        RedisConnection redis(executor);
        RedisConnection pusher(executor);
        co_await redis.connect("127.0.0.1", server.port());
        co_await pusher.connect("127.0.0.1", server.port());

        // A coroutine waits on BLPOP; a second one on an ECHO behind it.
        asio::cancellation_signal cancel;
        std::optional<std::exception_ptr> waiter_end;
        asio::co_spawn(executor, redis.command("BLPOP", "jobs", "0"),
                       asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, RedisReply) {
                           waiter_end = e;
                       }));
        std::optional<RedisReply> echoed;
        asio::co_spawn(executor, redis.command("ECHO", "second"), [&](std::exception_ptr e, RedisReply reply) {
            if (!e)
                echoed = std::move(reply);
        });
        BOOST_TEST(co_await ssekit::test::blocked_clients_become(pusher, 1));

        cancel.emit(asio::cancellation_type::terminal);
        BOOST_TEST(co_await ssekit::test::eventually([&] { return waiter_end.has_value(); }));
        BOOST_REQUIRE(*waiter_end);
        try {
            std::rethrow_exception(*waiter_end);
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == asio::error::operation_aborted);
        }

        co_await pusher.command("RPUSH", "jobs", "job-1");
        BOOST_TEST(co_await ssekit::test::eventually([&] { return echoed.has_value(); }));
        BOOST_TEST(*echoed == RedisReply::make_string("second"));
        BOOST_TEST((co_await redis.command("ECHO", "third")) == RedisReply::make_string("third"));
    }());
}

BOOST_AUTO_TEST_CASE(a_command_before_connect_fails_with_not_connected)
{
    run([&]() -> asio::awaitable<void> {
        RedisConnection redis(co_await asio::this_coro::executor);
        auto [ec, reply] = co_await redis.async_command(RedisCommand("PING"), use_tuple);
        BOOST_TEST(ec == redis_error::not_connected);
    }());
}

BOOST_AUTO_TEST_CASE(connecting_to_a_port_where_nothing_listens_throws_connection_refused)
{
    const auto port = server.port();
    server.stop();
    run([&]() -> asio::awaitable<void> {
        RedisConnection redis(co_await asio::this_coro::executor);
        try {
            co_await redis.connect("127.0.0.1", port);
            BOOST_FAIL("connect succeeded with no server");
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == asio::error::connection_refused);
        }
        BOOST_TEST(!redis.is_open());
        auto [ec, reply] = co_await redis.async_command(RedisCommand("PING"), use_tuple);
        BOOST_TEST(ec == redis_error::not_connected);
    }());
}

BOOST_AUTO_TEST_SUITE_END()
