#ifndef SSEKIT_ERROR_HPP
#define SSEKIT_ERROR_HPP

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace ssekit {

/** Errors of ssekit's own, in the category named "ssekit".

    They are reported the Asio way: as a `boost::system::error_code` where the
    caller decides, or as a `boost::system::system_error` thrown out of an
    awaited operation. An `error` converts to a `boost::system::error_code`,
    so `ec == ssekit::error::session_closed` compares as expected.
*/
enum class error {
    /// The session was closed (by `close()`, by the handler returning or by the
    /// peer going away); nothing was written.
    session_closed = 1,

    /// An event field cannot be written without changing its meaning on the
    /// wire: `event` or `id` holds CR or LF, `id` is not one a client can
    /// send back unchanged as `Last-Event-ID` (see `ServerSentEvent::id`), or
    /// `retry` is negative (WHATWG HTML, "Server-sent events", 9.2.4-9.2.6).
    invalid_field,

    /// A received event stream has a line longer than
    /// `ParserOptions::max_line_bytes`.
    line_too_long,

    /// A received event collects more `data` and `event` bytes than
    /// `ParserOptions::max_event_bytes`.
    event_too_large,

    /// An SSE server answered with a status other than 200 (or 204, which
    /// ends the stream); the client does not reconnect.
    unexpected_status,

    /// An SSE server answered 200 with a `Content-Type` other than
    /// `text/event-stream`; the client does not reconnect.
    unexpected_content_type,

    /// The client's URL is not an `http://` URL with a host (`https` is not
    /// supported).
    unsupported_url,

    /// The SSE response's head has gone out (the first event, heartbeat,
    /// `follow` or `flush_headers` wrote it): headers can no longer be added
    /// and the stream can no longer be refused.
    response_started,

    /// The topic's events are published through a backplane
    /// (`RedisBackplane::publish`), which orders them for every server; this
    /// server's `Topic` only follows them.
    published_elsewhere,

    /// A stream token (`StreamTokens::verify`) is not one these tokens
    /// issued: malformed, or its signature does not match (forged, or
    /// signed with another secret).
    token_invalid,

    /// A stream token's lifetime is over.
    token_expired,

    /// A stream token was issued for another topic.
    token_wrong_topic,
};

/** The category of ssekit's errors; its name is "ssekit". */
const boost::system::error_category& ssekit_category() noexcept;

/** Makes an error_code of ssekit's category; found by ADL. */
boost::system::error_code make_error_code(error e) noexcept;

} // namespace ssekit

/// @cond
// Lets an ssekit::error convert to a boost::system::error_code. Out of the
// API reference: Doxygen cannot place it, as it never sees boost::system.
template <>
struct boost::system::is_error_code_enum<ssekit::error> : std::true_type {};
/// @endcond

#endif
