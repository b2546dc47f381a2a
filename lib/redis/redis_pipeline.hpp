#ifndef SSEKIT_LIB_REDIS_REDIS_PIPELINE_HPP
#define SSEKIT_LIB_REDIS_REDIS_PIPELINE_HPP

#include "redis_command.hpp"
#include "redis_reply.hpp"
#include "redis_reply_reader.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

namespace ssekit::detail {

/** Bounds of one connection to Redis. */
struct RedisConnectionOptions {
    /// How long connect() may take, name resolution included.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(5);

    /// Bytes of encoded commands not yet written (queued, or in the write
    /// under way). A command that would pass it fails at once with
    /// redis_error::queue_full; so does any command larger than it.
    std::size_t max_unwritten_bytes = 16 * 1024 * 1024;

    /// Commands whose replies have not arrived yet (written or queued). The
    /// next one fails at once with redis_error::queue_full.
    std::size_t max_pending_replies = 100'000;
};

/// Completes `handler` with `args` through `executor`, never inside the
/// caller: whoever completes it may be in the middle of changing its state.
template <class Handler, class... Args>
void post_completion(const boost::asio::any_io_executor& executor, Handler handler, Args&&... args)
{
    boost::asio::post(executor, boost::asio::append(std::move(handler), std::forward<Args>(args)...));
}

/** One TCP connection to Redis speaking RESP2: the state that RedisConnection
    and RedisSubscriber share.

    Who holds it: the owner's handle, and the connection's two coroutines (the
    writer and the reader) for as long as they run. The handle closes it when
    it goes away; the coroutines then end and the last one frees it, so
    nothing that completes late can reach freed memory.

    Commands are pipelined. Each is appended to one write buffer when it is
    started, and a waiter for its reply to a FIFO, in the same order; the
    writer writes everything queued in one write, and while that write is
    under way the next commands gather for the next one. Redis answers in
    order, so the reader gives each reply to the oldest waiter. A waiter
    whose caller stopped waiting (cancellation) stays in the FIFO without a
    handler and its reply is read and dropped: the FIFO never shifts.

    All of it runs on one executor, the one given: call every member there.
*/
class RedisPipeline : public std::enable_shared_from_this<RedisPipeline> {
public:
    using ReplyHandler = boost::asio::any_completion_handler<void(boost::system::error_code, RedisReply)>;

    RedisPipeline(boost::asio::any_io_executor executor, RedisConnectionOptions options);
    virtual ~RedisPipeline();

    RedisPipeline(const RedisPipeline&) = delete;
    RedisPipeline& operator=(const RedisPipeline&) = delete;

    /** Resolves `host`, connects within the options' timeout, then starts the
        writer and the reader, which hold `self` from then on.
        @throws boost::system::system_error: asio::error::timed_out, the
        connect's own error, asio::error::already_started on a second call,
        or the close reason if close() came first.
    */
    static boost::asio::awaitable<void> connect(std::shared_ptr<RedisPipeline> self, std::string host,
                                                std::uint16_t port);

    /// Queues `command` for writing; `handler` completes with its reply, or
    /// at once with an error if the connection is not open or is full.
    void start(RedisCommand command, ReplyHandler handler);

    /// Closes the socket and completes every waiting command with `reason`;
    /// later commands fail with it too. The first call decides the reason.
    void close(boost::system::error_code reason) noexcept;

    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
    bool is_open() const noexcept { return phase_ == Phase::open; }
    /// How many writes were made to the socket (each may hold many commands).
    std::uint64_t writes() const noexcept { return writes_; }
    /// Replies not yet arrived, of commands written or queued.
    std::size_t pending_replies() const noexcept { return waiters_.size(); }
    /// Bytes of commands not yet written.
    std::size_t unwritten_bytes() const noexcept { return unwritten_.size() + writing_.size(); }

protected:
    /// A reply that answers no command (a pub/sub message): return true to
    /// take it out of the FIFO matching. The default takes nothing.
    virtual bool take_push(RedisReply& reply);

    /// Called once, when close() has failed the waiting commands.
    virtual void on_closed(boost::system::error_code reason) noexcept;

    /// Why nothing can be done now: not_connected before the connection is
    /// open, the close reason after it closed; none while it is open.
    boost::system::error_code unavailable() const noexcept;

private:
    enum class Phase : std::uint8_t { idle, connecting, open, closed };

    struct Waiter {
        ReplyHandler handler; // empty once its caller stopped waiting
    };

    class CancelWaiter;

    static boost::asio::awaitable<void> open_socket(std::shared_ptr<RedisPipeline> self, std::string host,
                                                    std::uint16_t port);
    static boost::asio::awaitable<void> write_loop(std::shared_ptr<RedisPipeline> self);
    static boost::asio::awaitable<void> read_loop(std::shared_ptr<RedisPipeline> self);

    /// Hands a reply to its waiter (the oldest), or to take_push.
    void deliver(RedisReply reply);
    /// The caller of waiter `id` stopped waiting: completes it now with
    /// operation_aborted; its reply will be dropped when it comes.
    void abandon(std::uint64_t id) noexcept;
    void complete(ReplyHandler handler, boost::system::error_code ec, RedisReply reply);

    boost::asio::any_io_executor executor_;
    RedisConnectionOptions options_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer wake_writer_;
    bool writer_waiting_ = false;
    RedisReplyReader reader_;
    Phase phase_ = Phase::idle;
    boost::system::error_code close_reason_;

    std::string unwritten_; // commands started since the write under way began
    std::string writing_;   // the bytes of the write under way
    std::deque<Waiter> waiters_; // one per command written or queued, oldest first
    std::uint64_t first_waiter_id_ = 0; // the id of waiters_.front(); ids count up
    std::uint64_t writes_ = 0;
};

/** Starts `command` on `pipeline`; completes with
    `void(boost::system::error_code, RedisReply)`. The pipeline, not its
    owner, goes with the initiation: a lazy token may start it after the
    owner is gone, and then it fails cleanly with the close reason.
*/
template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, RedisReply)) CompletionToken>
auto async_send(std::shared_ptr<RedisPipeline> pipeline, RedisCommand command, CompletionToken&& token)
{
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, RedisReply)>(
        [](auto handler, std::shared_ptr<RedisPipeline> pipeline, RedisCommand command) {
            pipeline->start(std::move(command), RedisPipeline::ReplyHandler(std::move(handler)));
        },
        token, std::move(pipeline), std::move(command));
}

} // namespace ssekit::detail

#endif
