#ifndef SSEKIT_DETAIL_HTTP_HANDLER_HPP
#define SSEKIT_DETAIL_HTTP_HANDLER_HPP

#include <ssekit/request.hpp>
#include <ssekit/response.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace ssekit {

using HttpHandler = std::function<boost::asio::awaitable<Response>(const Request&)>;

namespace detail {

template <class F>
boost::asio::awaitable<Response> call_sync_handler(std::shared_ptr<F> f, const Request& request)
{
    co_return (*f)(request);
}

/// Accepts a coroutine handler as is, and wraps one that returns a Response
/// directly, so `get("/", [](const Request&) { return Response::html(...); })`
/// reads as plainly as it should.
template <class F>
HttpHandler to_http_handler(F&& f)
{
    using result = std::invoke_result_t<F&, const Request&>;
    if constexpr (std::same_as<result, boost::asio::awaitable<Response>>) {
        return HttpHandler(std::forward<F>(f));
    } else {
        static_assert(std::convertible_to<result, Response>,
                      "a plain route handler returns ssekit::Response or asio::awaitable<ssekit::Response>");
        auto shared = std::make_shared<std::decay_t<F>>(std::forward<F>(f));
        return [shared](const Request& request) { return call_sync_handler(shared, request); };
    }
}

} // namespace detail
} // namespace ssekit

#endif
