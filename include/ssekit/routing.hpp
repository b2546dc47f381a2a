#ifndef SSEKIT_ROUTING_HPP
#define SSEKIT_ROUTING_HPP

#include <ssekit/cors.hpp>
#include <ssekit/detail/http_handler.hpp>
#include <ssekit/request.hpp>
#include <ssekit/response.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/fwd.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit {

class ServerSSESession;

/** An SSE endpoint: a coroutine that owns the stream until it returns. */
using SseHandler = std::function<boost::asio::awaitable<void>(ServerSSESession&)>;

/** Turns a JSON value into the text of a `data` field (Ktor's `serialize`). */
using JsonSerializer = std::function<std::string(const boost::json::value&)>;

/** Per-route settings of an SSE endpoint. */
struct SseRouteOptions {
    /// How `session.send(value)` renders typed values; empty means
    /// `boost::json::serialize` (compact JSON).
    JsonSerializer serialize{};
    /// Extra response headers (CORS, for instance), written after the SSE ones.
    Params headers{};
    /// When set, a stream is wound down once it has lived this long, moved
    /// by up to ±10% for each stream so that streams opened together do not
    /// end together: as in a drain (`Server::drain`), `draining()` turns
    /// true and the handler has `ServerOptions::drain_handler_grace` to end,
    /// then the client gets the farewell (`ServerOptions::drain_event` with a
    /// `retry:`) and the stream ends cleanly. Proxies cut long streams
    /// anyway; ending them on purpose, with a resume point and a delay, lets
    /// clients resume with `Last-Event-ID` (as MCP's streamable HTTP does).
    std::optional<std::chrono::steady_clock::duration> max_stream_duration{};
};

/** The route a request matched, or why none did. */
struct RouteMatch {
    /// `options`: no route was added for OPTIONS on the path, but some route
    /// takes the path (or the target is `*`); the server answers `204` with
    /// `allow`.
    enum class Outcome { sse, http, not_found, method_not_allowed, options };

    /// Which kind of route matched, or why none did.
    Outcome outcome = Outcome::not_found;
    /// For `sse`: the route's handler, owned by the `Router`.
    const SseHandler* sse_handler = nullptr;
    /// For `sse`: the route's options, owned by the `Router`.
    const SseRouteOptions* sse_options = nullptr;
    /// For `http`: the route's handler, owned by the `Router`.
    const HttpHandler* http_handler = nullptr;
    /// Values of the pattern's `{name}` segments.
    Params path_params;
    /// The CORS policy of the path (`Router::cors`), on every outcome;
    /// null when there is none. Owned by the `Router`.
    const CorsOptions* cors = nullptr;
    /// For `method_not_allowed` and `options`: the methods the path accepts,
    /// in route order, HEAD after GET and OPTIONS last, e.g.
    /// "GET, HEAD, POST, OPTIONS".
    std::string allow;
};

/** Maps method and path to handlers.

    A pattern is a path whose segments are literals or `{name}` parameters:
    `/rooms/{room}/events`. A parameter matches one whole, non-empty,
    percent-decoded segment; literal segments are compared with decoded
    segments too, so write them unencoded (`/a b`, not `/a%20b`). Routes are
    tried in the order they were added; SSE routes answer `GET` (or `POST`,
    when added for it). A `GET` that
    no route takes goes to the fallback SSE route, if one was set. Otherwise a
    path that some route matches with another method gets `405` with `Allow`,
    and a path no route matches gets `404`.

    `HEAD` takes a route added for HEAD, else the path's `GET` route (RFC 9110
    9.3.2): the server runs a plain handler (its `Request::method()` is HEAD)
    and sends the head without the body; for an SSE route it sends the
    stream's head alone, without running the SSE handler. `OPTIONS` takes a
    route added for OPTIONS, else gets `204` with `Allow` when any route takes
    the path; `OPTIONS *` lists every method the server routes. `Allow`
    always names HEAD wherever GET is allowed, and OPTIONS.

    @par Thread Safety
    Add routes before the server starts; matching is then read-only and safe
    from any thread.

    @par Example
    @code
    ssekit::Router& routes = server.routes();
    routes.sse("/rooms/{room}", room_stream);
    routes.post("/rooms/{room}", post_message);
    routes.get("/", [](const ssekit::Request&) { return ssekit::Response::html(page); });
    @endcode
*/
class Router {
public:
    /** Adds an SSE endpoint at `pattern` (a GET route).
        @throws std::invalid_argument for a malformed or duplicate pattern,
        or a `max_stream_duration` that is not positive.
    */
    Router& sse(std::string_view pattern, SseHandler handler, SseRouteOptions options = {});

