#ifndef SSEKIT_REQUEST_HPP
#define SSEKIT_REQUEST_HPP

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssekit {
namespace detail {
template <class Stream>
class HttpConnection;
}

/// Name-value pairs in the order they came, values percent-decoded.
using Params = std::vector<std::pair<std::string, std::string>>;

/** The HTTP request that reached a handler: Ktor's `call.request`.

    The request target is split with Boost.URL: `path()` and the query
    parameters are percent-decoded; `target()` is the raw text. The target
    may be origin-form (`/rooms/a?x=1`) or, as RFC 9112 3.2.2 asks servers
    to accept, absolute-form (`http://host/rooms/a?x=1`); then its authority
    replaces the `Host` header.

    @par Thread Safety
    Immutable once the handler runs; safe to read from any thread.

    @par Example
    @code
    server.sse("/rooms/{room}", [](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        const ssekit::Request& call = session.call();
        std::string room{call.path_param("room").value()};
        std::string since{call.query("since").value_or("0")};
        co_await session.send("joined " + room + " since " + since);
    });
    @endcode
*/
class Request {
public:
    /// The Beast message a request is parsed into, body read whole.
    using message_type = boost::beast::http::request<boost::beast::http::string_body>;

    /** Takes a parsed request.

        @throws boost::system::system_error with Boost.URL's error codes when
        the target is neither origin-form (`/path?query`) nor the absolute-form
        of an `http` or `https` URI without userinfo or fragment.
    */
    explicit Request(message_type message);

    /// The request method; `verb::unknown` for a method Beast does not know.
    boost::beast::http::verb method() const noexcept { return message_.method(); }
    /// The request method as sent, e.g. `GET`; also for an unknown one.
    std::string_view method_string() const noexcept { return message_.method_string(); }

    /// The request target as sent, e.g. `/rooms/a%20b?x=1`.
    std::string_view target() const noexcept { return message_.target(); }

    /// The percent-decoded path, e.g. `/rooms/a b`; `/` for an
    /// absolute-form target without a path.
    const std::string& path() const noexcept { return path_; }

    /// The first value of query parameter `name`, percent-decoded, if present.
    std::optional<std::string_view> query(std::string_view name) const noexcept;
    /// Every query parameter, percent-decoded, in the order sent.
    const Params& query_params() const noexcept { return query_params_; }

    /// The first value of header `name` (case-insensitive), if present.
    std::optional<std::string_view> header(std::string_view name) const noexcept;
    /// Every header, as Beast holds them.
    const boost::beast::http::fields& headers() const noexcept { return message_; }

    /// The value a `{name}` segment of the route pattern matched, if any.
    std::optional<std::string_view> path_param(std::string_view name) const noexcept;
    /// Every `{name}` segment of the route pattern with the value it matched.
    const Params& path_params() const noexcept { return path_params_; }

    /// The request body, read whole (plain routes, and SSE routes for POST).
    const std::string& body() const noexcept { return message_.body(); }

    /// The other end of the connection: the client, or the proxy in front
    /// of the server. Unspecified (`0.0.0.0:0`) for a request made by hand.
    const boost::asio::ip::tcp::endpoint& peer() const noexcept { return peer_; }

    /** The client's address: with `ServerOptions::behind_proxy`, the first
        hop of `X-Forwarded-For` when that is an IP address; else the peer's.
    */
    boost::asio::ip::address client_address() const;

    /// 11 for HTTP/1.1, 10 for HTTP/1.0.
    unsigned version() const noexcept { return message_.version(); }
    /// Whether the client lets the connection stay open after the answer
    /// (HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `keep-alive`).
    bool keep_alive() const noexcept { return message_.keep_alive(); }

    /// The whole Beast message, for what the accessors above do not cover.
    const message_type& message() const noexcept { return message_; }

private:
    template <class Stream>
    friend class detail::HttpConnection; // fills path_params_, peer_ and behind_proxy_

    /// The path of `target` as sent (percent-encoded, `/` for an absolute-form
    /// target without one), or nothing when the constructor would throw; lets
    /// the connection route a request before its body is read.
    static std::optional<std::string_view> encoded_path(std::string_view target) noexcept;

    message_type message_;
    std::string path_;
    Params query_params_;
    Params path_params_;
    boost::asio::ip::tcp::endpoint peer_;
    bool behind_proxy_ = false;
};

} // namespace ssekit

#endif
