#include <ssekit/delay.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/system_error.hpp>

namespace ssekit {

boost::asio::awaitable<void> delay(std::chrono::steady_clock::duration duration)
{
    // A coroutine already cancelled (its client gone) must not sleep on.
    auto state = co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted, "ssekit::delay");
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
    co_await timer.async_wait(boost::asio::deferred);
}

} // namespace ssekit
