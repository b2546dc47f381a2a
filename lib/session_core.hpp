#ifndef SSEKIT_LIB_SESSION_CORE_HPP
#define SSEKIT_LIB_SESSION_CORE_HPP

#include "connection_registry.hpp"
#include "server_shared.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/event.hpp>
#include <ssekit/request.hpp>
#include <ssekit/routing.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ssekit::detail {

struct TopicState;

/// One SSE response and its connection. Only the handler is a coroutine;
/// the writer, the reader that notices the peer leaving, the write watchdog
/// and the heartbeat are callbacks on the socket's executor, so an idle
/// stream costs little memory and a queued event goes to the socket without
/// a coroutine switch. The session owns itself: each pending callback and
/// the handler hold it, and the last one to end frees it and the connection.
class SessionCore final : public std::enable_shared_from_this<SessionCore>, public RegisteredConnection {
public:
    /// Streams the response to `request` (routed by `match` to an SSE
    /// route) on `socket`; call on the socket's executor.
    static void start(boost::asio::ip::tcp::socket socket, Request request, const RouteMatch& match,
                      std::shared_ptr<ServerShared> shared);

    SessionCore(boost::asio::ip::tcp::socket socket, Request request, const RouteMatch& match,
                std::shared_ptr<ServerShared> shared);
    SessionCore(const SessionCore&) = delete;
    SessionCore& operator=(const SessionCore&) = delete;
    /// Closes the connection; it no longer counts against the server's limit.
    ~SessionCore();

    /// Ends the session at once, as if the peer had left (server stop).
    void abort() noexcept;
    void shut_down() noexcept override { abort(); }

    // What ServerSSESession forwards to.
    const Request& request() const noexcept { return request_; }
    /// Queues an encoded event; waits while the queue is over its bound.
    boost::asio::awaitable<void> send_encoded(std::string bytes);

    /// Follows `topic` until it closes (returns), or the session ends (throws).
    boost::asio::awaitable<void> follow(std::shared_ptr<TopicState> topic, FollowOptions options);

    /// Queues a topic's event without waiting; a full queue is handled by
    /// `policy`. Returns how many queued events were dropped, or nullopt if
    /// the subscriber was disconnected. Call write_now() after a batch.
    std::optional<std::size_t> enqueue_published(std::shared_ptr<const PublishedEvent> event,
                                                 SlowSubscriberPolicy policy, std::size_t max_events);
    /// Writes what is queued as far as the socket takes it, now.
    void write_now() noexcept;
    std::string serialize(const boost::json::value& value) const;
    void heartbeat(const HeartbeatOptions& options);
    void close() noexcept;
    bool is_closed() const noexcept { return closing_; }
    /// Bytes queued now; safe to read from any thread (an estimate there).
    std::size_t queued_bytes() const noexcept { return queued_bytes_seen_.load(std::memory_order_relaxed); }
    boost::asio::any_io_executor executor() const noexcept;

private:
    using clock = std::chrono::steady_clock;

    void run(const SseHandler& handler);
    boost::asio::awaitable<void> run_handler(const SseHandler& handler);

    /// An encoded event waiting for the writer: its own bytes (sends,
    /// heartbeats) or a topic's shared ones.
    struct Queued {
        std::string owned;
        std::shared_ptr<const PublishedEvent> published;
        std::string_view bytes() const noexcept { return published ? std::string_view(published->encoded) : owned; }
    };

    // Queue.
    void push(Queued item);
    void enqueue(std::string bytes); // push + schedule_write
    std::size_t queue_size() const noexcept { return queue_.size() - queue_head_; }

    // Writer: batches go out with non-blocking writes; when the socket is
    // full, a wait for writability resumes it.
    void schedule_write() noexcept;
    bool take_batch();
    void finish_batch() noexcept;
    void wait_writable() noexcept;
    void end_response() noexcept;
    void writer_finished() noexcept;
    std::string response_head() const;

    // Reader, watchdog, heartbeat.
    void watch_reads() noexcept;
    void on_readable(const boost::system::error_code& ec) noexcept;
    void arm_watchdog() noexcept;
    void arm_heartbeat() noexcept;
    void on_heartbeat(const boost::system::error_code& ec);

    void end_stream() noexcept;
    void peer_gone() noexcept;

    boost::asio::ip::tcp::socket socket_;
    const Request request_;
    const std::shared_ptr<ServerShared> shared_; // options, routes and registry outlive the stream
    const SseRouteOptions& route_;
    std::uint64_t registry_id_ = 0;
    ServerSSESession session_;
    const bool chunked_;

    std::vector<Queued> queue_;     // from queue_head_ on, oldest first
    std::size_t queue_head_ = 0;
    std::vector<Queued> in_flight_; // the batch being written; the queue may change meanwhile
    std::vector<boost::asio::const_buffer> out_; // its bytes not yet written, from out_next_ on
    std::size_t out_next_ = 0;
    std::size_t batch_bytes_ = 0;  // queued bytes in in_flight_
    std::size_t queued_bytes_ = 0; // queue and in_flight_
    std::atomic<std::size_t> queued_bytes_seen_{0}; // its copy for other threads (topic stats)
    std::size_t dropped_unreported_ = 0; // topic events dropped since the last `dropped` notice
    std::string dropped_notice_;
    std::array<char, 24> chunk_size_line_{};
    std::string head_;              // response head, until written
    bool head_built_ = false;
    Params extra_headers_;          // added before the head was built
    clock::time_point last_enqueued_ = clock::now();

    bool write_scheduled_ = false;
    bool waiting_writable_ = false;
    clock::time_point stalled_since_{};
    bool watchdog_armed_ = false;
    bool last_chunk_sent_ = false;

    bool closing_ = false;   // no more sends; the writer drains and ends the response
    bool peer_gone_ = false; // the socket is unusable; drop everything
    bool writer_done_ = false;
    // Timers that most streams never need are made on first use.
    std::unique_ptr<boost::asio::steady_timer> watchdog_timer_;
    std::unique_ptr<boost::asio::steady_timer> space_available_;

    bool handler_running_ = false;
    boost::asio::cancellation_signal handler_cancel_;

    bool heartbeat_armed_ = false;
    std::unique_ptr<boost::asio::steady_timer> heartbeat_timer_;
    std::string heartbeat_bytes_;
    clock::duration heartbeat_period_{};
    clock::time_point next_beat_{};
    bool heartbeat_only_when_idle_ = false;
};

} // namespace ssekit::detail

#endif
