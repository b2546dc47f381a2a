#ifndef SSEKIT_TEST_SUPPORT_WAIT_HPP
#define SSEKIT_TEST_SUPPORT_WAIT_HPP

// Waiting for a condition that nothing announces (a counter another thread
// moves, a topic's statistics) without sleeping for a guessed time: the
// condition is polled on a timer until it holds or a deadline passes, so a
// test waits exactly as long as it must, and fails instead of hanging.

#include "run.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace ssekit::test {

/// Polls `condition` every `poll` on the calling coroutine's executor; true
/// as soon as it holds, false if it still does not after `limit`.
template <class Condition>
boost::asio::awaitable<bool> eventually(Condition condition,
                                        std::chrono::steady_clock::duration limit = std::chrono::seconds(10),
                                        std::chrono::steady_clock::duration poll = std::chrono::milliseconds(2))
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (;;) { // (no co_await in a loop condition: g++ 12 miscompiles it)
        if (condition())
            co_return true;
        if (std::chrono::steady_clock::now() >= deadline)
            co_return false;
        timer.expires_after(poll);
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
}

/// The same for a condition that must ask a server first: `condition()`
/// returns `boost::asio::awaitable<bool>`.
template <class AsyncCondition>
boost::asio::awaitable<bool> eventually_async(AsyncCondition condition,
                                              std::chrono::steady_clock::duration limit = std::chrono::seconds(10),
                                              std::chrono::steady_clock::duration poll = std::chrono::milliseconds(2))
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (;;) { // (no co_await in a loop condition: g++ 12 miscompiles it)
        if (co_await condition())
            co_return true;
        if (std::chrono::steady_clock::now() >= deadline)
            co_return false;
        timer.expires_after(poll);
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
}

/// The same for code outside coroutines, on an io_context of its own.
template <class Condition>
bool wait_until(Condition condition, std::chrono::steady_clock::duration limit = std::chrono::seconds(10),
                std::chrono::steady_clock::duration poll = std::chrono::milliseconds(2))
{
    boost::asio::io_context io;
    return run_awaitable(io, eventually(std::move(condition), limit, poll), limit + std::chrono::seconds(5));
}

} // namespace ssekit::test

#endif
