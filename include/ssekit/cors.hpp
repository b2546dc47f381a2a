#ifndef SSEKIT_CORS_HPP
#define SSEKIT_CORS_HPP

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit {

/** Which pages of other origins may read a route's responses: the Fetch
    standard's CORS protocol, set with `Router::cors` for every path or for
    one pattern.

    A request whose `Origin` is allowed gets `Access-Control-Allow-Origin`
    (the origin itself, or `*` when `origins` holds `*` and `credentials` is
    off), `Vary: Origin`, and with `credentials`
    `Access-Control-Allow-Credentials: true`; an SSE stream also exposes
    `X-SSE-Replay` to scripts. A preflight (`OPTIONS` with
    `Access-Control-Request-Method`) for a method the path takes gets `204`
    with `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers`
    (`Last-Event-ID`, which a reconnecting client sends, and
    `allow_headers`) and `Access-Control-Max-Age`. An origin not allowed
    gets the response without any of these, which the browser refuses to
    hand to the page; the server does not refuse it itself (a same-origin
    `POST` carries an `Origin` too).

    @par Example
    @code
    server.routes().cors({.origins = {"https://app.example.com"}, .credentials = true});
    @endcode
*/
struct CorsOptions {
    /// Origins allowed, as browsers send them: scheme, host and port
    /// (`https://app.example.com`, `http://127.0.0.1:8080`); `*` allows any.
    std::vector<std::string> origins{};
    /// Also allows an origin `origins` does not list when it returns true
    /// (a pattern, a lookup); runs on the connection's thread.
    std::function<bool(std::string_view origin)> allow{};
    /// Pages may send cookies (`new EventSource(url, {withCredentials: true})`,
    /// `fetch(url, {credentials: "include"})`). The origin is then always
    /// echoed, never `*`, as the standard requires.
    bool credentials = false;
    /// Request headers a preflight may ask for besides `Last-Event-ID` and
    /// those the standard always allows: `Authorization`, `Content-Type`
    /// (for `application/json`), ...
    std::vector<std::string> allow_headers{};
    /// How long a browser may reuse a preflight's answer.
    std::chrono::seconds max_age{600};
};

} // namespace ssekit

#endif
