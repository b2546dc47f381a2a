#ifndef SSEKIT_CLIENT_HPP
#define SSEKIT_CLIENT_HPP

#include <ssekit/event_stream_parser.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssekit {

namespace detail {
struct ResponseReader;
} // namespace detail

/** How an `EventSource` connects and reconnects. The defaults behave as a
    browser's `EventSource`.
*/
struct ClientOptions {
    /// The request's method: `GET` as a browser's EventSource, or `POST`
    /// with a `body` for the streams that answer one (LLM APIs, MCP's
    /// streamable HTTP). Letters only.
    std::string method = "GET";
    /// The request body, sent again on every reconnect (with
    /// `Last-Event-ID` once an ID is known); `Content-Length` is set from it.
    /// Say what it is with a `Content-Type` in `headers`.
    std::string body{};
    /// Extra request headers, each {name, value}; no CR, LF or NUL, and not
    /// `Content-Length` or `Transfer-Encoding` (the client frames the body).
    std::vector<std::pair<std::string, std::string>> headers{};
    /// Sent as `Last-Event-ID` on the first request (resume a stream).
    std::string last_event_id{};
    /// The reconnection time until the server sends `retry:` (WHATWG: "a
    /// user-agent-defined value, probably in the region of a few seconds").
    std::chrono::milliseconds retry{std::chrono::seconds(3)};
    /// Reconnection attempts in a row that may fail before `next()` gives up;
    /// none: try forever. A response of 200 starts the count again.
    std::optional<std::size_t> max_reconnect_attempts{};
    /// Each failed attempt in a row multiplies the wait by this (1: the retry
    /// time every time, as the standard says).
    double backoff_multiplier = 1.0;
    /// The longest wait between attempts, however many failed.
    std::chrono::milliseconds max_retry_delay{std::chrono::minutes(1)};
    /// Each wait is shortened by a random fraction of up to `jitter` (0 to 1),
    /// so many clients dropped at once do not come back at once.
    double jitter = 0.0;
    /// End at the end of the first stream instead of reconnecting; a failed
    /// connection is then an error, not a reason to retry.
    bool once = false;
    /// Comments, retry notices and limits of the stream parser.
    ParserOptions parser{};
};

/** A coroutine Server-Sent Events client that behaves as a browser's
    `EventSource` (WHATWG HTML, "Server-sent events", 9.2.2-9.2.4).

    Connects to an `http://` URL, sends a GET (or the method and body of
    `ClientOptions`) with `Accept: text/event-stream` (plus `Last-Event-ID`
    once an ID is known, and the extra headers), reads the
    response with Beast's parser (chunked or ended by the close) and hands
    out its events one `co_await next()` at a time.

    When the connection drops or the stream ends, it waits the reconnection
    time (3 s, or what `retry:` said, with the backoff and jitter of
    `ClientOptions`) and reconnects, sending the last event ID it saw. It
    stops for good, without reconnecting, on:
    - `204 No Content`: `next()` returns no event;
    - another status than 200: `error::unexpected_status`;
    - a `Content-Type` other than `text/event-stream`:
      `error::unexpected_content_type`;
    - a line or event past the parser's limits: `error::line_too_long`,
      `error::event_too_large`.

    @par Thread Safety
    Distinct objects: safe. Shared objects: unsafe. Call it from its
    executor, one `next()` at a time.

    @par Example
    @code
    asio::awaitable<void> print_events(asio::any_io_executor ex)
    {
        ssekit::EventSource source(ex, "http://127.0.0.1:8080/events");
        for (;;) {
            std::optional<ssekit::ReceivedEvent> ev = co_await source.next();
            if (!ev)
                break;                      // 204, once, or close()
            std::cout << ev->type << " " << ev->id << ": " << ev->data << "\n";
        }
    }
    @endcode
*/
class EventSource {
public:
    /// The type of executor the client runs on, as Asio's I/O objects name it.
    using executor_type = boost::asio::any_io_executor;

    /** Prepares a client for `url`; nothing is sent before `next()`.

        @throws boost::system::system_error with `error::unsupported_url` when
        `url` is not `http://host[:port][/path][?query]`.
        @throws std::invalid_argument when a header name or value, or
        `last_event_id`, holds CR, LF or NUL (or a header name is empty).
    */
    EventSource(executor_type executor, std::string_view url, ClientOptions options = {});
    ~EventSource();

    EventSource(const EventSource&) = delete;
    EventSource& operator=(const EventSource&) = delete;

    /** Waits for the next event, connecting and reconnecting as needed.

        @return The event (a copy: keep it as long as you like), or no event
        when the stream is over for good: the server answered 204, `once` was
        set and the stream ended, `close()` was called, or the reconnection
        attempts ran out after a stream that ended cleanly.

        @throws boost::system::system_error with `error::unexpected_status`,
        `error::unexpected_content_type`, `error::line_too_long` or
        `error::event_too_large`; with the network error when the connection
        fails and `once` is set or `max_reconnect_attempts` ran out; after any
        of these, later calls return no event.

        @par Cancellation
        Supports `terminal` cancellation through the awaiting coroutine's
        cancellation slot (for example `parallel_group` against a timer): the
        pending connect, read or reconnection wait stops at once, the socket
        is closed, and `next()` throws `boost::asio::error::operation_aborted`.
        The client is then closed. `next()` does not leave g++ 12's
        `throw_if_cancelled` trap armed in the caller: it restores the
        caller's setting before it returns.
    */
    boost::asio::awaitable<std::optional<ReceivedEvent>> next();

    /** Closes the connection now; a pending `next()` and later calls return
        no event. Call it on the client's executor.
    */
    void close() noexcept;

    /// The last event ID seen (or given in the options): sent on reconnection.
    const std::string& last_event_id() const noexcept { return parser_.last_event_id(); }

    /// The reconnection time now in force: `retry:` from the server, or the option.
    std::chrono::milliseconds retry() const noexcept;

    /// Connections made that got a 200 response so far.
    std::size_t connections() const noexcept { return connections_; }

    /// The executor given to the constructor: the client's I/O runs on it.
    executor_type get_executor() const noexcept { return executor_; }

private:
    enum class Opened { stream, no_content, failed };

    boost::asio::awaitable<std::optional<ReceivedEvent>> next_event();
    boost::asio::awaitable<Opened> open(boost::system::error_code& ec);
    boost::asio::awaitable<boost::system::error_code> wait_before_reconnect();
    std::string request_text() const;
    std::chrono::milliseconds reconnect_delay();
    void close_socket() noexcept;
    [[noreturn]] void fail(boost::system::error_code ec, const char* what);

    executor_type executor_;
    ClientOptions options_;
    std::string host_;
    std::string port_;
    std::string host_header_;
    std::string target_;

    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer retry_timer_;
    std::unique_ptr<detail::ResponseReader> reader_; // one per connection
    EventStreamParser parser_;
    std::string_view pending_; // body bytes not parsed yet
    std::minstd_rand random_;

    bool connected_ = false;
    bool stream_ended_ = false;   // the response ended; pending_ still to parse
    bool closed_ = false;         // over for good
    bool started_ = false;        // a first connection was tried
    std::size_t failed_attempts_ = 0;
    std::size_t connections_ = 0;
    boost::system::error_code last_error_;
};

} // namespace ssekit

#endif
