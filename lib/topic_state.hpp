#ifndef SSEKIT_LIB_TOPIC_STATE_HPP
#define SSEKIT_LIB_TOPIC_STATE_HPP

#include <ssekit/broadcast.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::detail {

/// A session following a topic; called on its own executor only.
class TopicSubscriber {
public:
    /// Events in publish order; some may have been handed over before (the
    /// subscriber skips what it has seen, by sequence).
    virtual void deliver(std::span<const std::shared_ptr<const PublishedEvent>> events) = 0;
    virtual void topic_closed() = 0;
    /// The subscriber's queued bytes; called from any thread, under the topic's lock.
    virtual std::size_t queued_bytes() const noexcept = 0;

protected:
    ~TopicSubscriber() = default;
};

using EventList = std::vector<std::shared_ptr<const PublishedEvent>>;

/// The subscribers of one topic that share an executor (one thread of a
/// server's pool). Delivery runs in passes over the members, a slice at a
/// time so the thread keeps answering (publishes first of all) meanwhile.
/// Events published during a pass join it: the members it has not reached
/// yet get them in the same write, the others in the next pass. So a pass
/// that takes longer than the publish interval coalesces instead of
/// falling behind.
struct TopicShard : std::enable_shared_from_this<TopicShard> {
    /// What a shard holds for its members at most, in events and bytes,
    /// unless a member's own bound is larger (then that one: a subscriber
    /// never loses what its own queue would have kept). A thread that falls
    /// further behind a topic (publishers faster than it delivers, or a
    /// handler blocking it) skips the oldest: its members see the gap in
    /// sequence numbers and count those events as dropped, so their policy
    /// applies, and a publish never waits.
    static constexpr std::size_t min_pending_events = 4096;
    static constexpr std::size_t min_pending_bytes = 64 * 1024 * 1024;

    explicit TopicShard(boost::asio::any_io_executor ex) : executor(std::move(ex)) {}

    /// Adds a published event (or the close) and starts a pass if none runs.
    void schedule(std::shared_ptr<const PublishedEvent> event, bool close = false);

    const boost::asio::any_io_executor executor;
    std::vector<TopicSubscriber*> members; // changed on `executor`, under the topic's lock
    /// The bounds above, raised by members with larger queues; only grow.
    std::atomic<std::size_t> max_pending_events{min_pending_events};
    std::atomic<std::size_t> max_pending_bytes{min_pending_bytes};

    // The pass in progress; on `executor` only.
    EventList batch;              // events of this pass, in publish order
    std::size_t batch_bytes = 0;  // their encoded bytes
    std::size_t covered = 0;      // batch[0, covered) reach every member by the pass's end
    std::size_t next_member = 0;  // where the next slice starts

private:
    void run_slice();
    /// Runs the next slice later on `executor`, keeping the shard alive until then.
    void post_slice();

    /// Drops the oldest events of `batch` while it is over the bounds.
    void trim_batch() noexcept;

    std::mutex mutex_;     // guards the four below; taken after the topic's lock
    std::deque<std::shared_ptr<const PublishedEvent>> incoming_;
    std::size_t incoming_bytes_ = 0;
    bool pass_scheduled_ = false;
    bool closing_ = false;
    bool closed_ = false;  // on `executor`: topic_closed was handed out
};

/// What a new subscriber gets when it joins.
struct TopicJoin {
    std::shared_ptr<TopicShard> shard;
    std::vector<std::shared_ptr<const PublishedEvent>> replay; // events after `since` (or all), oldest first
    bool reset = false;          // `since` is not in the log: events before `replay` may be lost
    std::uint64_t last_sequence = 0; // deliveries up to here are covered by `replay`
    bool closed = false;
};

/// A topic's log and its subscribers, shared by the Topic and its followers.
struct TopicState : std::enable_shared_from_this<TopicState> {
    /// `expiry`: where the log's age timer runs; none: age applies only on
    /// publish, join and stats.
    TopicState(TopicOptions opts, std::optional<boost::asio::any_io_executor> expiry);

    std::string publish(const ServerSentEvent& event);
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

    const TopicOptions options;
    /// Drawn at creation, so ids from another topic or an earlier process
    /// (`EPOCH-OFFSET`) are told apart from this one's.
    const std::string epoch;
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> disconnected{0};

private:
    void trim_replay(std::chrono::steady_clock::time_point now);
    void pop_oldest() noexcept;
    /// The index in `replay_` of the first event after `since`, or nullopt
    /// when `since` cannot be placed.
    std::optional<std::size_t> replay_start(const std::string& since) const;
    /// The offset in an `EPOCH-OFFSET` id of this topic.
    std::optional<std::uint64_t> own_offset(std::string_view id) const noexcept;

    // The age timer, on a strand of the executor given: armed for the oldest
    // event's expiry while the log holds events; only touched on its strand,
    // by a handler holding the state.
    void arm_expiry();
    void on_expiry(const boost::system::error_code& ec);

    mutable std::mutex mutex_;
    std::uint64_t next_sequence_ = 1;
    std::string last_id_;
    bool closed_ = false;
    std::deque<std::shared_ptr<const PublishedEvent>> replay_;
    std::size_t replay_bytes_ = 0;
    std::uint64_t resets_ = 0;
    bool expiry_armed_ = false; // a wait is pending, or posted to start
    std::optional<boost::asio::steady_timer> expiry_timer_;
    std::vector<std::shared_ptr<TopicShard>> shards_;
    std::size_t subscribers_ = 0;
    std::uint64_t published_ = 0;
};

} // namespace ssekit::detail

#endif
