#ifndef SSEKIT_LIB_TOPIC_STATE_HPP
#define SSEKIT_LIB_TOPIC_STATE_HPP

#include "topic_log.hpp"
#include "topic_shard.hpp"

#include <ssekit/broadcast.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ssekit::detail {

/// What a new subscriber gets when it joins.
struct TopicJoin {
    std::shared_ptr<TopicShard> shard;
    std::vector<std::shared_ptr<const PublishedEvent>> replay; // events after `since` (or all), oldest first
    bool reset = false;          // `since` is not in the log: events before `replay` may be lost
    std::uint64_t last_sequence = 0; // deliveries up to here are covered by `replay`
    bool closed = false;
    std::string epoch; // of the topic's own ids, EPOCH-OFFSET
};

/// A topic's log, its subscribers by thread and its age timer, shared by the
/// Topic and its followers; the mutex orders publishes, joins and leaves.
struct TopicState : std::enable_shared_from_this<TopicState> {
    /// `expiry`: where the log's age timer runs; none: age applies only on
    /// publish, join and stats.
    TopicState(TopicOptions opts, std::optional<boost::asio::any_io_executor> expiry);

    /// A topic whose events are ordered elsewhere (a backplane) and come in
    /// through `feed`, in `epoch` after `last_offset`; its own publish throws
    /// `error::published_elsewhere`.
    TopicState(TopicOptions opts, std::optional<boost::asio::any_io_executor> expiry, std::string epoch,
               std::uint64_t last_offset);

    std::string publish(const ServerSentEvent& event);

    /** Appends an event ordered elsewhere and hands it to the subscribers.
        Its offset follows the last one fed, or it is the first after a gap
        that cannot be filled: the log then holds nothing before it (a read
        after an id in the gap is a reset) and followers count the missing
        offsets as dropped, so their policy applies.
    */
    void feed(std::shared_ptr<const PublishedEvent> event);
    /// Empties the log and goes on in `epoch` after `last_offset` (a fed
    /// topic that learns its epoch from its first event).
    void restart_log(std::string epoch, std::uint64_t last_offset);
    bool has_subscribers() const;
    /// The offset of the last event published or fed; 0 before the first.
    std::uint64_t last_offset() const;
    void close();

    /// Registers `subscriber` (on `executor`, which must be the calling
    /// coroutine's) and takes the replay after `since`, atomically with
    /// respect to publishes: nothing is missed, and a delivery already posted
    /// for an event in `replay` is recognised by its sequence.
    TopicJoin join(const boost::asio::any_io_executor& executor, TopicSubscriber& subscriber,
                   const std::optional<std::string>& since, std::size_t max_queued_events,
                   std::size_t max_queued_bytes);
    /// Unregisters; call on the shard's executor.
    void leave(const std::shared_ptr<TopicShard>& shard, TopicSubscriber& subscriber);

    TopicStats stats() const;
    /// No subscriber and an empty log (after trimming by age).
    bool unused();

    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> disconnected{0};

private:
    // The age timer, on a strand of the executor given: armed for the oldest
    // event's expiry while the log holds events; only touched on its strand,
    // by a handler holding the state.
    void arm_expiry();
    /// After an append: starts the age timer if it is not running; under mutex_.
    void start_expiry();
    /// Hands `event` to every shard; under mutex_, which keeps shards in log order.
    void schedule(const std::shared_ptr<const PublishedEvent>& event);
    void on_expiry(const boost::system::error_code& ec);

    mutable std::mutex mutex_;
    TopicLog log_;
    const bool fed_ = false;
    bool closed_ = false;
    std::uint64_t resets_ = 0;
    bool expiry_armed_ = false; // a wait is pending, or posted to start
    std::optional<boost::asio::steady_timer> expiry_timer_;
    std::vector<std::shared_ptr<TopicShard>> shards_;
    std::size_t subscribers_ = 0;
};

/// Makes a Topic over a state made here (a backplane's mirror of a topic).
struct TopicAccess {
    static std::shared_ptr<Topic> make(std::shared_ptr<TopicState> state)
    {
        return std::shared_ptr<Topic>(new Topic(std::move(state)));
    }
};

} // namespace ssekit::detail

#endif
