#ifndef SSEKIT_LIB_REDIS_REDIS_SUBSCRIBER_HPP
#define SSEKIT_LIB_REDIS_REDIS_SUBSCRIBER_HPP

#include <ssekit/redis_error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace ssekit::detail {

/** A message published on a channel the subscriber listens to. Both are
    bytes: the payload may hold CR, LF and NUL.

    Not an aggregate on purpose: g++ 12 destroys an aggregate temporary
    written inside a co_await twice (see ssekit/detail/co_await_temporary.hpp).
*/
struct RedisMessage {
    RedisMessage() = default;
    RedisMessage(std::string channel, std::string payload) : channel(std::move(channel)), payload(std::move(payload)) {}

    std::string channel;
    std::string payload;

    friend bool operator==(const RedisMessage&, const RedisMessage&) = default;
};

struct RedisSubscriberOptions {
    /// How long connect() may take, name resolution included.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(5);

    /// Bytes of messages (channel and payload) received and not yet taken
    /// by receive(). The message that would pass it closes the subscriber
    /// with redis_error::receive_queue_full: a gap is announced, never silent.
    std::size_t max_queued_bytes = 16 * 1024 * 1024;
};

/** A connection to Redis in PUB/SUB mode: RESP2 gives a subscribed
    connection to pub/sub alone, so it is a connection of its own.

    Messages are pulled with receive() rather than pushed to a handler: the
    owner's coroutine does the work (no user code runs inside the reader),
    what it throws stays in its own frame, and a slow owner shows up as the
    queue's bound being reached rather than as callbacks piling up.

    @par Thread Safety
    Not thread-safe: call every member, and destroy it, on its executor.

    @par Example
    @code
    RedisSubscriber subscriber(co_await asio::this_coro::executor);
    co_await subscriber.connect("127.0.0.1", 6379);
    co_await subscriber.subscribe("topic:news"); // Redis has confirmed it
    for (;;) {
        RedisMessage message = co_await subscriber.receive();
        handle(message.channel, message.payload);
    }
    @endcode
*/
class RedisSubscriber {
public:
    using executor_type = boost::asio::any_io_executor;
    using MessageHandler = boost::asio::any_completion_handler<void(boost::system::error_code, RedisMessage)>;

    explicit RedisSubscriber(executor_type executor, RedisSubscriberOptions options = {});

    /** Closes the connection; a receive() or subscribe() waiting completes
        with `asio::error::operation_aborted`, through the executor. */
    ~RedisSubscriber();

    RedisSubscriber(const RedisSubscriber&) = delete;
    RedisSubscriber& operator=(const RedisSubscriber&) = delete;

    executor_type get_executor() const noexcept;

    /** Connects to Redis at `host`:`port` within the options' timeout.
        @throws boost::system::system_error as RedisConnection::connect does.
    */
    boost::asio::awaitable<void> connect(std::string host, std::uint16_t port);

    /** Subscribes to `channel`; returns once Redis has confirmed it, so a
        message published after that is received.
        @throws boost::system::system_error: redis_error::not_connected,
        connection_lost, or unexpected_reply if Redis refused.
    */
    boost::asio::awaitable<void> subscribe(std::string_view channel);

    /** Unsubscribes from `channel`; returns once Redis has confirmed it, and
        no message of that channel arrives after this (those received
        before are still in the queue).
        @throws boost::system::system_error as subscribe() does.
    */
    boost::asio::awaitable<void> unsubscribe(std::string_view channel);

    /** Takes the next message, in the order Redis sent them; waits for one
        if none is queued. Completes with `void(error_code, RedisMessage)`.

        The messages queued when the connection ends are still received; then
        the error: redis_error::connection_lost, receive_queue_full, or
        operation_aborted once the subscriber is destroyed. Also
        redis_error::not_connected before connect(), and
        `asio::error::already_started` if another receive is waiting: one
        receiver at a time.

        @par Cancellation
        Terminal, partial and total cancellation: the wait ends with
        `operation_aborted` and no message is taken.
    */
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, RedisMessage)) CompletionToken>
    auto async_receive(CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, RedisMessage)>(
            [](auto handler, std::shared_ptr<State> state) {
                start_receive(state, MessageHandler(std::move(handler)));
            },
            token, state_);
    }

    /// async_receive for a coroutine; throws boost::system::system_error.
    boost::asio::awaitable<RedisMessage> receive();

    /// True from a successful connect() until the connection is closed.
    bool is_open() const noexcept;
    /// Bytes of messages received and not yet taken.
    std::size_t queued_bytes() const noexcept;

private:
    class State;

    static void start_receive(const std::shared_ptr<State>& state, MessageHandler handler);

    std::shared_ptr<State> state_;
};

} // namespace ssekit::detail

#endif
