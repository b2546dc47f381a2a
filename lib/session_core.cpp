#include "session_core.hpp"

#include "topic_state.hpp"

#include <ssekit/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace ssekit::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

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

void wake(asio::steady_timer& timer) noexcept { timer.cancel(); }

} // namespace

SessionCore::SessionCore(asio::ip::tcp::socket& socket, const Request& request, Settings settings)
    : socket_(socket),
      request_(request),
      settings_(std::move(settings)),
      session_(*this),
      chunked_(request.version() >= 11),
      watchdog_timer_(socket.get_executor()),
      writer_wake_(socket.get_executor(), clock::time_point::max()),
      space_available_(socket.get_executor(), clock::time_point::max()),
      tasks_done_(socket.get_executor(), clock::time_point::max()),
      heartbeat_timer_(socket.get_executor())
{
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
    for (const auto& [name, value] : settings_.route.headers) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

void SessionCore::spawn_task(asio::awaitable<void> task)
{
    ++live_tasks_;
    asio::co_spawn(executor(), std::move(task), asio::bind_executor(executor(), [this](std::exception_ptr) {
                       // Each task handles its own errors; only the count matters here.
                       task_ended();
                   }));
}

void SessionCore::task_ended() noexcept
{
    if (--live_tasks_ == 0)
        wake(tasks_done_);
}

asio::awaitable<void> SessionCore::run(const SseHandler& handler)
{
    // The handler starts first: what it does before its first suspension
    // (follow's replay, say) can still shape the response head, which the
    // writer builds when it starts.
    ++live_tasks_;
    handler_running_ = true;
    asio::co_spawn(executor(), run_handler(handler),
                   asio::bind_cancellation_slot(handler_cancel_.slot(),
                                                asio::bind_executor(executor(), [this](std::exception_ptr) {
                                                    handler_running_ = false;
                                                    task_ended();
                                                })));
    spawn_task(run_writer());
    spawn_task(run_reader());
    if (settings_.write_timeout > clock::duration::zero())
        spawn_task(run_write_watchdog());

    while (live_tasks_ > 0)
        co_await tasks_done_.async_wait(use_tuple);
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
            settings_.report_handler_error(error);
    }
    end_stream();
}

asio::awaitable<void> SessionCore::run_writer()
{
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(max_events_per_write + 4);
    in_flight_.reserve(max_events_per_write);
    std::array<char, 24> chunk_size_line{};
    static constexpr std::string_view crlf = "\r\n";
    head_ = response_head();
    head_built_ = true;

    while (!peer_gone_) {
        if (queue_.empty() && head_.empty()) {
            if (closing_)
                break;
            co_await writer_wake_.async_wait(use_tuple);
            continue;
        }

        // Take the batch out of the queue, so sends and drops may change the
        // queue while the write is in flight.
        in_flight_.clear();
        std::size_t batch_bytes = 0;
        while (!queue_.empty() && in_flight_.size() < max_events_per_write) {
            batch_bytes += queue_.front().bytes().size();
            in_flight_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        dropped_notice_.clear();
        if (dropped_unreported_ > 0) {
            // Tell the client where the gap is: before the events that follow it.
            const ServerSentEvent notice{.data = std::to_string(dropped_unreported_), .event = "dropped"};
            dropped_notice_ = encode_event(notice);
            dropped_unreported_ = 0;
        }
        const std::size_t chunk_bytes = batch_bytes + dropped_notice_.size();

        buffers.clear();
        if (!head_.empty())
            buffers.push_back(asio::buffer(head_));
        if (chunk_bytes > 0 && chunked_) {
            // The whole batch is one chunk: "<hex size>\r\n<events>\r\n".
            auto [end, _] = std::to_chars(chunk_size_line.data(), chunk_size_line.data() + 16, chunk_bytes, 16);
            end = std::copy(crlf.begin(), crlf.end(), end);
            buffers.push_back(asio::buffer(chunk_size_line.data(), end - chunk_size_line.data()));
        }
        if (!dropped_notice_.empty())
            buffers.push_back(asio::buffer(dropped_notice_));
        for (const Queued& item : in_flight_)
            buffers.push_back(asio::buffer(item.bytes()));
        if (chunk_bytes > 0 && chunked_)
            buffers.push_back(asio::buffer(crlf));

        write_started_ = clock::now();
        writing_ = true;
        auto [ec, _] = co_await asio::async_write(socket_, buffers, use_tuple);
        writing_ = false;
        head_.clear();
        in_flight_.clear();
        queued_bytes_ -= batch_bytes;
        queued_bytes_seen_.store(queued_bytes_, std::memory_order_relaxed);
        if (ec) {
            peer_gone();
            break;
        }
        wake(space_available_);
    }

    if (!peer_gone_) {
        if (chunked_) {
            static constexpr std::string_view last_chunk = "0\r\n\r\n";
            auto [ec, _] = co_await asio::async_write(socket_, asio::buffer(last_chunk), use_tuple);
            if (ec)
                peer_gone();
        }
        error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    writer_done_ = true;
    wake(watchdog_timer_);
    // The reader only watches for the peer leaving; its watch is over.
    error_code ignored;
    socket_.cancel(ignored);
}

asio::awaitable<void> SessionCore::run_write_watchdog()
{
    // A peer that takes no bytes for write_timeout (gone without a FIN, or
    // stalled) is closed; checked every write_timeout, so it is noticed
    // within twice that.
    const auto timeout = settings_.write_timeout;
    while (!writer_done_ && !peer_gone_) {
        watchdog_timer_.expires_after(timeout);
        co_await watchdog_timer_.async_wait(use_tuple);
        if (writing_ && clock::now() - write_started_ >= timeout) {
            peer_gone();
            break;
        }
    }
}

asio::awaitable<void> SessionCore::run_reader()
{
    // The client says nothing after its request; reading only tells us when
    // it leaves. Whatever it sends is discarded.
    std::array<char, 512> scratch;
    for (;;) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(scratch), use_tuple);
        if (ec)
            break;
    }
    if (!writer_done_)
        peer_gone();
}

