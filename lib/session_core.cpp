#include "session_core.hpp"

#include "topic_state.hpp"

#include <ssekit/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <vector>

namespace ssekit::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Awaited directly as an operation: unlike use_awaitable, this adds no
// coroutine frame of its own to a wait that may last as long as the stream.
constexpr auto use_tuple = asio::as_tuple(asio::deferred);

// Events gathered into one write; well under IOV_MAX.
constexpr std::size_t max_events_per_write = 256;

bool is_expected_end(const std::exception_ptr& error)
{
    try {
        std::rethrow_exception(error);
    } catch (const boost::system::system_error& e) {
        return e.code() == asio::error::operation_aborted || e.code() == ssekit::error::session_closed;
    } catch (...) {
        return false;
    }
}

void wake(const std::unique_ptr<asio::steady_timer>& timer) noexcept
{
    if (timer)
        timer->cancel();
}

bool would_block(const error_code& ec) noexcept
{
    return ec == asio::error::would_block || ec == asio::error::try_again;
}

} // namespace

SessionCore::SessionCore(asio::ip::tcp::socket socket, Request request, const RouteMatch& match,
                         std::shared_ptr<ServerShared> shared)
    : socket_(std::move(socket)),
      request_(std::move(request)),
      shared_(std::move(shared)),
      route_(*match.sse_options),
      session_(*this),
      chunked_(request_.version() >= 11)
{
}

SessionCore::~SessionCore()
{
    shared_->registry.remove(registry_id_);
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    shared_->connection_count.fetch_sub(1);
}

void SessionCore::start(asio::ip::tcp::socket socket, Request request, const RouteMatch& match,
                        std::shared_ptr<ServerShared> shared)
{
    auto core = std::make_shared<SessionCore>(std::move(socket), std::move(request), match, std::move(shared));
    core->registry_id_ = core->shared_->registry.add(core->executor(), *core);
    core->run(*match.sse_handler);
    // A stop() that ran before this registration could not reach us.
    if (core->shared_->registry.stopping())
        core->abort();
}

asio::any_io_executor SessionCore::executor() const noexcept
{
    return const_cast<asio::ip::tcp::socket&>(socket_).get_executor();
}