    /** Adds an SSE endpoint at `pattern` for `method`: `verb::get`, or
        `verb::post` for a stream that a request body starts (what LLM APIs
        and MCP's streamable HTTP answer). The body, read whole before the
        handler runs and bounded by `ServerOptions::max_body_bytes`, is
        `session.call().body()`. `HEAD` is answered only for a GET route.
        @throws std::invalid_argument for another method, a malformed or
        duplicate pattern, or a `max_stream_duration` that is not positive.
    */
    Router& sse(boost::beast::http::verb method, std::string_view pattern, SseHandler handler,
                SseRouteOptions options = {});

    /** Sets the SSE endpoint for every GET path that no other route matches.
        @throws std::invalid_argument for a `max_stream_duration` that is not positive.
    */
    Router& sse(SseHandler handler, SseRouteOptions options = {});

    /** Adds a plain route; `handler` returns `Response` or `asio::awaitable<Response>`.
        @throws std::invalid_argument for a malformed or duplicate pattern.
    */
    template <class F>
    Router& get(std::string_view pattern, F&& handler)
    {
        return route(boost::beast::http::verb::get, pattern, detail::to_http_handler(std::forward<F>(handler)));
    }

    /// As `get`, for POST.
    template <class F>
    Router& post(std::string_view pattern, F&& handler)
    {
        return route(boost::beast::http::verb::post, pattern, detail::to_http_handler(std::forward<F>(handler)));
    }

    /// Adds a plain route for any method.
    Router& route(boost::beast::http::verb method, std::string_view pattern, HttpHandler handler);

    /** Lets pages of other origins read the responses of every route (see
        `CorsOptions`), unless `cors(pattern, ...)` sets a policy of the path's
        own.
    */
    Router& cors(CorsOptions options);

    /** The CORS policy of the paths `pattern` matches (any method), in place
        of the one for every route; patterns are tried in the order added.
        @throws std::invalid_argument for a malformed pattern.
    */
    Router& cors(std::string_view pattern, CorsOptions options);

    /// Finds the route for a path as it appears in the request target
    /// (percent-encoded, without the query); segments are decoded here.
    /// `match(verb::options, "*")` answers the asterisk-form `OPTIONS *`.
    RouteMatch match(boost::beast::http::verb method, std::string_view path) const;

private:
    struct Segment {
        std::string text{};
        bool is_param = false;
    };
    struct Route {
        boost::beast::http::verb method{};
        std::string pattern{};
        std::vector<Segment> segments{};
        HttpHandler http_handler{}; // empty for SSE routes
        SseHandler sse_handler{};
        SseRouteOptions sse_options{};
    };

    void add(Route route);
    static std::vector<Segment> parse_pattern(std::string_view pattern);
    static bool matches(const std::vector<Segment>& pattern, const std::vector<std::string_view>& segments,
                        Params* params);
    /// `Allow` for the routes `takes` accepts, as RouteMatch::allow describes it.
    template <class Predicate>
    std::string allowed_methods(Predicate takes) const;

    struct CorsRoute {
        std::vector<Segment> segments{};
        CorsOptions options{};
    };
    /// The policy for `segments` (the decoded path); null if none.
    const CorsOptions* cors_for(const std::vector<std::string_view>& segments) const;

    std::vector<Route> routes_;
    std::optional<Route> fallback_sse_;
    std::vector<CorsRoute> cors_routes_;
    std::optional<CorsOptions> default_cors_;
};

} // namespace ssekit

#endif