asio::awaitable<void> SessionCore::run_heartbeat()
{
    auto next_beat = clock::now() + heartbeat_period_;
    while (!closing_) {
        heartbeat_timer_.expires_at(heartbeat_only_when_idle_ ? last_enqueued_ + heartbeat_period_ : next_beat);
        auto [ec] = co_await heartbeat_timer_.async_wait(use_tuple);
        if (closing_)
            break;
        auto now = clock::now();
        if (ec) { // re-tuned by heartbeat(): start a fresh period
            next_beat = now + heartbeat_period_;
            continue;
        }
        if (heartbeat_only_when_idle_ && last_enqueued_ + heartbeat_period_ > now)
            continue;
        // A beat only proves the stream alive; bytes already waiting do that too.
        if (queued_bytes_ < settings_.max_queued_bytes)
            enqueue(heartbeat_bytes_);
        next_beat += heartbeat_period_;
        if (next_beat < now)
            next_beat = now + heartbeat_period_;
    }
    heartbeat_running_ = false;
}

namespace {

// A session's membership of a topic: queues what the topic publishes.
class Follower final : public TopicSubscriber {
public:
    Follower(SessionCore& core, TopicState& topic, const FollowOptions& options, const asio::any_io_executor& ex)
        : core_(core), topic_(topic), options_(options), wake_(ex, std::chrono::steady_clock::time_point::max())
    {
    }

    void deliver(const std::shared_ptr<const PublishedEvent>& event) override
    {
        if (event->sequence <= last_sequence_)
            return; // already in the replay this subscriber started with
        last_sequence_ = event->sequence;
        if (!wanted(*event))
            return;
        auto dropped = core_.enqueue_published(event, options_.policy, options_.max_queued_events);
        if (!dropped)
            ++topic_.disconnected;
        else
            topic_.dropped += *dropped;
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
    // Browsers send Last-Event-ID only when they reconnect; a page can pass
    // its last id as a query parameter on the first request.
    std::optional<std::string> since = options.since;
    if (!since) {
        if (auto id = request_.header("Last-Event-ID"))
            since.emplace(*id);
        else if (auto query_id = request_.query("last_event_id"))
            since.emplace(*query_id);
    }

    Follower follower(*this, *topic, options, executor());
    TopicJoin joined = topic->join(executor(), follower, since);
    Membership membership{*topic, joined.shard, follower};
    follower.start_after(joined.last_sequence);
    if (joined.reset) {
        const ServerSentEvent reset{.data = *since, .event = "reset"};
        enqueue(encode_event(reset));
        if (!head_built_) // following first thing in the handler: the head can say it too
            extra_headers_.emplace_back("X-SSE-Replay", "reset");
    }
    // The replay goes in whole, whatever the live bounds: it is bounded by
    // the topic's buffer.
    for (auto& event : joined.replay)
        if (follower.wanted(*event))
            push(Queued{.owned = {}, .published = std::move(event)});

    while (!joined.closed && !follower.closed()) {
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
    wake(writer_wake_);
}

void SessionCore::enqueue(std::string bytes)
{
    push(Queued{.owned = std::move(bytes), .published = nullptr});
}

std::optional<std::size_t> SessionCore::enqueue_published(std::shared_ptr<const PublishedEvent> event,
                                                          SlowSubscriberPolicy policy, std::size_t max_events)
{
    if (closing_)
        return 0;
    const std::size_t size = event->encoded.size();
    std::size_t dropped = 0;
    auto over_bound = [&] {
        return queue_.size() >= max_events || queued_bytes_ + size > settings_.max_queued_bytes;
    };
    while (!queue_.empty() && over_bound()) {
        if (policy == SlowSubscriberPolicy::disconnect) {
            abort(); // the client reconnects with Last-Event-ID and catches up from replay
            return std::nullopt;
        }
        // Only topic events are dropped: a direct send was promised to the
        // handler, which waited for room.
        auto oldest = std::find_if(queue_.begin(), queue_.end(), [](const Queued& q) { return q.published != nullptr; });
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
    while (queued_bytes_ > settings_.max_queued_bytes && !peer_gone_) {
        co_await space_available_.async_wait(use_tuple);
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none)
            throw boost::system::system_error(asio::error::operation_aborted, "send");
    }
}

std::string SessionCore::serialize(const boost::json::value& value) const
{
    if (settings_.route.serialize)
        return settings_.route.serialize(value);
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
    if (heartbeat_running_) {
        wake(heartbeat_timer_);
        return;
    }
    heartbeat_running_ = true;
    spawn_task(run_heartbeat());
}

void SessionCore::end_stream() noexcept
{
    closing_ = true;
    wake(writer_wake_);
    wake(space_available_);
    wake(heartbeat_timer_);
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
    error_code ignored;
    socket_.cancel(ignored);
    if (handler_running_)
        handler_cancel_.emit(asio::cancellation_type::terminal);
}

void SessionCore::abort() noexcept { peer_gone(); }

} // namespace ssekit::detail