std::string SessionCore::response_head() const
{
    std::string head = request_.version() >= 11 ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.0 200 OK\r\n";
    head += "Content-Type: text/event-stream\r\n"
            "Cache-Control: no-store\r\n"
            "X-Accel-Buffering: no\r\n"
            "Connection: close\r\n";
    if (chunked_)
        head += "Transfer-Encoding: chunked\r\n";
    for (const auto& [name, value] : extra_headers_) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    for (const auto& [name, value] : route_.headers) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

void SessionCore::run(const SseHandler& handler)
{
    // Writes are attempted at once and never block the thread.
    error_code ec;
    socket_.non_blocking(true, ec);
    if (ec)
        peer_gone();

    // The handler starts first: what it does before its first suspension
    // (follow's replay, say) can still shape the response head, which is
    // built by the callback posted after it.
    handler_running_ = true;
    asio::co_spawn(executor(), run_handler(handler),
                   asio::bind_cancellation_slot(
                       handler_cancel_.slot(),
                       asio::bind_executor(executor(), [self = shared_from_this()](std::exception_ptr) {
                           self->handler_running_ = false;
                       })));
    asio::post(executor(), [self = shared_from_this()] {
        self->head_ = self->response_head();
        self->head_built_ = true;
        self->write_now();
        self->watch_reads();
    });
}

asio::awaitable<void> SessionCore::run_handler(const SseHandler& handler)
{
    // Asio's default makes every co_await after a cancellation throw from
    // await_transform; g++ 12 lets that exception escape the coroutine's
    // try blocks and terminates. Cancellation still reaches the operation
    // pending at that moment, and delay()/send() check for it themselves.
    co_await asio::this_coro::throw_if_cancelled(false);
    try {
        co_await handler(session_);
    } catch (...) {
        auto error = std::current_exception();
        if (!is_expected_end(error))
            shared_->report_handler_error(request_, error);
    }
    end_stream();
}

// --- writer -------------------------------------------------------------------

void SessionCore::schedule_write() noexcept
{
    // Posted rather than done at once, so a handler's burst of sends goes out
    // in one write; before the head exists, the first write comes anyway.
    if (write_scheduled_ || !head_built_ || writer_done_)
        return;
    write_scheduled_ = true;
    asio::post(executor(), [this, self = shared_from_this()] {
        write_scheduled_ = false;
        write_now();
    });
}

bool SessionCore::take_batch()
{
    in_flight_.clear();
    out_.clear();
    out_next_ = 0;
    batch_bytes_ = 0;
    while (queue_head_ < queue_.size() && in_flight_.size() < max_events_per_write) {
        batch_bytes_ += queue_[queue_head_].bytes().size();
        in_flight_.push_back(std::move(queue_[queue_head_++]));
    }
    if (queue_head_ == queue_.size()) {
        queue_.clear();
        queue_head_ = 0;
    }
    dropped_notice_.clear();
    if (dropped_unreported_ > 0) {
        // Tell the client where the gap is: before the events that follow it.
        const ServerSentEvent notice{.data = std::to_string(dropped_unreported_), .event = "dropped"};
        dropped_notice_ = encode_event(notice);
        dropped_unreported_ = 0;
    }
    const std::size_t chunk_bytes = batch_bytes_ + dropped_notice_.size();
    if (chunk_bytes == 0 && head_.empty())
        return false;

    static constexpr std::string_view crlf = "\r\n";
    if (!head_.empty())
        out_.push_back(asio::buffer(head_));
    if (chunk_bytes > 0 && chunked_) {
        // The whole batch is one chunk: "<hex size>\r\n<events>\r\n".
        auto [end, _] = std::to_chars(chunk_size_line_.data(), chunk_size_line_.data() + 16, chunk_bytes, 16);
        end = std::copy(crlf.begin(), crlf.end(), end);
        out_.push_back(asio::buffer(chunk_size_line_.data(), static_cast<std::size_t>(end - chunk_size_line_.data())));
    }
    if (!dropped_notice_.empty())
        out_.push_back(asio::buffer(dropped_notice_));
    for (const Queued& item : in_flight_)
        out_.push_back(asio::buffer(item.bytes()));
    if (chunk_bytes > 0 && chunked_)
        out_.push_back(asio::buffer(crlf));
    return true;
}

void SessionCore::finish_batch() noexcept
{
    const bool freed = batch_bytes_ > 0;
    in_flight_.clear();
    out_.clear();
    out_next_ = 0;
    queued_bytes_ -= batch_bytes_;
    batch_bytes_ = 0;
    queued_bytes_seen_.store(queued_bytes_, std::memory_order_relaxed);
    if (!head_.empty())
        std::string().swap(head_); // written once; give its memory back
    if (freed)
        wake(space_available_);
}

void SessionCore::write_now() noexcept
{
    if (!head_built_ || waiting_writable_)
        return; // the head comes first; or a wait for room resumes this
    while (!peer_gone_ && !writer_done_) {
        if (out_next_ == out_.size()) {
            if (!out_.empty())
                finish_batch();
            if (!take_batch()) {
                if (closing_)
                    end_response();
                return;
            }
        }
        error_code ec;
        const std::span<const asio::const_buffer> rest(out_.data() + out_next_, out_.size() - out_next_);
        std::size_t written = socket_.write_some(rest, ec);
        if (would_block(ec)) {
            wait_writable();
            return;
        }
        if (ec) {
            peer_gone();
            return;
        }
        // Step over what went out; a buffer written in part keeps its rest.
        while (written > 0 && out_next_ < out_.size()) {
            const std::size_t step = std::min(written, out_[out_next_].size());
            out_[out_next_] += step;
            written -= step;
            if (out_[out_next_].size() == 0)
                ++out_next_;
        }
    }
}

void SessionCore::wait_writable() noexcept
{
    waiting_writable_ = true;
    stalled_since_ = clock::now();
    if (shared_->options.sse_write_timeout > clock::duration::zero() && !watchdog_armed_)
        arm_watchdog();
    socket_.async_wait(asio::socket_base::wait_write, [this, self = shared_from_this()](const error_code& ec) {
        waiting_writable_ = false;
        if (ec && ec != asio::error::operation_aborted)
            peer_gone();
        else if (!ec)
            write_now();
    });
}

void SessionCore::end_response() noexcept
{
    if (chunked_ && !last_chunk_sent_) {
        // The terminating chunk goes out like any batch, then the writer ends.
        last_chunk_sent_ = true;
        static constexpr std::string_view last_chunk = "0\r\n\r\n";
        out_.push_back(asio::buffer(last_chunk));
        write_now();
        return;
    }
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    writer_finished();
}

void SessionCore::writer_finished() noexcept
{
    if (writer_done_)
        return;
    writer_done_ = true;
    // The reader only watches for the peer leaving, and the timers serve the
    // writer: their watch is over.
    error_code ignored;
    socket_.cancel(ignored);
    wake(watchdog_timer_);
    wake(heartbeat_timer_);
}

// --- reader, watchdog, heartbeat -------------------------------------------

void SessionCore::watch_reads() noexcept
{
    if (writer_done_)
        return;
    socket_.async_wait(asio::socket_base::wait_read, [this, self = shared_from_this()](const error_code& ec) {
        on_readable(ec);
    });
}

void SessionCore::on_readable(const error_code& ec) noexcept
{
    // The client says nothing after its request; reading only tells us when
    // it leaves. Whatever it sends is discarded.
    if (writer_done_)
        return;
    if (ec) {
        peer_gone();
        return;
    }
    std::array<char, 512> scratch;
    for (;;) {
        error_code read_ec;
        socket_.read_some(asio::buffer(scratch), read_ec);
        if (would_block(read_ec)) {
            watch_reads();
            return;
        }
        if (read_ec) { // eof included
            peer_gone();
            return;
        }
    }
}

void SessionCore::arm_watchdog() noexcept
{
    // Armed only while a write waits for room: an idle stream holds no timer.
    // A peer that takes no bytes for write_timeout (gone without a FIN, or
    // stalled) is closed; noticed within twice that.
    watchdog_armed_ = true;
    if (!watchdog_timer_)
        watchdog_timer_ = std::make_unique<asio::steady_timer>(executor());
    watchdog_timer_->expires_after(shared_->options.sse_write_timeout);
    watchdog_timer_->async_wait([this, self = shared_from_this()](const error_code& ec) {
        watchdog_armed_ = false;
        if (!ec && !writer_done_ && waiting_writable_) {
            if (clock::now() - stalled_since_ >= shared_->options.sse_write_timeout)
                peer_gone();
            else
                arm_watchdog();
        }
    });
}

void SessionCore::arm_heartbeat() noexcept
{
    heartbeat_armed_ = true;
    if (!heartbeat_timer_)
        heartbeat_timer_ = std::make_unique<asio::steady_timer>(executor());
    heartbeat_timer_->expires_at(heartbeat_only_when_idle_ ? last_enqueued_ + heartbeat_period_ : next_beat_);
    heartbeat_timer_->async_wait([this, self = shared_from_this()](const error_code& ec) {
        heartbeat_armed_ = false;
        on_heartbeat(ec);
    });
}

void SessionCore::on_heartbeat(const error_code& ec)
{
    if (closing_ || writer_done_)
        return;
    auto now = clock::now();
    if (ec) { // re-tuned by heartbeat(): start a fresh period
        next_beat_ = now + heartbeat_period_;
        arm_heartbeat();
        return;
    }
    if (heartbeat_only_when_idle_ && last_enqueued_ + heartbeat_period_ > now) {
        arm_heartbeat();
        return;
    }
    // A beat only proves the stream alive; bytes already waiting do that too.
    if (queued_bytes_ < shared_->options.max_queued_bytes)
        enqueue(heartbeat_bytes_);
    next_beat_ += heartbeat_period_;
    if (next_beat_ < now)
        next_beat_ = now + heartbeat_period_;
    arm_heartbeat();
}

namespace {

// A session's membership of a topic: queues what the topic publishes.
class Follower final : public TopicSubscriber {
public:
    Follower(SessionCore& core, TopicState& topic, const FollowOptions& options, const asio::any_io_executor& ex)
        : core_(core), topic_(topic), options_(options), wake_(ex, std::chrono::steady_clock::time_point::max())
    {
    }

    void deliver(std::span<const std::shared_ptr<const PublishedEvent>> events) override
    {
        bool queued = false;
        for (const auto& event : events) {
            if (event->sequence <= last_sequence_)
                continue; // already in the replay, or in an earlier pass
            last_sequence_ = event->sequence;
            if (!wanted(*event))
                continue;
            auto dropped = core_.enqueue_published(event, options_.policy, options_.max_queued_events);
            if (!dropped) {
                ++topic_.disconnected;
                return;
            }
            topic_.dropped += *dropped;
            queued = true;
        }
        if (queued)
            core_.write_now();
    }

    void topic_closed() override
    {
        closed_ = true;
        wake_.cancel();
    }

    std::size_t queued_bytes() const noexcept override { return core_.queued_bytes(); }

    bool wanted(const PublishedEvent& event) const { return !options_.filter || options_.filter(event); }
    void start_after(std::uint64_t sequence) noexcept { last_sequence_ = sequence; }
    bool closed() const noexcept { return closed_; }
    auto wait() { return wake_.async_wait(use_tuple); }

private:
    SessionCore& core_;
    TopicState& topic_;
    const FollowOptions& options_;
    asio::steady_timer wake_;
    std::uint64_t last_sequence_ = 0;
    bool closed_ = false;
};

// Leaves the topic on every way out of follow(), on the session's executor.
struct Membership {
    TopicState& topic;
    std::shared_ptr<TopicShard> shard;
    TopicSubscriber& subscriber;
    bool closed_at_join = false;
    ~Membership()
    {
        if (shard)
            topic.leave(shard, subscriber);
    }
};

} // namespace

asio::awaitable<void> SessionCore::follow(std::shared_ptr<TopicState> topic, FollowOptions options)
{
    if (closing_)
        throw boost::system::system_error(ssekit::error::session_closed, "follow");
    Follower follower(*this, *topic, options, executor());
    // Set up in a plain function: its locals stay off the coroutine frame,
    // which lives as long as the stream.
    Membership membership = [&] {
        // Browsers send Last-Event-ID only when they reconnect; a page can
        // pass its last id as a query parameter on the first request.
        std::optional<std::string> since = options.since;
        if (!since) {
            if (auto id = request_.header("Last-Event-ID"))
                since.emplace(*id);
            else if (auto query_id = request_.query("last_event_id"))
                since.emplace(*query_id);
        }
        TopicJoin joined = topic->join(executor(), follower, since);
        follower.start_after(joined.last_sequence);
        if (joined.reset) {
            const ServerSentEvent reset{.data = *since, .event = "reset"};
            enqueue(encode_event(reset));
            if (!head_built_) // following first thing in the handler: the head can say it too
                extra_headers_.emplace_back("X-SSE-Replay", "reset");
        }
        // The replay goes in whole, whatever the live bounds: it is bounded
        // by the topic's buffer.
        for (auto& event : joined.replay)
            if (follower.wanted(*event))
                push(Queued{.owned = {}, .published = std::move(event)});
        schedule_write();
        return Membership{*topic, std::move(joined.shard), follower, joined.closed};
    }();

    while (!membership.closed_at_join && !follower.closed()) {
        co_await follower.wait();
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none || peer_gone_)
            throw boost::system::system_error(asio::error::operation_aborted, "follow");
        if (closing_)
            throw boost::system::system_error(ssekit::error::session_closed, "follow");
    }
}

