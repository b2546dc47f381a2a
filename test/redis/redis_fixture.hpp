#ifndef SSEKIT_TEST_REDIS_REDIS_FIXTURE_HPP
#define SSEKIT_TEST_REDIS_REDIS_FIXTURE_HPP

// What the Redis tests share: a redis-server of their own, an io_context to
// run the test's coroutine on, and a few look-ups in Redis.

#include "print.hpp"
#include "redis_server_process.hpp"

#include "../support/run.hpp"
#include "../support/wait.hpp"

#include "redis/redis_connection.hpp"
#include <ssekit/redis_error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

namespace ssekit::test {

struct RedisFixture {
    /// Runs the test's coroutine to its end, within `limit`.
    template <class T>
    T run(boost::asio::awaitable<T> task, std::chrono::steady_clock::duration limit = std::chrono::seconds(30))
    {
        return run_awaitable(io, std::move(task), limit);
    }

    RedisServerProcess server;
    boost::asio::io_context io;
};

/// How many clients Redis holds blocked (BLPOP ...), from INFO clients:
/// proof that a command has reached Redis and waits there.
inline boost::asio::awaitable<long> blocked_clients(detail::RedisConnection& redis)
{
    const detail::RedisReply info = co_await redis.command("INFO", "clients");
    constexpr std::string_view field = "blocked_clients:";
    const std::string& text = info.text();
    const auto at = text.find(field);
    long count = -1;
    if (at != std::string::npos)
        std::from_chars(text.data() + at + field.size(), text.data() + text.size(), count);
    co_return count;
}

/// Asks Redis every 2 ms until it holds `count` blocked clients; false if
/// it still does not after `limit`.
inline boost::asio::awaitable<bool> blocked_clients_become(detail::RedisConnection& redis, long count,
                                                           std::chrono::steady_clock::duration limit =
                                                               std::chrono::seconds(5))
{
    co_return co_await eventually_async(
        [&redis, count]() -> boost::asio::awaitable<bool> { co_return co_await blocked_clients(redis) == count; },
        limit);
}

} // namespace ssekit::test

#endif
