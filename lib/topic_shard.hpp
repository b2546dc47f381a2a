#ifndef SSEKIT_LIB_TOPIC_SHARD_HPP
#define SSEKIT_LIB_TOPIC_SHARD_HPP

#include <ssekit/published_event.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
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

} // namespace ssekit::detail

#endif
