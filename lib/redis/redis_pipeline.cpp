#include "redis_pipeline.hpp"

#include <ssekit/redis_error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <cstdio>
#include <exception>
#include <optional>

namespace ssekit::detail {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Bytes read from the socket at a time; a 1 MiB reply takes 64 reads.
constexpr std::size_t read_chunk = 16 * 1024;

/// A write buffer that grew past this for a burst is given back once
/// written, rather than kept at its peak for the connection's life.
constexpr std::size_t kept_buffer_capacity = 64 * 1024;

void report_unexpected(const char* where, std::exception_ptr error) noexcept
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ssekit: redis %s: %s\n", where, e.what());
    } catch (...) {
        std::fprintf(stderr, "ssekit: redis %s: unknown exception\n", where);
    }
}

} // namespace

/// Installed in the cancellation slot of a command's handler. It holds the
/// pipeline weakly and names the waiter by id, so it does no harm if it is
/// called after the command completed or the pipeline is gone: Asio leaves
/// a slot's handler in place until the caller's next operation replaces it.
class RedisPipeline::CancelWaiter {
public:
    CancelWaiter(std::weak_ptr<RedisPipeline> pipeline, std::uint64_t id) : pipeline_(std::move(pipeline)), id_(id) {}

    void operator()(asio::cancellation_type type) const
    {
        // Not `total`: the command may already be on its way to Redis, and
        // only the wait can be undone, not what the command does.
        if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) ==
            asio::cancellation_type::none)
            return;
        if (auto pipeline = pipeline_.lock())
            pipeline->abandon(id_);
    }

private:
    std::weak_ptr<RedisPipeline> pipeline_;
    std::uint64_t id_;
};

RedisPipeline::RedisPipeline(asio::any_io_executor executor, RedisConnectionOptions options)
    : executor_(std::move(executor)), options_(options), socket_(executor_), wake_writer_(executor_)
{
}

RedisPipeline::~RedisPipeline() = default;

bool RedisPipeline::take_push(RedisReply&) { return false; }

void RedisPipeline::on_closed(error_code) noexcept {}

error_code RedisPipeline::unavailable() const noexcept
{
    switch (phase_) {
    case Phase::open:
        return {};
    case Phase::closed:
        return close_reason_;
    default:
        return redis_error::not_connected;
    }
}

asio::awaitable<void> RedisPipeline::connect(std::shared_ptr<RedisPipeline> self, std::string host,
                                             std::uint16_t port)
{
    if (self->phase_ != Phase::idle)
        throw boost::system::system_error(self->phase_ == Phase::closed ? self->close_reason_
                                                                       : error_code(asio::error::already_started),
                                          "Redis connect");
    self->phase_ = Phase::connecting;

    // The timer races the whole of resolve + connect; the group cancels the
    // loser and waits for it, so nothing of the attempt outlives this frame.
    asio::steady_timer timeout(self->executor_, self->options_.connect_timeout);
    auto [order, failure, timer_ec] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(self->executor_, open_socket(self, std::move(host), port), asio::deferred),
            timeout.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);

    if (self->phase_ == Phase::closed) // the owner went away meanwhile
        throw boost::system::system_error(self->close_reason_, "Redis connect");
    if (order[0] == 1 || failure) {
        self->close(redis_error::not_connected);
        if (order[0] == 1)
            throw boost::system::system_error(asio::error::timed_out, "Redis connect");
        std::rethrow_exception(failure);
    }

    self->phase_ = Phase::open;
    auto on_end = [self](const char* where) {
        return [self, where](std::exception_ptr error) {
            if (!error)
                return;
            report_unexpected(where, error);
            self->close(redis_error::connection_lost);
        };
    };
    asio::co_spawn(self->executor_, write_loop(self), on_end("writer"));
    asio::co_spawn(self->executor_, read_loop(self), on_end("reader"));
}

asio::awaitable<void> RedisPipeline::open_socket(std::shared_ptr<RedisPipeline> self, std::string host,
                                                 std::uint16_t port)
{
    tcp::resolver resolver(self->executor_);
    auto endpoints = co_await resolver.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                                                     asio::use_awaitable);
    // close() cannot cancel a resolve; it must not be undone by a connect.
    if (self->phase_ == Phase::closed)
        throw boost::system::system_error(self->close_reason_, "Redis connect");
    co_await asio::async_connect(self->socket_, endpoints, asio::use_awaitable);
    // Commands are small and a caller waits for each reply: send at once.
    self->socket_.set_option(tcp::no_delay(true));
}

