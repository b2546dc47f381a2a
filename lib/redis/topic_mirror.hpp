#ifndef SSEKIT_LIB_REDIS_TOPIC_MIRROR_HPP
#define SSEKIT_LIB_REDIS_TOPIC_MIRROR_HPP

#include "backplane_protocol.hpp"

#include <ssekit/broadcast.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ssekit::detail {

struct TopicState;

/** This server's copy of one topic shared through Redis: the local Topic its
    sessions follow, fed in offset order with what comes through Redis.

    It does no I/O. It decides, for each event that arrives live, whether to
    feed it, to let it wait, or to ask the backplane to read the topic's
    stream (a catch-up: after the last offset fed; a reload: all the stream
    holds, of the epoch Redis has now). While a read runs, live events wait,
    bounded by the log's bytes; the read's result is fed first, then they.

    Not thread-safe: the backplane calls it on its strand.
*/
class TopicMirror {
public:
    /// What the backplane must read from Redis after an event arrived.
    enum class Read { nothing, catch_up, reload };

    /// `expiry`: where the log's age timer runs.
    TopicMirror(TopicOptions options, boost::asio::any_io_executor expiry);

    /** The first load: the topic is in `epoch` (empty if Redis has none yet)
        up to `last_offset`; `events` are those the stream holds (any order,
        other epochs skipped). Then the events that waited meanwhile.
    */
    Read load(std::string epoch, std::uint64_t last_offset, std::vector<ReceivedEvent> events);

    /// An event that came through the topic's channel.
    Read on_live(ReceivedEvent received);

    /// A read of the stream starts: live events wait from here.
    void begin_read() noexcept { reading_ = true; }

    /** The read asked for ended with `events` (a reload: the stream's whole
        content and the epoch Redis holds, empty if none). Feeds them, then the
        events that waited, which may ask for another read.
    */
    Read end_read(Read read, std::string redis_epoch, std::vector<ReceivedEvent> events);

    /// The read failed (Redis went away): the reconnect catches up instead.
    void abandon_read() noexcept;

    /// The local topic; null before load().
    const std::shared_ptr<Topic>& topic() const noexcept { return topic_; }
    bool loaded() const noexcept { return topic_ != nullptr; }
    bool reading() const noexcept { return reading_; }
    const std::string& epoch() const noexcept { return epoch_; }
    /// The local topic's last offset: 0 before load().
    std::uint64_t last_offset() const;
    /// Loaded, not reading, no follower, and nobody but this mirror holds the topic.
    bool unused() const;
    /// Ends the local topic's followers.
    void close();

private:
    /// Feeds what follows the last offset fed, in offset order.
    void feed(std::vector<ReceivedEvent> events);
    /// A new local topic in `epoch` after `last_offset`; the old one closes.
    void rebase(std::string epoch, std::uint64_t last_offset);
    /// Feeds the events that waited, until one asks for a read.
    Read release_waiting();

    const TopicOptions options_;
    const boost::asio::any_io_executor expiry_;
    std::shared_ptr<TopicState> state_;
    std::shared_ptr<Topic> topic_;
    std::string epoch_;
    bool reading_ = true; // until load()
    std::vector<ReceivedEvent> waiting_;
    std::size_t waiting_bytes_ = 0;
    bool overflowed_ = false; // events that did not fit in waiting_ were let go
};

} // namespace ssekit::detail

#endif
