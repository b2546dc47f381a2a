#ifndef SSEKIT_SESSION_HPP
#define SSEKIT_SESSION_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/detail/co_await_temporary.hpp>
#include <ssekit/event.hpp>
#include <ssekit/request.hpp>
#include <ssekit/response.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <chrono>
#include <cstddef>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace ssekit {
namespace detail {
class SessionCore;
}

/** How a session's heartbeat beats; defaults as Ktor's `heartbeat { }`. */
struct HeartbeatOptions {
    /// Time between beats.
    std::chrono::steady_clock::duration period = std::chrono::seconds(30);
    /// What each beat sends; by default a comment line, which browsers ignore.
    ServerSentEvent event = ServerSentEvent{.comments = "heartbeat"};
    /// Beat only after `period` without any other event (as axum and Mercure
    /// do), instead of every `period` whatever was sent.
    bool only_when_idle = false;
};

/** A value Boost.JSON can convert: built-in types, containers, Boost.Describe
    structs, and types with a `tag_invoke(value_from_tag, ...)` overload. */
template <class T>
concept JsonConvertible = boost::json::has_value_from<T>::value &&
                          !std::convertible_to<const T&, std::string_view> &&
                          !std::same_as<std::remove_cvref_t<T>, ServerSentEvent>;

/** The stream of one SSE response, handed to the route's handler: Ktor's
    `ServerSSESession`.

    Everything a handler sends is encoded once and queued; the session's
    single writer gathers what is queued into one write, so events from
    concurrent senders and heartbeats never interleave. When the handler
    returns (or throws), what was queued is flushed and the response ends
    with the chunked terminator; `close()` does the same early.

    @par When the head goes out
    The response head (`200`, `Content-Type: text/event-stream` and the
    route's and `add_header`'s headers) is written with the first of: the
    first `send`, `heartbeat()`, `follow()` starting, `flush_headers()`, or
    the handler's end (an empty stream). Until then the handler may look
    things up, add headers, or `respond()` with a plain answer; if it throws
    meanwhile, the client gets `500`.

    @par Thread Safety
    Call the session's functions from its executor (`get_executor()`): the
    handler and the children it starts with `spawn`. Handler, heartbeat, reader
    and writer share that executor, so the session needs no lock even when
    the server runs several threads.

    @par Winding down
    When the server drains or the stream reaches its route's maximum age,
    `draining()` turns true and the handler gets a short time to end by
    itself before the session sends the farewell and closes: see
    `draining()`.

    @par Cancellation
    When the client goes away, or the server stops, the handler's pending
    `co_await` (a `send`, a `delay`, any cancellable Asio operation) completes
    with `boost::asio::error::operation_aborted`; the handler should let that
    exception end it. The same happens on `close()`.

    @par Example
    @code
    server.sse("/events", [](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        session.heartbeat({.period = 10s});
        for (int i = 0; i < 6; ++i) {
            ssekit::ServerSentEvent event{.data = "this is SSE #" + std::to_string(i), .id = std::to_string(i)};
            co_await session.send(event);
            co_await ssekit::delay(1s);
        }
    });
    @endcode
*/
class ServerSSESession {
public:
    /// The type of executor the session runs on, as Asio's I/O objects name it.
    using executor_type = boost::asio::any_io_executor;

    ServerSSESession(const ServerSSESession&) = delete;
    ServerSSESession& operator=(const ServerSSESession&) = delete;

    /// The request that opened the stream: path, query, headers, path parameters.
    const Request& call() const noexcept;

    /// The `Last-Event-ID` header the client sent when reconnecting, if any.
    std::optional<std::string_view> last_event_id() const noexcept;

    /** Queues `event` for the client.

        The event is encoded at the call; the returned awaitable queues it.
        It completes once the event is queued, at once unless the session's
        queue holds more than its byte bound (`ServerOptions::max_queued_bytes`):
        then it waits until the client has taken enough (backpressure).

        @par Example
        @code
        ssekit::ServerSentEvent event{.data = "tick", .event = "clock", .id = std::to_string(n)};
        co_await session.send(event);
        @endcode
        With g++ 12, build the event in its own statement as above: g++ 12
        double-destroys an aggregate temporary written inside `co_await`, so
        `co_await session.send(ServerSentEvent{...})` is refused at compile
        time there (see README, "g++ 12").

        @throws boost::system::system_error `error::invalid_field` at the call
        if `validate_event` refuses the event (nothing is queued); from the
        awaitable, `error::session_closed` after `close()`, after the handler's
        stream ended or once the client left, and `operation_aborted` if
        cancelled while waiting.
    */
    boost::asio::awaitable<void> send(const ServerSentEvent& event);

