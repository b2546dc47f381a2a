#ifndef SSEKIT_LIB_EVENT_QUEUE_HPP
#define SSEKIT_LIB_EVENT_QUEUE_HPP

#include <ssekit/broadcast.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::detail {

/// An encoded event waiting for a session's writer: its own bytes (sends,
/// heartbeats, notices) or a topic's shared ones.
struct QueuedEvent {
    std::string owned;
    std::shared_ptr<const PublishedEvent> published;

    std::string_view bytes() const noexcept { return published ? published->encoded() : owned; }
};

/// The events of one session that the writer has not taken yet, oldest
/// first, with their byte count. A ring: its storage grows with a backlog
/// and is reused while one lasts, so it stays proportional to the
/// session's bounds however long a slow client lags behind, and it shrinks
/// back to a few slots once the writer caught up.
class EventQueue {
public:
    /// Slots a drained queue keeps: enough for a subscriber that keeps up to
    /// queue without allocating; a larger ring, grown by a burst, is given
    /// back once the writer took everything.
    static constexpr std::size_t kept_slots = 4;

    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    /// Bytes of the queued events.
    std::size_t bytes() const noexcept { return bytes_; }
    /// Slots allocated: what the queue costs, whatever its content.
    std::size_t storage_slots() const noexcept { return ring_.size(); }

    void push(QueuedEvent event);
    QueuedEvent pop_front() noexcept;

    /// Removes the oldest topic event; events the handler sent stay (it waited
    /// for room and was promised them). Returns false when none is queued.
    bool drop_oldest_published() noexcept;

    /// Empties the queue and gives its storage back.
    void clear() noexcept;

private:
    std::size_t slot(std::size_t index) const noexcept { return (head_ + index) & (ring_.size() - 1); }
    void grow();

    std::vector<QueuedEvent> ring_; // size 0 or a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    std::size_t bytes_ = 0;
};

} // namespace ssekit::detail

#endif