void SessionCore::push(Queued item)
{
    queued_bytes_ += item.bytes().size();
    queue_.push_back(std::move(item));
    queued_bytes_seen_.store(queued_bytes_, std::memory_order_relaxed);
    last_enqueued_ = clock::now();
}

void SessionCore::enqueue(std::string bytes)
{
    push(Queued{.owned = std::move(bytes), .published = nullptr});
    schedule_write();
}

std::optional<std::size_t> SessionCore::enqueue_published(std::shared_ptr<const PublishedEvent> event,
                                                          SlowSubscriberPolicy policy, std::size_t max_events)
{
    if (closing_)
        return 0;
    const std::size_t size = event->encoded.size();
    std::size_t dropped = 0;
    auto over_bound = [&] {
        return queue_size() >= max_events || queued_bytes_ + size > shared_->options.max_queued_bytes;
    };
    while (queue_size() > 0 && over_bound()) {
        if (policy == SlowSubscriberPolicy::disconnect) {
            abort(); // the client reconnects with Last-Event-ID and catches up from replay
            return std::nullopt;
        }
        // Only topic events are dropped: a direct send was promised to the
        // handler, which waited for room.
        auto first = queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_);
        auto oldest = std::find_if(first, queue_.end(), [](const Queued& q) { return q.published != nullptr; });
        if (oldest == queue_.end())
            break;
        queued_bytes_ -= oldest->bytes().size();
        queue_.erase(oldest);
        ++dropped;
    }
    dropped_unreported_ += dropped;
    push(Queued{.owned = {}, .published = std::move(event)});
    return dropped;
}

