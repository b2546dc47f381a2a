#ifndef SSEKIT_LIB_REDIS_REDIS_CONNECTION_HPP
#define SSEKIT_LIB_REDIS_REDIS_CONNECTION_HPP

#include "redis_command.hpp"
#include <ssekit/redis_error.hpp>
#include "redis_pipeline.hpp"
#include "redis_reply.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace ssekit::detail {

/** One connection to Redis for commands, pipelined: any number of commands
    may be waiting at once, from any number of coroutines, and each gets its
    own reply.

    Commands are written in the order they were started, those started
    together in one write, and each reply goes to its command in that order.
    A Redis error reply (`-ERR ...`) is a RedisReply like any other
    (`is_error()`); the connection goes on.

    When the connection is lost (Redis stopped, the socket closed or reset),
    every waiting command completes with redis_error::connection_lost, and
    every later one too, at once; make a new connection to go on. Nothing
    reconnects behind the caller's back, because Redis may or may not have
    run the commands that were waiting.

    @par Thread Safety
    Not thread-safe: call every member, and destroy the connection, on the
    executor it was given (a strand, or one thread's io_context).

    @par Example
    @code
    RedisConnection redis(co_await asio::this_coro::executor);
    co_await redis.connect("127.0.0.1", 6379);
    co_await redis.command("SET", "greeting", "hello");
    RedisReply reply = co_await redis.command("GET", "greeting");
    assert(reply.text() == "hello");
    @endcode
*/
class RedisConnection {
public:
    using executor_type = boost::asio::any_io_executor;

    explicit RedisConnection(executor_type executor, RedisConnectionOptions options = {});

    /** Closes the connection. Commands still waiting complete with
        `asio::error::operation_aborted`, through the executor, after this
        returns; the connection's coroutines end soon after and free what
        they held.
    */
    ~RedisConnection();

    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    executor_type get_executor() const noexcept { return pipeline_->executor(); }

    /** Connects to Redis at `host`:`port` (a name or an address), within
        `RedisConnectionOptions::connect_timeout`. A connection connects once.
        @throws boost::system::system_error with `asio::error::timed_out`, the
        connect's own error (connection_refused, ...), or
        `asio::error::already_started` on a second call.
    */
    boost::asio::awaitable<void> connect(std::string host, std::uint16_t port);

    /** Sends `command`; completes with its reply.

        The completion signature is `void(boost::system::error_code,
        RedisReply)`, the error being redis_error::not_connected,
        connection_lost or queue_full (the command was not sent), or
        `operation_aborted`. An error reply from Redis is no error here: it is
        the RedisReply.

        @par Cancellation
        Terminal and partial cancellation of the wait are supported: the
        caller gets `operation_aborted` at once, but the command may still
        have been sent and run; its reply is read and dropped, so later
        commands still get their own.

        @par Example
        @code
        auto [ec, reply] = co_await redis.async_command(RedisCommand("GET", key), asio::as_tuple(asio::use_awaitable));
        redis.async_command({"PUBLISH", channel, payload}, [](error_code ec, RedisReply reply) { ... });
        @endcode
    */
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, RedisReply)) CompletionToken>
    auto async_command(RedisCommand command, CompletionToken&& token)
    {
        return async_send(pipeline_, std::move(command), std::forward<CompletionToken>(token));
    }

    /** The same for `args`, `args[0]` the command's name, encoded (copied)
        before this returns.
        @throws std::invalid_argument if `args` is empty.
    */
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, RedisReply)) CompletionToken>
    auto async_command(std::span<const std::string_view> args, CompletionToken&& token)
    {
        return async_command(RedisCommand(args), std::forward<CompletionToken>(token));
    }

    /// The same for a braced list; g++ 12 rejects one inside a co_await, where
    /// RedisCommand("GET", key) does.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, RedisReply)) CompletionToken>
    auto async_command(std::initializer_list<std::string_view> args, CompletionToken&& token)
    {
        return async_command(RedisCommand(args), std::forward<CompletionToken>(token));
    }

    /** async_command for a coroutine: `co_await redis.command("GET", key)`,
        each argument a string or a view of one, encoded before this returns.
        @throws boost::system::system_error from the co_await for the errors
        of async_command (never for an error reply, which is returned).
    */
    template <class... Args>
        requires(sizeof...(Args) > 0 && (std::is_convertible_v<const Args&, std::string_view> && ...))
    boost::asio::awaitable<RedisReply> command(const Args&... args)
    {
        return command(RedisCommand(args...));
    }

    /// The same for a command encoded before, or built from a list.
    boost::asio::awaitable<RedisReply> command(RedisCommand command);
    boost::asio::awaitable<RedisReply> command(std::span<const std::string_view> args);

    /// True from a successful connect() until the connection is lost.
    bool is_open() const noexcept { return pipeline_->is_open(); }
    /// How many writes the connection has made: pipelined commands share them.
    std::uint64_t writes() const noexcept { return pipeline_->writes(); }
    /// Commands waiting for their replies.
    std::size_t pending_replies() const noexcept { return pipeline_->pending_replies(); }

private:
    std::shared_ptr<RedisPipeline> pipeline_;
};

} // namespace ssekit::detail

#endif