    /// As above, for an event that is not an lvalue (refused by g++ 12, see above).
    template <class E>
        requires std::same_as<E, ServerSentEvent>
    boost::asio::awaitable<void> send(E&& event)
    {
        static_assert(!detail::unsafe_co_await_temporary<E>,
                      "g++ 12 double-destroys a ServerSentEvent temporary inside co_await: declare it first, "
                      "`ssekit::ServerSentEvent event{...}; co_await session.send(event);`");
        return send(static_cast<const ServerSentEvent&>(event));
    }

    /// Ktor's `send(data, event, id)`; safe with temporaries on every compiler.
    boost::asio::awaitable<void> send(std::string data, std::optional<std::string> event = std::nullopt,
                                      std::optional<std::string> id = std::nullopt);

    /** Sends `value` as JSON in the `data` field, rendered by the route's
        `SseRouteOptions::serialize` (compact JSON by default). The value is
        converted at the call.

        @par Example
        @code
        struct Customer { int id; std::string first_name; std::string last_name; };
        BOOST_DESCRIBE_STRUCT(Customer, (), (id, first_name, last_name))
        const Customer customer{0, "Jet", "Brains"};
        co_await session.send(customer);  // data: {"id":0,"first_name":"Jet","last_name":"Brains"}
        @endcode
    */
    template <class T>
        requires JsonConvertible<std::remove_cvref_t<T>>
    boost::asio::awaitable<void> send(T&& value)
    {
        static_assert(!detail::unsafe_co_await_temporary<T>,
                      "g++ 12 double-destroys an aggregate temporary inside co_await: declare the value first, "
                      "then `co_await session.send(value);`");
        return send_json(boost::json::value_from(value));
    }

    /// Sends `serializer(value)` in the `data` field.
    template <class T, class Serializer>
        requires std::invocable<Serializer&, const std::remove_cvref_t<T>&> &&
                 std::convertible_to<std::invoke_result_t<Serializer&, const std::remove_cvref_t<T>&>, std::string>
    boost::asio::awaitable<void> send(T&& value, Serializer serializer)
    {
        static_assert(!detail::unsafe_co_await_temporary<T>,
                      "g++ 12 double-destroys an aggregate temporary inside co_await: declare the value first");
        return send(std::string(serializer(static_cast<const std::remove_cvref_t<T>&>(value))));
    }

    /// Sends a JSON value, rendered by the route's serializer.
    boost::asio::awaitable<void> send_json(boost::json::value value);

    /** Follows `topic`: sends what it publishes until the topic closes or
        the stream winds down (`draining()`; then it returns) or the session
        ends (then it throws, as `send` does). Called while the stream winds
        down, it returns at once.

        First it replays what the client missed: the events after the
        request's `Last-Event-ID` header, or its `last_event_id` query
        parameter (browsers cannot set headers on the first request), or
        `options.since`. An id the topic's log cannot place (another epoch,
        an offset no longer kept) gets an event named `reset` (data: that
        id), then every event the log holds. Then the live events, with no
        gap and no duplicate. A session may follow several topics
        at once from children (`spawn`). Starting to follow writes the
        response head. With `FollowOptions::prime`, an event holding only
        the id this follow starts from goes first.

        @par Example
        @code
        co_await session.follow(news);
        ssekit::FollowOptions options{.policy = ssekit::SlowSubscriberPolicy::disconnect};
        co_await session.follow(alerts, options);
        @endcode
    */
    boost::asio::awaitable<void> follow(Topic& topic);

    /// As above, with options (an lvalue on g++ 12: see `send`).
    template <class Options>
        requires std::same_as<std::remove_cvref_t<Options>, FollowOptions>
    boost::asio::awaitable<void> follow(Topic& topic, Options&& options)
    {
        static_assert(!detail::unsafe_co_await_temporary<Options>,
                      "g++ 12 double-destroys a FollowOptions temporary inside co_await: declare it first");
        return follow_topic(topic.state(), FollowOptions(options));
    }

    /** Starts (or re-tunes) the heartbeat: `options.event` every
        `options.period`, concurrently with the handler on the session's
        executor, until the session closes. A beat is skipped when the
        session's queue is over its bound. Starting it writes the response
        head (see "When the head goes out").

        @throws boost::system::system_error `error::invalid_field` if the event
        cannot be encoded.
    */
    void heartbeat(HeartbeatOptions options = {});