asio::awaitable<void> SessionCore::send_encoded(std::string bytes)
{
    if (closing_)
        throw boost::system::system_error(ssekit::error::session_closed, "send");
    enqueue(std::move(bytes));
    while (queued_bytes_ > shared_->options.max_queued_bytes && !peer_gone_) {
        if (!space_available_)
            space_available_ = std::make_unique<asio::steady_timer>(executor(), clock::time_point::max());
        co_await space_available_->async_wait(use_tuple);
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none)
            throw boost::system::system_error(asio::error::operation_aborted, "send");
    }
}

std::string SessionCore::serialize(const boost::json::value& value) const
{
    if (route_.serialize)
        return route_.serialize(value);
    return boost::json::serialize(value);
}

void SessionCore::heartbeat(const HeartbeatOptions& options)
{
    if (options.period <= clock::duration::zero())
        throw std::invalid_argument("heartbeat period must be positive");
    std::string bytes = encode_event(options.event); // throws invalid_field
    if (closing_)
        return;
    heartbeat_bytes_ = std::move(bytes);
    heartbeat_period_ = options.period;
    heartbeat_only_when_idle_ = options.only_when_idle;
    if (heartbeat_armed_) {
        wake(heartbeat_timer_);
        return;
    }
    next_beat_ = clock::now() + heartbeat_period_;
    arm_heartbeat();
}

void SessionCore::end_stream() noexcept
{
    closing_ = true;
    wake(space_available_);
    wake(heartbeat_timer_);
    schedule_write(); // drains the queue, then ends the response
}

void SessionCore::close() noexcept
{
    if (closing_)
        return;
    end_stream();
    if (handler_running_)
        handler_cancel_.emit(asio::cancellation_type::terminal);
}

void SessionCore::peer_gone() noexcept
{
    if (peer_gone_)
        return;
    peer_gone_ = true;
    end_stream();
    writer_finished();
    if (handler_running_)
        handler_cancel_.emit(asio::cancellation_type::terminal);
}

void SessionCore::abort() noexcept { peer_gone(); }

} // namespace ssekit::detail