void RedisPipeline::start(RedisCommand command, ReplyHandler handler)
{
    error_code refused = unavailable();
    if (!refused && (waiters_.size() >= options_.max_pending_replies ||
                     unwritten_bytes() + command.size() > options_.max_unwritten_bytes))
        refused = redis_error::queue_full;
    if (refused) {
        post_completion(executor_, std::move(handler), refused, RedisReply());
        return;
    }

    // The bytes and the waiter go in together, in the same order: that is
    // all the FIFO matching rests on.
    unwritten_.append(command.bytes());
    const std::uint64_t id = first_waiter_id_ + waiters_.size();
    if (auto slot = handler.get_cancellation_slot(); slot.is_connected())
        slot.emplace<CancelWaiter>(weak_from_this(), id);
    waiters_.push_back(Waiter{std::move(handler)});

    if (writer_waiting_) {
        // The writer resumes through the executor's queue, after whatever is
        // already there: commands started meanwhile join the same write.
        writer_waiting_ = false;
        wake_writer_.cancel();
    }
}

asio::awaitable<void> RedisPipeline::write_loop(std::shared_ptr<RedisPipeline> self)
{
    for (;;) {
        if (self->phase_ == Phase::closed)
            co_return;
        if (self->unwritten_.empty()) {
            self->writer_waiting_ = true;
            self->wake_writer_.expires_at(asio::steady_timer::time_point::max());
            co_await self->wake_writer_.async_wait(use_tuple);
            continue;
        }
        self->writing_.swap(self->unwritten_);
        ++self->writes_;
        auto [ec, written] = co_await asio::async_write(self->socket_, asio::buffer(self->writing_), use_tuple);
        if (self->writing_.capacity() > kept_buffer_capacity)
            std::string().swap(self->writing_);
        else
            self->writing_.clear();
        if (self->phase_ == Phase::closed)
            co_return;
        if (ec) {
            self->close(redis_error::connection_lost);
            co_return;
        }
    }
}

asio::awaitable<void> RedisPipeline::read_loop(std::shared_ptr<RedisPipeline> self)
{
    std::array<char, read_chunk> buffer;
    for (;;) {
        auto [ec, read] = co_await self->socket_.async_read_some(asio::buffer(buffer), use_tuple);
        if (self->phase_ == Phase::closed)
            co_return;
        if (ec) { // end of stream included: Redis never closes a healthy connection
            self->close(redis_error::connection_lost);
            co_return;
        }
        self->reader_.feed(std::string_view(buffer.data(), read));
        for (;;) {
            error_code parse_ec;
            std::optional<RedisReply> reply = self->reader_.next(parse_ec);
            if (parse_ec) {
                self->close(parse_ec);
                co_return;
            }
            if (!reply)
                break;
            self->deliver(std::move(*reply));
            if (self->phase_ == Phase::closed)
                co_return;
        }
    }
}

void RedisPipeline::deliver(RedisReply reply)
{
    if (take_push(reply))
        return;
    if (waiters_.empty()) {
        // Every later reply would go to the wrong command.
        close(redis_error::protocol_error);
        return;
    }
    ReplyHandler handler = std::move(waiters_.front().handler);
    waiters_.pop_front();
    ++first_waiter_id_;
    if (handler) // else its caller stopped waiting: the reply is dropped
        complete(std::move(handler), {}, std::move(reply));
}

void RedisPipeline::abandon(std::uint64_t id) noexcept
{
    if (id < first_waiter_id_ || id - first_waiter_id_ >= waiters_.size())
        return; // answered already
    Waiter& waiter = waiters_[id - first_waiter_id_];
    if (!waiter.handler)
        return;
    // Called from inside the handler's cancellation slot, which therefore
    // must not be cleared here (complete() would): CancelWaiter is safe to
    // leave behind.
    post_completion(executor_, std::move(waiter.handler), error_code(asio::error::operation_aborted), RedisReply());
}

void RedisPipeline::complete(ReplyHandler handler, error_code ec, RedisReply reply)
{
    if (auto slot = handler.get_cancellation_slot(); slot.is_connected())
        slot.clear();
    post_completion(executor_, std::move(handler), ec, std::move(reply));
}

void RedisPipeline::close(error_code reason) noexcept
{
    if (phase_ == Phase::closed)
        return;
    phase_ = Phase::closed;
    close_reason_ = reason;

    // The reader's and the writer's operations end with operation_aborted;
    // they see the phase and return, dropping their hold on this.
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    wake_writer_.cancel();

    std::deque<Waiter> waiters;
    waiters.swap(waiters_);
    first_waiter_id_ += waiters.size();
    for (Waiter& waiter : waiters)
        if (waiter.handler)
            complete(std::move(waiter.handler), reason, RedisReply());
    std::string().swap(unwritten_); // writing_ may still be in the socket's hands

    on_closed(reason);
}

} // namespace ssekit::detail
