#ifndef SSEKIT_LIB_WRITE_BATCH_HPP
#define SSEKIT_LIB_WRITE_BATCH_HPP

#include "event_queue.hpp"

#include <boost/asio/buffer.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::detail {

/// What one gathering write of a session sends: the response head (first
/// write only), then queued events framed as one HTTP/1.1 chunk (or bare,
/// for HTTP/1.0), preceded by a `dropped` notice when topic events were
/// dropped since the last write. It owns the events until they are written,
/// so the queue may change meanwhile. No sockets: the writer hands
/// `pending()` to the transport and `consume()`s what it took.
class WriteBatch {
public:
    /// Events gathered into one write; well under IOV_MAX.
    static constexpr std::size_t max_events = 256;

    /// Fills the batch: `head` (may be empty; referenced, not copied, so it
    /// must live until the batch is done), up to max_events events from
    /// `queue`, and a notice for `dropped` events. Returns false when there
    /// is nothing to write.
    bool fill(std::string_view head, EventQueue& queue, std::size_t dropped, bool chunked);

    /// Adds the last chunk ("0\r\n\r\n") to an empty batch.
    void end_chunked_body();

    /// The bytes not written yet.
    std::span<const boost::asio::const_buffer> pending() const noexcept
    {
        return {buffers_.data() + next_, buffers_.size() - next_};
    }
    bool done() const noexcept { return next_ == buffers_.size(); }
    /// Steps over `written` bytes; a buffer written in part keeps its rest.
    void consume(std::size_t written) noexcept;

    /// Bytes of queued events in the batch (they leave the queue's count when done).
    std::size_t event_bytes() const noexcept { return event_bytes_; }
    /// Releases the events and buffers; keeps their storage for the next
    /// batch when it is small (a subscriber that keeps up writes a few
    /// events at a time), gives it back after a burst.
    void clear() noexcept;
    /// Event and buffer slots allocated: what the batch costs between writes.
    std::size_t storage_slots() const noexcept { return events_.capacity() + buffers_.capacity(); }

private:
    std::vector<QueuedEvent> events_;
    std::vector<boost::asio::const_buffer> buffers_;
    std::size_t next_ = 0;
    std::size_t event_bytes_ = 0;
    std::string notice_;
    std::array<char, 24> size_line_{};
};

} // namespace ssekit::detail

#endif
