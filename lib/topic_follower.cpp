#include "topic_follower.hpp"

#include "session_core.hpp"

namespace ssekit::detail {

TopicFollower::TopicFollower(SessionCore& session, TopicState& topic, const FollowOptions& options,
                             const boost::asio::any_io_executor& executor)
    : session_(session), topic_(topic), options_(options),
      wake_(executor, std::chrono::steady_clock::time_point::max())
{
    session_.add_follower(*this);
}

TopicFollower::~TopicFollower()
{
    if (shard_)
        topic_.leave(shard_, *this);
    session_.remove_follower(*this);
}

void TopicFollower::join(const std::optional<std::string>& since, bool prime)
{
    TopicJoin joined =
        topic_.join(wake_.get_executor(), *this, since, options_.max_queued_events, session_.max_queued_bytes());
    shard_ = std::move(joined.shard); // a member from here: the destructor leaves
    closed_ = joined.closed;
    last_sequence_ = joined.last_sequence;
    if (prime) {
        // Where this follow starts: everything after it is sent (the replay,
        // then live events), so a client that leaves now misses nothing.
        const std::uint64_t start =
            joined.replay.empty() ? joined.last_sequence : joined.replay.front()->offset() - 1;
        session_.announce_position(joined.epoch + '-' + std::to_string(start));
    }
    if (joined.reset)
        session_.announce_reset(*since);
    // The replay goes in whole, whatever the live bounds: it is bounded by
    // the topic's buffer. The filter runs in the handler here: what it
    // throws ends follow().
    for (auto& event : joined.replay)
        if (wanted(*event))
            session_.enqueue_replayed(std::move(event));
}

void TopicFollower::deliver(std::span<const std::shared_ptr<const PublishedEvent>> events)
{
    if (session_.is_closed())
        return; // follow() is about to return and leave
    bool queued = false;
    for (const auto& event : events) {
        if (event->offset() <= last_sequence_)
            continue; // already in the replay, or in an earlier pass
        // A gap: this thread fell too far behind the topic and skipped the
        // oldest (TopicShard::max_pending_events); they count as dropped.
        const std::uint64_t skipped = event->offset() - last_sequence_ - 1;
        last_sequence_ = event->offset();
        if (skipped > 0) {
            if (!session_.note_dropped(static_cast<std::size_t>(skipped), options_.policy)) {
                ++topic_.disconnected;
                return;
            }
            topic_.dropped += skipped;
        }
        bool keep = false;
        try {
            keep = wanted(*event);
        } catch (...) {
            // The filter is user code running in the topic's pass: it ends
            // this session only, and the pass goes on with the others.
            session_.fail(std::current_exception());
            return;
        }
        if (!keep)
            continue;
        auto dropped = session_.enqueue_published(event, options_.policy, options_.max_queued_events);
        if (!dropped) {
            ++topic_.disconnected;
            return;
        }
        topic_.dropped += *dropped;
        queued = true;
    }
    if (queued)
        session_.write_now();
}

void TopicFollower::topic_closed()
{
    closed_ = true;
    wake_.cancel();
}

std::size_t TopicFollower::queued_bytes() const noexcept { return session_.queued_bytes(); }

} // namespace ssekit::detail
