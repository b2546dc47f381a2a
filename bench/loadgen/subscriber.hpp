#ifndef SSEKIT_BENCH_LOADGEN_SUBSCRIBER_HPP
#define SSEKIT_BENCH_LOADGEN_SUBSCRIBER_HPP

// One subscription: connect, send `GET /sub/{topic}`, read the stream and
// count each event. Kept small, as 10,000 of them live at once: the read
// buffer is the pool's, and what they count goes to the pool's tally.

#include "delivery_tally.hpp"
#include "epoll_loop.hpp"
#include "event_stream_response.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace ssekit::loadgen {

class SubscriberPool;

class Subscriber final : public IoHandler {
public:
    enum class State : std::uint8_t {
        waiting,       ///< no attempt running: not started yet, or waiting to retry
        connecting,    ///< TCP connect in progress
        awaiting_head, ///< request sent (or being sent), no response head yet
        streaming,     ///< 200 text/event-stream: events flow
        closed,        ///< the stream ended after its head (a disconnect), or close()
        refused,       ///< the head was not 200 text/event-stream
    };

    Subscriber(SubscriberPool& pool, std::uint32_t index, std::uint32_t publishers);
    ~Subscriber();

    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    /// Starts a connect attempt; failures come back to the pool.
    void start_attempt(std::int64_t now_ns);
    /// Ends the running attempt as failed (it took too long).
    void abandon_attempt(const std::string& reason);
    /// Closes the connection without counting a disconnect (end of the run).
    void close();

    State state() const noexcept { return state_; }
    std::uint32_t index() const noexcept { return index_; }
    unsigned attempts() const noexcept { return attempts_; }
    std::int64_t attempt_started_ns() const noexcept { return attempt_started_ns_; }
    bool warmed_up() const noexcept { return warmed_up_; }
    const SequenceCheck& sequence() const noexcept { return sequence_; }

    void on_io(std::uint32_t events) override;

private:
    void finish_connect();
    void send_request();
    void read_available(std::uint32_t events);
    bool take_head();
    void on_event(const ssekit::ReceivedEvent& event);
    void lose_connection(const std::string& reason);
    void close_socket() noexcept;

    SubscriberPool& pool_;
    std::optional<EventStreamResponse> response_; // one per attempt: Beast reads one message
    SequenceCheck sequence_;
    std::int64_t attempt_started_ns_ = 0;
    std::int64_t read_ns_ = 0; // when the read() being parsed returned
    int fd_ = -1;
    std::uint32_t index_;
    std::size_t request_sent_ = 0; // bytes of the request written
    std::uint8_t attempts_ = 0;
    State state_ = State::waiting;
    bool warmed_up_ = false;
};

} // namespace ssekit::loadgen

#endif
