#ifndef SSEKIT_TEST_SUPPORT_RUN_HPP
#define SSEKIT_TEST_SUPPORT_RUN_HPP

// Drives test coroutines on a test's own io_context.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace ssekit::test {

/// Runs `task` on `io` until it completes, rethrows what it threw, and fails
/// with std::runtime_error if it takes longer than `limit`.
template <class T>
T run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<T> task,
                std::chrono::steady_clock::duration limit = std::chrono::seconds(20))
{
    bool done = false;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> result{};
    if constexpr (std::is_void_v<T>) {
        boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
            error = e;
            done = true;
        });
    } else {
        boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
            error = e;
            if (!e)
                result.emplace(std::move(value));
            done = true;
        });
    }
    auto deadline = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!done && std::chrono::steady_clock::now() < deadline)
        io.run_one_until(deadline);
    if (!done) {
        // Leave nothing running that refers to this frame's locals.
        io.stop();
        throw std::runtime_error("test coroutine did not finish in time");
    }
    if (error)
        std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>)
        return std::move(*result);
}

} // namespace ssekit::test

#endif
