#ifndef SSEKIT_LIB_TOPIC_LOG_HPP
#define SSEKIT_LIB_TOPIC_LOG_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/published_event.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::detail {

/// What a read after an id gives.
struct LogRead {
    /// The events after the id, oldest first; every event held on a reset.
    std::vector<std::shared_ptr<const PublishedEvent>> events;
    /// The id could not be placed: events before `events` may be missing.
    bool reset = false;
};

/// The log's state at one moment, as `TopicStats` shows it.
struct LogSummary {
    std::size_t events = 0;
    std::size_t bytes = 0;
    std::uint64_t first_offset = 0; ///< 0 when empty
};

/** A topic's history: its events in publish order, each with its offset
    (1, 2, 3, ...) and an id (its own, or `EPOCH-OFFSET`), bounded by
    count, bytes and age (`TopicOptions`).

    The three operations are what any history of a topic offers, in this
    process or shared by several: `append` orders an event and gives it its
    (epoch, offset), `read_after` answers a `Last-Event-ID` with the events
    after it or a reset, and the bounds decide what is kept.

    Not thread-safe: the topic guards it.
*/
class TopicLog {
public:
    TopicLog(TopicOptions bounds, std::string epoch);

    /** Gives `event` the next offset, appends it and trims the log.
        @throws boost::system::system_error `error::invalid_field` when the
        event cannot be encoded; the log is then unchanged.
    */
    std::shared_ptr<const PublishedEvent> append(const ServerSentEvent& event,
                                                 std::chrono::steady_clock::time_point now);

    /** Appends an event ordered elsewhere (a backplane), which carries its
        own id and offset; the offset must be `last_offset() + 1` (see
        `restart`). Trims the log. */
    void append_ordered(std::shared_ptr<const PublishedEvent> event, std::chrono::steady_clock::time_point now);

    /** Forgets every event and goes on in `epoch` after `last_offset`: the
        events up to it are not known here, so a read after an id before it
        gets a reset. For a log that mirrors a history kept elsewhere. */
    void restart(std::string epoch, std::uint64_t last_offset);

    /// The events after `last_event_id`, or a reset and every event held
    /// when the log cannot place it. Call `trim` first: this reads as is.
    LogRead read_after(std::string_view last_event_id) const;

    /// Drops what is past the bounds at `now`.
    void trim(std::chrono::steady_clock::time_point now);

    /// When the oldest event ages out; none when the log is empty.
    std::optional<std::chrono::steady_clock::time_point> next_expiry() const;

    /// What the log holds at `now`, without the events past their age.
    LogSummary summary_at(std::chrono::steady_clock::time_point now) const;

    bool empty() const noexcept { return events_.empty(); }
    const std::string& epoch() const noexcept { return epoch_; }
    /// The offset of the last event appended; 0 before the first.
    std::uint64_t last_offset() const noexcept { return next_offset_ - 1; }

private:
    /// The index in `events_` of the first event after `id`, or none.
    std::optional<std::size_t> start_after(std::string_view id) const;
    /// The offset in an `EPOCH-OFFSET` id of this log.
    std::optional<std::uint64_t> own_offset(std::string_view id) const noexcept;
    bool is_expired(const PublishedEvent& event, std::chrono::steady_clock::time_point now) const noexcept;
    void pop_oldest() noexcept;

    const TopicOptions bounds_;
    std::string epoch_;
    std::deque<std::shared_ptr<const PublishedEvent>> events_;
    std::size_t bytes_ = 0;
    std::uint64_t next_offset_ = 1;
    std::string last_id_;
};

/// 8 random base32hex characters: differ between topics and between runs.
std::string new_epoch();

} // namespace ssekit::detail

#endif
