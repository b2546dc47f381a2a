#include "session_core.hpp"

#include "cors.hpp"
#include "farewell.hpp"
#include "response_head.hpp"
#include "topic_follower.hpp"
#include "topic_state.hpp"

#include <ssekit/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace ssekit::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Awaited directly as an operation: unlike use_awaitable, this adds no
// coroutine frame of its own to a wait that may last as long as the stream.
constexpr auto use_tuple = asio::as_tuple(asio::deferred);

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

[[noreturn]] void throw_closed(const char* where)
{
    throw boost::system::system_error(ssekit::error::session_closed, where);
}

// A plain answer instead of the stream (a refusal, or a failure before the
// head), then the close.
std::string render_plain_response(Response response, unsigned version)
{
    bool keep_alive = false;
    std::string head = render_plain_head(response, version, keep_alive);
    if (!has_no_content(response.status))
        head += response.body;
    return head;
}

} // namespace

SessionCore::SessionCore(Transport& transport, Request request, const RouteMatch& match,
                         std::shared_ptr<ServerShared> shared)
    : transport_(transport),
      request_(std::move(request)),
      shared_(std::move(shared)),
      route_(*match.sse_options),
      session_(*this),
      chunked_(request_.version() >= 11)
{
    if (auto origin = request_.header("Origin"); origin && match.cors)
        cors_headers_ = cors_response_headers(*match.cors, *origin, true);
}

SessionCore::~SessionCore()
{
    shared_->registry.remove(registry_id_);
    transport_.close();
    shared_->connection_ended();
}

void SessionCore::launch(std::shared_ptr<SessionCore> core, const SseHandler& handler)
{
    core->registry_id_ = core->shared_->registry.add(core->executor(), *core);
    if (core->shared_->draining.load())
        core->farewell_only();
    else
        core->run(handler);
    // A stop() that ran before this registration could not reach us.
    if (core->shared_->registry.stopping())
        core->abort();
}

asio::any_io_executor SessionCore::executor() const noexcept
{
    return transport_.executor();
}

void SessionCore::run(const SseHandler& handler)
{
    // Watch for the peer leaving from the start: one that leaves while the
    // handler still decides (an auth lookup, say) cancels it too.
    watch_peer();

    handler_running_ = true;
    asio::co_spawn(executor(), run_handler(handler),
                   asio::bind_cancellation_slot(
                       handler_cancel_.slot(),
                       asio::bind_executor(executor(), [self = shared_from_this()](std::exception_ptr) mutable {
                           self->handler_running_ = false;
                           // Asio still uses the signal until this returns.
                           auto ex = self->executor();
                           asio::post(ex, [self = std::move(self)] {});
                       })));

    if (route_.max_stream_duration)
        arm_farewell_timer(clock::now() + jitter(*route_.max_stream_duration, 0.1),
                           [](SessionCore& self) { self.wind_down(self.shared_->options.drain_handler_grace); });
}

void SessionCore::farewell_only() noexcept
{
    // No handler runs: the client learns when to come back, and comes back
    // to a server that accepts.
    draining_ = true;
    commit_head();
    if (closing_) // the route's headers failed: answered 500
        return;
    queue_farewell();
    end_stream();
}

asio::awaitable<void> SessionCore::run_handler(const SseHandler& handler)
{
    // Asio's default makes every co_await after a cancellation throw from
    // await_transform; g++ 12 lets that exception escape the coroutine's
    // try blocks and terminates. Cancellation still reaches the operation
    // pending at that moment, and delay()/send() check for it themselves.
    co_await asio::this_coro::throw_if_cancelled(false);
    bool failed = false;
    try {
        co_await handler(session_);
    } catch (...) {
        auto error = std::current_exception();
        if (!is_expected_end(error)) {
            shared_->report_handler_error(request_, error);
            failed = true;
        }
    }
    handler_ended(failed);
}

