#ifndef SSEKIT_LIB_RESPONSE_HEAD_HPP
#define SSEKIT_LIB_RESPONSE_HEAD_HPP

#include <ssekit/request.hpp>
#include <ssekit/response.hpp>
#include <ssekit/routing.hpp>

#include <boost/beast/http/status.hpp>

#include <string>
#include <string_view>

namespace ssekit::detail {

/** Renders a response head: the status line, then each header as
    `Name: value` in the order given, then the blank line (RFC 9112 4, 5).

    Every head the server writes comes from here: plain answers, refusals,
    interim `100 Continue`, SSE streams and answers to HEAD and OPTIONS.

    @param status The status; its code must have three digits.
    @param version 11 renders `HTTP/1.1`, anything lower `HTTP/1.0`.
    @param headers Written as given; nothing is added.

    @throws boost::system::system_error with `ssekit::error::invalid_field`
    when a name is empty or not an RFC 9110 token (5.1), a name or value holds
    CR, LF or NUL (5.5), or the status code does not have three digits;
    nothing is rendered then.
*/
std::string render_response_head(boost::beast::http::status status, unsigned version, const Params& headers);

/** Checks one header as `render_response_head` does, for a header accepted
    now and rendered later.

    @throws boost::system::system_error with `ssekit::error::invalid_field`
    when `name` is not an RFC 9110 token or either holds CR, LF or NUL.
*/
void check_header_field(std::string_view name, std::string_view value);

/** The headers of an SSE stream's `200`, in the order they are written:
    `Content-Type: text/event-stream`, `Cache-Control: no-store`,
    `X-Accel-Buffering: no`, `Connection: close`, `Transfer-Encoding: chunked`
    when `version >= 11` (an HTTP/1.0 stream ends with the close), then
    `route.headers`.
*/
Params sse_stream_headers(const SseRouteOptions& route, unsigned version);

/// 1xx, 204 and 304 answers have no content (RFC 9110 6.4.1).
bool has_no_content(boost::beast::http::status status) noexcept;

/** The head of a plain answer, from a route, a refused stream or the server:
    `Server`, `Content-Type` and `Content-Length` (unless the status has no
    content; a HEAD answer names the length its GET body has, RFC 9110 8.6),
    the response's own headers, and `Connection` as `keep_alive` ends up.

    The server frames the body and decides whether the connection stays: the
    response's own `Content-Length` and `Transfer-Encoding` are dropped, and
    its `Connection: close` clears `keep_alive`.

    @throws boost::system::system_error `error::invalid_field` as
    `render_response_head` does, for the response's headers.
*/
std::string render_plain_head(Response& response, unsigned version, bool& keep_alive);

} // namespace ssekit::detail

#endif
