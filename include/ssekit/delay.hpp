#ifndef SSEKIT_DELAY_HPP
#define SSEKIT_DELAY_HPP

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace ssekit {

/** Suspends the calling coroutine for `duration` on its own executor:
    Kotlin's `delay`.

    @par Cancellation
    Completes early with `boost::asio::error::operation_aborted` (thrown) when
    the coroutine is cancelled, e.g. because the SSE client went away.
*/
boost::asio::awaitable<void> delay(std::chrono::steady_clock::duration duration);

} // namespace ssekit

#endif