void SessionCore::handler_ended(bool failed) noexcept
{
    // A handler that failed before anything went out is answered as a
    // plain route's would be; one that returned quietly gets an empty stream.
    if (!head_committed_ && !peer_gone_) {
        if (failed)
            commit_plain_response(Response::status_only(boost::beast::http::status::internal_server_error));
        else
            commit_head();
    }
    if (draining_)
        queue_farewell();
    end_stream();
}

void SessionCore::spawn(asio::awaitable<void> child)
{
    if (closing_)
        throw_closed("ssekit::ServerSSESession::spawn");
    if (!children_)
        children_ = std::make_unique<std::list<Child>>();
    auto node = children_->emplace(children_->end());
    asio::co_spawn(
        executor(), std::move(child),
        asio::bind_cancellation_slot(
            node->cancel.slot(),
            asio::bind_executor(executor(), [self = shared_from_this(), node](std::exception_ptr error) mutable {
                node->running = false;
                // A child's failure is the session's: reported, and the
                // stream ends as it would for the handler.
                if (error && !is_expected_end(error)) {
                    self->shared_->report_handler_error(self->request_, error);
                    self->close();
                }
                auto ex = self->executor();
                // Asio still uses the signal until this returns: free it later.
                asio::post(ex, [self = std::move(self), node] { self->children_->erase(node); });
            })));
}

// --- head ---------------------------------------------------------------------

void SessionCore::commit_head()
{
    if (head_committed_ || peer_gone_)
        return;
    Params headers = sse_stream_headers(route_, request_.version());
    headers.insert(headers.end(), std::make_move_iterator(cors_headers_.begin()),
                   std::make_move_iterator(cors_headers_.end()));
    headers.insert(headers.end(), std::make_move_iterator(extra_headers_.begin()),
                   std::make_move_iterator(extra_headers_.end()));
    Params().swap(cors_headers_);
    Params().swap(extra_headers_);
    std::string head;
    try {
        head = render_response_head(boost::beast::http::status::ok, request_.version(), headers);
    } catch (...) {
        // Route headers are the server's own; added ones were checked when added.
        shared_->report_handler_error(request_, std::current_exception());
        commit_plain_response(Response::status_only(boost::beast::http::status::internal_server_error));
        end_stream();
        return;
    }
    stream_head_ = true;
    start_response(std::move(head), request_.version() >= 11);
}

void SessionCore::start_response(std::string head, bool chunked) noexcept
{
    head_ = std::move(head);
    chunked_ = chunked;
    head_committed_ = true;
    writer_ = WriterState::ready;
    schedule_write();
}

void SessionCore::commit_plain_response(const Response& response) noexcept
{
    // What a failed follow() queued (its replay) must not follow a plain body.
    queue_.clear();
    dropped_unreported_ = 0;
    publish_queued_bytes();
    std::string head;
    try {
        head = render_plain_response(response, request_.version());
    } catch (...) {
        head = render_plain_response(Response::status_only(boost::beast::http::status::internal_server_error),
                                     request_.version());
    }
    start_response(std::move(head), false);
}

void SessionCore::respond(Response response)
{
    if (head_committed_)
        throw boost::system::system_error(ssekit::error::response_started, "ssekit::ServerSSESession::respond");
    if (closing_)
        throw_closed("ssekit::ServerSSESession::respond");
    // A page of another origin may read why it was refused.
    response.headers.insert(response.headers.end(), std::make_move_iterator(cors_headers_.begin()),
                            std::make_move_iterator(cors_headers_.end()));
    Params().swap(cors_headers_);
    // Rendered here so that a bad header is the caller's exception.
    std::string head = render_plain_response(std::move(response), request_.version());
    if (peer_gone_)
        return;
    start_response(std::move(head), false);
    close();
}

void SessionCore::add_header(std::string name, std::string value)
{
    if (head_committed_)
        throw boost::system::system_error(ssekit::error::response_started, "ssekit::ServerSSESession::add_header");
    check_header_field(name, value);
    extra_headers_.emplace_back(std::move(name), std::move(value));
}

void SessionCore::flush_headers()
{
    if (closing_)
        throw_closed("ssekit::ServerSSESession::flush_headers");
    commit_head();
}

