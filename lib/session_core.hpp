#ifndef SSEKIT_LIB_SESSION_CORE_HPP
#define SSEKIT_LIB_SESSION_CORE_HPP

#include "connection_registry.hpp"
#include "event_queue.hpp"
#include "server_shared.hpp"
#include "transport.hpp"
#include "write_batch.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/event.hpp>
#include <ssekit/request.hpp>
#include <ssekit/response.hpp>
#include <ssekit/routing.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ssekit::detail {

struct TopicState;
class TopicFollower;

/// One SSE response and its connection.
///
/// The handler and the children it spawns are coroutines; the writer, the
/// watch for the peer leaving, the write watchdog and the heartbeat are
/// callbacks on the transport's executor, so an idle stream costs little
/// memory and a queued event goes to the transport without a coroutine
/// switch. Who holds the session: the handler's and each child's
/// completion, each pending callback, and every awaitable the session hands
/// out (send, follow) for as long as it runs. The last one frees it and the
/// connection. When the stream ends, children are cancelled and followers
/// woken, so all of these end soon after.
///
/// The response head goes out with the first thing written: an event, a
/// heartbeat, follow() starting, flush_headers(), or the handler's end.
/// Until then the handler may add headers or answer with a plain response.
class SessionCore : public std::enable_shared_from_this<SessionCore>,
                    public RegisteredConnection,
                    public Transport::User {
public:
    /// Streams the response to `request` (routed by `match` to an SSE
    /// route) over a `T` made from `transport_args`, allocated with the
    /// session; call on that transport's executor. The session counts as one
    /// of `shared`'s connections until it is freed.
    template <class T, class... Args>
    static void start(Request request, const RouteMatch& match, std::shared_ptr<ServerShared> shared,
                      Args&&... transport_args);

    SessionCore(const SessionCore&) = delete;
    SessionCore& operator=(const SessionCore&) = delete;

    /// Ends the session at once, as if the peer had left (server stop).
    void abort() noexcept;
    void shut_down() noexcept override { abort(); }
    /// The server drains: wind the stream down (see wind_down).
    void begin_drain() noexcept override;
    /// A user callback running on the session's behalf threw: report it and end the session.
    void fail(std::exception_ptr error) noexcept;

    // What ServerSSESession forwards to.
    const Request& request() const noexcept { return request_; }
    /// Queues an encoded event; waits first while the queue is over its bound.
    static boost::asio::awaitable<void> send_encoded(std::shared_ptr<SessionCore> self, std::string bytes);
    /// Follows `topic` until it closes (returns), or the session ends (throws).
    static boost::asio::awaitable<void> follow(std::shared_ptr<SessionCore> self, std::shared_ptr<TopicState> topic,
                                               FollowOptions options);
    void spawn(boost::asio::awaitable<void> child);
    void respond(Response response);
    void add_header(std::string name, std::string value);
    void flush_headers();
    std::string serialize(const boost::json::value& value) const;
    void heartbeat(const HeartbeatOptions& options);
    void close() noexcept;
    bool is_closed() const noexcept { return closing_; }
    /// True once the stream winds down (drain, or the route's maximum age).
    bool draining() const noexcept { return draining_; }
    /// Completes once the stream winds down; throws as send() once it ended.
    static boost::asio::awaitable<void> wait_draining(std::shared_ptr<SessionCore> self);
    bool response_started() const noexcept { return head_committed_; }
    boost::asio::any_io_executor executor() const noexcept;

    // What a TopicFollower uses.
    void add_follower(TopicFollower& follower) noexcept;
    void remove_follower(TopicFollower& follower) noexcept;
    /// Queues a topic's event without waiting; a full queue is handled by
    /// `policy`. Returns how many queued events were dropped, or nullopt if
    /// the subscriber was disconnected. Call write_now() after a batch.
    std::optional<std::size_t> enqueue_published(std::shared_ptr<const PublishedEvent> event,
                                                 SlowSubscriberPolicy policy, std::size_t max_events);
    void enqueue_replayed(std::shared_ptr<const PublishedEvent> event);
    /// `count` topic events never reached this session: reported with the
    /// next write (drop_oldest), or the session is disconnected (returns false).
    bool note_dropped(std::size_t count, SlowSubscriberPolicy policy) noexcept;
    /// `since` is not in the topic's log: the `reset` event, and the header
    /// too if the head has not gone out yet.
    void announce_reset(const std::string& since);
    /// FollowOptions::prime: an event holding only `id` (the follow's start).
    void announce_position(std::string id);
    /// Writes what is queued as far as the transport takes it, now.
    void write_now() noexcept;
    std::size_t max_queued_bytes() const noexcept { return shared_->options.max_queued_bytes; }
    /// Bytes queued now; safe to read from any thread (an estimate there).
    std::size_t queued_bytes() const noexcept { return queued_bytes_seen_.load(std::memory_order_relaxed); }

protected:
    SessionCore(Transport& transport, Request request, const RouteMatch& match, std::shared_ptr<ServerShared> shared);
    /// Closes the connection; it no longer counts against the server's limit.
    ~SessionCore();

private:
    using clock = std::chrono::steady_clock;

    /// Registers a new session with the server and runs its handler.
    static void launch(std::shared_ptr<SessionCore> core, const SseHandler& handler);

    /// Where the writer stands. Only the writer writes to the transport.
    enum class WriterState : std::uint8_t {
        before_head,   // the head is not decided yet; queued events wait
        ready,         // writes as soon as something is queued
        write_pending, // the transport was full: a write waits there for room
        ending,        // the response is complete; the transport ends its output
        done,          // the response ended or the peer left
    };

    /// Where follow() resumes: `since`, the Last-Event-ID header, or the
    /// `last_event_id` query parameter (browsers send the header only when
    /// they reconnect; a page can pass its last id on the first request).
    std::optional<std::string> resume_point(const FollowOptions& options) const;

    void run(const SseHandler& handler);
    /// A stream that starts during a drain: the farewell alone, no handler.
    void farewell_only() noexcept;

    // Winding down: draining() turns true, waiters and followers wake; the
    // handler gets `grace` to end, then the farewell goes out and the
    // session closes. The farewell is queued like any event, so the one
    // writer sends it after what was queued before, and the terminator
    // after it.
    void wind_down(clock::duration grace) noexcept;
    /// Queues the farewell once, if the stream is an SSE stream still taking events.
    void queue_farewell() noexcept;
    /// Arms farewell_timer_ to call `step` at `when`.
    template <class Step>
    void arm_farewell_timer(clock::time_point when, Step step) noexcept;
    boost::asio::awaitable<void> run_handler(const SseHandler& handler);
    void handler_ended(bool failed) noexcept;

    // Head: decided once, then written first by the writer.
    void commit_head();
    void commit_plain_response(const Response& response) noexcept;
    /// The head is decided: the writer sends it first, then the body's chunks
    /// (`chunked`) or bytes.
    void start_response(std::string head, bool chunked) noexcept;

    // Queue.
    void push(QueuedEvent event);
    void enqueue(std::string bytes); // push + schedule_write
    std::size_t total_queued() const noexcept { return queue_.bytes() + batch_.event_bytes(); }
    void publish_queued_bytes() noexcept;

    // Writer.
    void schedule_write() noexcept;
    /// Fills the batch when it is done; false when there is nothing to write.
    bool refill_batch() noexcept;
    void wrote(std::size_t bytes) noexcept;
    void write_when_room() noexcept;
    void end_response() noexcept;
    void writer_finished() noexcept;
    /// This session, as the transport's user: its pending operations hold it.
    std::shared_ptr<Transport::User> as_transport_user() { return shared_from_this(); }

    // What the transport tells.
    void on_written(const boost::system::error_code& ec, std::size_t bytes) noexcept override;
    void on_peer_gone(const boost::system::error_code& ec) noexcept override;
    void on_output_shut(const boost::system::error_code& ec) noexcept override;

    // Peer watch, watchdog, heartbeat.
    void watch_peer() noexcept;
    void arm_watchdog() noexcept;
    void arm_heartbeat() noexcept;
    void on_heartbeat(const boost::system::error_code& ec);

    void end_stream() noexcept;
    void cancel_coroutines() noexcept;
    void peer_gone() noexcept;

    Transport& transport_; // allocated with the session, destroyed after it
    const Request request_;
    const std::shared_ptr<ServerShared> shared_; // options, routes and registry outlive the stream
    const SseRouteOptions& route_;
    std::uint64_t registry_id_ = 0;
    ServerSSESession session_;

    EventQueue queue_;
    WriteBatch batch_;
    std::atomic<std::size_t> queued_bytes_seen_{0}; // total_queued() for other threads (topic stats)
    std::size_t dropped_unreported_ = 0;            // topic events dropped since the last `dropped` notice
    std::string head_;                              // the response head, until written
    Params cors_headers_;                           // the route's CORS answer to the request's Origin
    Params extra_headers_;                          // added before the head was committed
    clock::time_point last_enqueued_ = clock::now();
    clock::time_point stalled_since_{};

    // Timers that most streams never need are made on first use.
    std::unique_ptr<boost::asio::steady_timer> watchdog_timer_;
    std::unique_ptr<boost::asio::steady_timer> space_available_;

    boost::asio::cancellation_signal handler_cancel_;
    /// A spawned coroutine; its entry lives until a post after its completion,
    /// as Asio uses the signal until the completion handler returns.
    struct Child {
        boost::asio::cancellation_signal cancel;
        bool running = true;
    };
    std::unique_ptr<std::list<Child>> children_; // made on the first spawn
    TopicFollower* followers_ = nullptr;         // the follow() calls running now, linked through them

    std::unique_ptr<boost::asio::steady_timer> heartbeat_timer_;
    /// The route's maximum age, then the drain's grace; made when needed.
    std::unique_ptr<boost::asio::steady_timer> farewell_timer_;
    /// What wait_draining() waits on; made on its first use.
    std::unique_ptr<boost::asio::steady_timer> drain_signal_;
    std::string heartbeat_bytes_;
    clock::duration heartbeat_period_{};
    clock::time_point next_beat_{};

    // The state flags, side by side: every idle stream holds them, and
    // scattered between wider members each would cost a word of padding.
    WriterState writer_ = WriterState::before_head;
    bool chunked_;
    bool head_committed_ = false;
    bool write_posted_ = false;
    bool last_chunk_queued_ = false;
    bool watchdog_armed_ = false;
    bool closing_ = false;   // no more sends; the writer drains and ends the response
    bool peer_gone_ = false; // the transport is unusable; drop everything
    bool handler_running_ = false;
    bool heartbeat_armed_ = false;
    bool heartbeat_only_when_idle_ = false;
    bool stream_head_ = false;     // the head committed is the stream's 200, not a plain answer
    bool draining_ = false;        // winding down: the farewell follows
    bool farewell_queued_ = false;
};

/// A session and its transport in one allocation: an idle stream costs one
/// block, not two.
template <class T>
struct TransportSlot {
    T transport;
};

template <class T>
class SessionOver final : private TransportSlot<T>, public SessionCore {
public:
    template <class... Args>
    SessionOver(Request request, const RouteMatch& match, std::shared_ptr<ServerShared> shared,
                Args&&... transport_args)
        : TransportSlot<T>{T(std::forward<Args>(transport_args)...)},
          SessionCore(this->transport, std::move(request), match, std::move(shared))
    {
    }
};

template <class T, class... Args>
void SessionCore::start(Request request, const RouteMatch& match, std::shared_ptr<ServerShared> shared,
                        Args&&... transport_args)
{
    launch(std::make_shared<SessionOver<T>>(std::move(request), match, std::move(shared),
                                            std::forward<Args>(transport_args)...),
           *match.sse_handler);
}

} // namespace ssekit::detail

#endif
