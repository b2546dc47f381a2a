#ifndef SSEKIT_LIB_SESSION_CORE_HPP
#define SSEKIT_LIB_SESSION_CORE_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/event.hpp>
#include <ssekit/request.hpp>
#include <ssekit/routing.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ssekit::detail {

struct TopicState;

/// The state and coroutines of one SSE response: the handler, a writer that
/// alone writes to the socket, a reader that notices the peer leaving, and
/// an optional heartbeat, all on the socket's executor.
class SessionCore {
public:
    struct Settings {
        const SseRouteOptions& route;
        std::size_t max_queued_bytes;
        /// Close a peer that takes no bytes for this long; zero: never.
        std::chrono::steady_clock::duration write_timeout;
        /// Called with an exception the handler let escape (not expected ends).
        std::function<void(std::exception_ptr)> report_handler_error;
    };

    SessionCore(boost::asio::ip::tcp::socket& socket, const Request& request, Settings settings);
    SessionCore(const SessionCore&) = delete;
    SessionCore& operator=(const SessionCore&) = delete;

    /// Streams until the handler has returned, what it queued is written (or
    /// the peer left) and every coroutine of the session has ended.
    boost::asio::awaitable<void> run(const SseHandler& handler);

    /// Ends the session at once, as if the peer had left (server stop).
    void abort() noexcept;

    // What ServerSSESession forwards to.
    const Request& request() const noexcept { return request_; }
    /// Queues an encoded event; waits while the queue is over its bound.
    boost::asio::awaitable<void> send_encoded(std::string bytes);

    /// Follows `topic` until it closes (returns), or the session ends (throws).
    boost::asio::awaitable<void> follow(std::shared_ptr<TopicState> topic, FollowOptions options);

    /// Queues a topic's event without waiting; a full queue is handled by
    /// `policy`. Returns how many queued events were dropped, or nullopt if
    /// the subscriber was disconnected.
    std::optional<std::size_t> enqueue_published(std::shared_ptr<const PublishedEvent> event,
                                                 SlowSubscriberPolicy policy, std::size_t max_events);
    std::string serialize(const boost::json::value& value) const;
    void heartbeat(const HeartbeatOptions& options);
    void close() noexcept;
    bool is_closed() const noexcept { return closing_; }
    /// Bytes queued now; safe to read from any thread (an estimate there).
    std::size_t queued_bytes() const noexcept { return queued_bytes_seen_.load(std::memory_order_relaxed); }
    boost::asio::any_io_executor executor() const noexcept;

private:
    using clock = std::chrono::steady_clock;

    void spawn_task(boost::asio::awaitable<void> task);
    void task_ended() noexcept;
    boost::asio::awaitable<void> run_handler(const SseHandler& handler);
    boost::asio::awaitable<void> run_writer();
    boost::asio::awaitable<void> run_reader();
    boost::asio::awaitable<void> run_heartbeat();
    boost::asio::awaitable<void> run_write_watchdog();

    void enqueue(std::string bytes);
    void end_stream() noexcept;
    void peer_gone() noexcept;
    std::string response_head() const;

    boost::asio::ip::tcp::socket& socket_;
    const Request& request_;
    Settings settings_;
    ServerSSESession session_;
    const bool chunked_;

    /// An encoded event waiting for the writer: its own bytes (sends,
    /// heartbeats) or a topic's shared ones.
    struct Queued {
        std::string owned;
        std::shared_ptr<const PublishedEvent> published;
        std::string_view bytes() const noexcept { return published ? std::string_view(published->encoded) : owned; }
    };

    /// Appends to the queue, keeps the byte counts, wakes the writer.
    void push(Queued item);

    std::deque<Queued> queue_;     // oldest first
    std::vector<Queued> in_flight_; // the batch being written; queue_ may change meanwhile
    std::size_t queued_bytes_ = 0; // queue_ and in_flight_
    std::atomic<std::size_t> queued_bytes_seen_{0}; // its copy for other threads (topic stats)
    std::size_t dropped_unreported_ = 0; // topic events dropped since the last `dropped` notice
    std::string dropped_notice_;
    std::string head_;              // response head, until written
    bool head_built_ = false;
    Params extra_headers_;          // added before the head was built
    clock::time_point last_enqueued_ = clock::now();

    bool closing_ = false;   // no more sends; the writer drains and ends the response
    bool peer_gone_ = false; // the socket is unusable; drop everything
    bool writer_done_ = false;
    bool writing_ = false;
    clock::time_point write_started_{};
    boost::asio::steady_timer watchdog_timer_;

    boost::asio::steady_timer writer_wake_;
    boost::asio::steady_timer space_available_;
    boost::asio::steady_timer tasks_done_;
    std::size_t live_tasks_ = 0;

    bool handler_running_ = false;
    boost::asio::cancellation_signal handler_cancel_;

    bool heartbeat_running_ = false;
    boost::asio::steady_timer heartbeat_timer_;
    std::string heartbeat_bytes_;
    clock::duration heartbeat_period_{};
    bool heartbeat_only_when_idle_ = false;
};

} // namespace ssekit::detail

#endif