// --- queue --------------------------------------------------------------------

void SessionCore::publish_queued_bytes() noexcept
{
    queued_bytes_seen_.store(total_queued(), std::memory_order_relaxed);
}

void SessionCore::push(QueuedEvent event)
{
    queue_.push(std::move(event));
    publish_queued_bytes();
    last_enqueued_ = clock::now();
}

void SessionCore::enqueue(std::string bytes)
{
    push(QueuedEvent{.owned = std::move(bytes), .published = nullptr});
    schedule_write();
}

std::optional<std::size_t> SessionCore::enqueue_published(std::shared_ptr<const PublishedEvent> event,
                                                          SlowSubscriberPolicy policy, std::size_t max_events)
{
    if (closing_)
        return 0;
    const std::size_t size = event->encoded().size();
    std::size_t dropped = 0;
    auto over_bound = [&] {
        return queue_.size() >= max_events || total_queued() + size > shared_->options.max_queued_bytes;
    };
    while (!queue_.empty() && over_bound()) {
        if (policy == SlowSubscriberPolicy::disconnect) {
            abort(); // the client reconnects with Last-Event-ID and catches up from replay
            return std::nullopt;
        }
        // Only topic events are dropped: a direct send was promised to the
        // handler, which waited for room.
        if (!queue_.drop_oldest_published())
            break;
        ++dropped;
    }
    dropped_unreported_ += dropped;
    push(QueuedEvent{.owned = {}, .published = std::move(event)});
    return dropped;
}

bool SessionCore::note_dropped(std::size_t count, SlowSubscriberPolicy policy) noexcept
{
    if (policy == SlowSubscriberPolicy::disconnect) {
        abort();
        return false;
    }
    dropped_unreported_ += count;
    return true;
}

void SessionCore::enqueue_replayed(std::shared_ptr<const PublishedEvent> event)
{
    push(QueuedEvent{.owned = {}, .published = std::move(event)});
}

void SessionCore::announce_position(std::string id)
{
    ServerSentEvent position{.id = std::move(id)};
    push(QueuedEvent{.owned = encode_event(position), .published = nullptr});
}

void SessionCore::announce_reset(const std::string& since)
{
    const ServerSentEvent reset{.data = since, .event = "reset"};
    push(QueuedEvent{.owned = encode_event(reset), .published = nullptr});
    if (!head_committed_) // following first thing in the handler: the head can say it too
        extra_headers_.emplace_back("X-SSE-Replay", "reset");
}

asio::awaitable<void> SessionCore::send_encoded(std::shared_ptr<SessionCore> self, std::string bytes)
{
    if (self->closing_)
        throw_closed("ssekit::ServerSSESession::send");
    // Wait for room before queuing, so that concurrent senders together
    // overshoot the bound by one event at most; an event larger than the
    // bound goes out alone.
    const std::size_t bound = self->shared_->options.max_queued_bytes;
    while (self->total_queued() > 0 && self->total_queued() + bytes.size() > bound) {
        if (!self->space_available_)
            self->space_available_ = std::make_unique<asio::steady_timer>(self->executor(), clock::time_point::max());
        co_await self->space_available_->async_wait(use_tuple);
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none || self->peer_gone_)
            throw boost::system::system_error(asio::error::operation_aborted, "ssekit::ServerSSESession::send");
        if (self->closing_)
            throw_closed("ssekit::ServerSSESession::send");
    }
    self->commit_head();
    if (self->closing_) // the head could not be written: answered 500 instead
        throw_closed("ssekit::ServerSSESession::send");
    self->enqueue(std::move(bytes));
}

// --- writer -------------------------------------------------------------------

void SessionCore::schedule_write() noexcept
{
    // Posted rather than done at once, so a handler's burst of sends goes out
    // in one write.
    if (write_posted_ || writer_ != WriterState::ready)
        return;
    write_posted_ = true;
    asio::post(executor(), [this, self = shared_from_this()] {
        write_posted_ = false;
        write_now();
    });
}