    /** Runs `child` on the session's executor as a child of the session:
        the way to send or follow from several coroutines at once.

        Children end with the session: when the handler returns or throws,
        on `close()`, when the client leaves or the server stops, each child's
        pending `co_await` is cancelled (`operation_aborted`) and its sends and
        follows fail with `error::session_closed`. The session, its queue and
        its connection are freed only after every child has finished, so a
        child may use the session until it returns. A child that throws
        anything but those expected ends is reported through
        `ServerOptions::on_handler_error` and closes the session.

        Use this instead of `co_spawn`: a coroutine the session does not know
        of is not cancelled when the stream ends, and its reference to the
        session dangles once the session is freed.

        @par Example
        @code
        session.spawn(session.follow(news));
        session.spawn(session.follow(alerts));
        co_await session.follow(chat);   // the stream ends when this returns; news and alerts end with it
        @endcode

        @throws boost::system::system_error `error::session_closed` once the
        session is closed.
    */
    void spawn(boost::asio::awaitable<void> child);

    /** Answers the request with `response` instead of a stream: 401 with
        `WWW-Authenticate`, 403, 404, 429 with `Retry-After`, or 204, which
        tells a browser's EventSource to stop reconnecting. The session then
        closes as by `close()`; return from the handler.

        Possible until the response head goes out (see "When the head goes
        out"). A handler that throws before that gets `500`, as a plain route.

        @par Example
        @code
        if (!authorized(session.call()))
            co_return session.respond(ssekit::Response::status_only(http::status::unauthorized));
        @endcode

        @throws boost::system::system_error `error::response_started` once the
        head went out; `error::invalid_field` if a header holds CR, LF or NUL
        or a name is not a token (nothing is sent).
    */
    void respond(Response response);

    /** Adds a header to the stream's `200` response, before it goes out.
        @throws boost::system::system_error `error::response_started` once the
        head went out; `error::invalid_field` for a name that is not a token
        or a name or value with CR, LF or NUL.
    */
    void add_header(std::string name, std::string value);

    /** Writes the response head now, before any event: the client sees the
        stream open. Does nothing once it went out.
        @throws boost::system::system_error `error::session_closed` once the
        session is closed.
    */
    void flush_headers();

    /** Ends the stream early: what is queued is flushed, the response ends,
        and later sends and follows fail with `error::session_closed`. The
        handler's pending `co_await`, and that of every child, completes with
        `operation_aborted`: so a child (or another part of the program on
        the session's executor) can end a handler that waits on anything
        cancellable. A `co_await` that starts after `close()` runs as usual
        unless it is ssekit's (`send`, `follow`, `delay`): the handler that
        calls `close()` itself should simply return. Calling it again does
        nothing. */
    void close() noexcept;

    /// Bytes queued for the client and not yet written: events, heartbeats and
    /// followed topics' events. `send` waits while this is over
    /// `ServerOptions::max_queued_bytes`.
    std::size_t queued_bytes() const noexcept;

    /// True once the stream no longer takes events (closed, ended or client gone).
    bool is_closed() const noexcept;

    /** True once the stream winds down: the server drains (`Server::drain`)
        or the stream reached its route's `SseRouteOptions::max_stream_duration`.

        The stream still takes events: the handler has
        `ServerOptions::drain_handler_grace` to send a last one and return.
        When it returns, or when that time is up, the client gets the
        farewell (`ServerOptions::drain_event` with a `retry:`) after
        everything queued, and the stream ends cleanly; a handler still
        running then sees its pending `co_await` cancelled, as on `close()`.
        `follow()` returns when the stream starts winding down, so a handler
        that ends with `co_await session.follow(topic);` needs nothing more.
    */
    bool draining() const noexcept;

    /** Waits until the stream winds down (see `draining()`); completes at
        once if it already does.

        @par Example
        @code
        // A child that says a last word when the server restarts.
        asio::awaitable<void> last_word(ssekit::ServerSSESession& session)
        {
            co_await session.wait_draining();
            co_await session.send("server restarting", "notice");
        }
        // In the handler:
        session.spawn(last_word(session));
        @endcode

        @throws boost::system::system_error `error::session_closed` if the
        stream ended without winding down (closed, or the handler returned);
        `operation_aborted` when cancelled, or when the client leaves.
    */
    boost::asio::awaitable<void> wait_draining();

    /// The executor the handler, heartbeat and writer run on.
    executor_type get_executor() const noexcept;

private:
    friend class detail::SessionCore;
    explicit ServerSSESession(detail::SessionCore& core) noexcept : core_(core) {}
    boost::asio::awaitable<void> send_encoded(std::string bytes);
    boost::asio::awaitable<void> follow_topic(std::shared_ptr<detail::TopicState> topic, FollowOptions options);

    detail::SessionCore& core_;
};

} // namespace ssekit

#endif