void SessionCore::write_now() noexcept
{
    while (writer_ == WriterState::ready) {
        if (batch_.done() && !refill_batch())
            return;
        error_code ec;
        const std::size_t written = transport_.try_write_some(batch_.pending(), ec);
        if (ec == asio::error::would_block) {
            write_when_room();
            return;
        }
        if (ec) {
            peer_gone();
            return;
        }
        wrote(written);
    }
}

bool SessionCore::refill_batch() noexcept
{
    const bool freed = batch_.event_bytes() > 0;
    batch_.clear();
    if (freed) {
        publish_queued_bytes();
        wake(space_available_);
    }
    if (!batch_.fill(head_, queue_, dropped_unreported_, chunked_)) {
        if (!closing_)
            return false;
        if (!chunked_ || last_chunk_queued_) {
            end_response();
            return false;
        }
        // The terminating chunk goes out like any batch.
        last_chunk_queued_ = true;
        batch_.end_chunked_body();
    }
    dropped_unreported_ = 0;
    return true;
}

void SessionCore::wrote(std::size_t bytes) noexcept
{
    batch_.consume(bytes);
    if (batch_.done() && !head_.empty())
        std::string().swap(head_); // written once; give its memory back
}

void SessionCore::write_when_room() noexcept
{
    writer_ = WriterState::write_pending;
    stalled_since_ = clock::now();
    if (shared_->options.sse_write_timeout > clock::duration::zero() && !watchdog_armed_)
        arm_watchdog();
    // The batch stays as it is until on_written: nothing fills it while the
    // writer is not ready.
    transport_.async_write_some(batch_.pending(), as_transport_user());
}

void SessionCore::on_written(const error_code& ec, std::size_t bytes) noexcept
{
    if (writer_ != WriterState::write_pending)
        return; // ended meanwhile
    writer_ = WriterState::ready;
    if (ec) {
        peer_gone();
        return;
    }
    wrote(bytes);
    write_now();
}

void SessionCore::end_response() noexcept
{
    writer_ = WriterState::ending;
    transport_.async_shutdown_output(as_transport_user());
}

void SessionCore::on_output_shut(const error_code&) noexcept { writer_finished(); }

void SessionCore::writer_finished() noexcept
{
    if (writer_ == WriterState::done)
        return;
    writer_ = WriterState::done;
    // The peer watch and the timers serve the writer: their watch is over.
    transport_.cancel();
    wake(watchdog_timer_);
    wake(heartbeat_timer_);
}

// --- peer watch, watchdog, heartbeat ---------------------------------------

void SessionCore::watch_peer() noexcept
{
    // The client says nothing after its request: the watch only tells when
    // it leaves.
    transport_.async_wait_peer_gone(as_transport_user());
}

void SessionCore::on_peer_gone(const error_code&) noexcept
{
    if (writer_ != WriterState::done) // else the watch was cancelled: the response is over
        peer_gone();
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
        if (!ec && writer_ == WriterState::write_pending) {
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
    if (closing_ || writer_ == WriterState::done)
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
    if (total_queued() < shared_->options.max_queued_bytes)
        enqueue(heartbeat_bytes_);
    next_beat_ += heartbeat_period_;
    if (next_beat_ < now)
        next_beat_ = now + heartbeat_period_;
    arm_heartbeat();
}

// --- follow -------------------------------------------------------------------

asio::awaitable<void> SessionCore::follow(std::shared_ptr<SessionCore> self, std::shared_ptr<TopicState> topic,
                                          FollowOptions options)
{
    if (self->closing_)
        throw_closed("ssekit::ServerSSESession::follow");
    if (self->draining_) // the stream winds down: nothing more to follow
        co_return;
    TopicFollower follower(*self, *topic, options, self->executor());
    // Browsers send Last-Event-ID only when they reconnect; a page can pass
    // its last id as a query parameter on the first request.
    follower.join(self->resume_point(options), options.prime);
    self->commit_head();
    self->schedule_write();

    while (!follower.topic_is_closed() && !self->draining_) {
        co_await follower.wait();
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none || self->peer_gone_)
            throw boost::system::system_error(asio::error::operation_aborted, "ssekit::ServerSSESession::follow");
        if (self->closing_)
            throw_closed("ssekit::ServerSSESession::follow");
    }
}

std::optional<std::string> SessionCore::resume_point(const FollowOptions& options) const
{
    if (options.since)
        return options.since;
    if (auto id = request_.header("Last-Event-ID"))
        return std::string(*id);
    if (auto id = request_.query("last_event_id"))
        return std::string(*id);
    return std::nullopt;
}

void SessionCore::add_follower(TopicFollower& follower) noexcept
{
    follower.next_in_session = followers_;
    followers_ = &follower;
}

void SessionCore::remove_follower(TopicFollower& follower) noexcept
{
    for (TopicFollower** link = &followers_; *link; link = &(*link)->next_in_session)
        if (*link == &follower) {
            *link = follower.next_in_session;
            return;
        }
}

// --- misc ---------------------------------------------------------------------

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
    commit_head();
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
    wake(farewell_timer_); // it holds the session: let it go
    wake(drain_signal_);
    for (TopicFollower* follower = followers_; follower; follower = follower->next_in_session)
        follower->session_ended();
    cancel_coroutines();
    schedule_write(); // drains the queue, then ends the response
}

void SessionCore::cancel_coroutines() noexcept
{
    if (!children_)
        return;
    for (Child& child : *children_)
        if (child.running)
            child.cancel.emit(asio::cancellation_type::terminal);
}

void SessionCore::close() noexcept
{
    if (closing_)
        return;
    if (!head_committed_)
        commit_head(); // an empty stream
    end_stream();
    if (handler_running_)
        handler_cancel_.emit(asio::cancellation_type::terminal);
}

// --- winding down --------------------------------------------------------------

void SessionCore::begin_drain() noexcept
{
    wind_down(shared_->drain_grace);
}

void SessionCore::wind_down(clock::duration grace) noexcept
{
    if (draining_ || closing_)
        return;
    draining_ = true;
    wake(drain_signal_);
    // follow() sees draining() when it wakes, and returns.
    for (TopicFollower* follower = followers_; follower; follower = follower->next_in_session)
        follower->session_ended();
    arm_farewell_timer(clock::now() + grace, [](SessionCore& self) {
        // The handler did not end in time: end the stream for it, as close() does.
        self.commit_head();
        self.queue_farewell();
        self.close();
    });
}

void SessionCore::queue_farewell() noexcept
{
    if (farewell_queued_ || closing_ || peer_gone_ || !stream_head_)
        return;
    farewell_queued_ = true;
    const ServerOptions& options = shared_->options;
    try {
        enqueue(encode_farewell(options.drain_event, draw_retry(options.drain_retry_min, options.drain_retry_max)));
    } catch (...) {
        // The event was checked when the server was made: only memory can fail here.
        shared_->report_handler_error(request_, std::current_exception());
    }
}

template <class Step>
void SessionCore::arm_farewell_timer(clock::time_point when, Step step) noexcept
{
    if (!farewell_timer_)
        farewell_timer_ = std::make_unique<asio::steady_timer>(executor());
    farewell_timer_->expires_at(when);
    farewell_timer_->async_wait([this, self = shared_from_this(), step](const error_code& ec) {
        if (!ec && !closing_)
            step(*this);
    });
}

asio::awaitable<void> SessionCore::wait_draining(std::shared_ptr<SessionCore> self)
{
    while (!self->draining_) {
        if (self->closing_)
            throw_closed("ssekit::ServerSSESession::wait_draining");
        if (!self->drain_signal_)
            self->drain_signal_ = std::make_unique<asio::steady_timer>(self->executor(), clock::time_point::max());
        co_await self->drain_signal_->async_wait(use_tuple);
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none || self->peer_gone_)
            throw boost::system::system_error(asio::error::operation_aborted,
                                              "ssekit::ServerSSESession::wait_draining");
    }
}

void SessionCore::fail(std::exception_ptr error) noexcept
{
    shared_->report_handler_error(request_, std::move(error));
    abort();
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
