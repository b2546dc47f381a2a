#ifndef SSEKIT_LIB_TOPIC_FOLLOWER_HPP
#define SSEKIT_LIB_TOPIC_FOLLOWER_HPP

#include "topic_state.hpp"

#include <ssekit/broadcast.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <span>

namespace ssekit::detail {

class SessionCore;

/// A session's membership of one topic, alive for one `follow()`: the topic
/// hands it published events on the session's executor, it filters them and
/// queues them in the session. It lives in follow()'s frame, which holds
/// the session, and leaves the topic when that frame ends.
class TopicFollower final : public TopicSubscriber {
public:
    TopicFollower(SessionCore& session, TopicState& topic, const FollowOptions& options,
                  const boost::asio::any_io_executor& executor);
    ~TopicFollower();
    TopicFollower(const TopicFollower&) = delete;
    TopicFollower& operator=(const TopicFollower&) = delete;

    void deliver(std::span<const std::shared_ptr<const PublishedEvent>> events) override;
    void topic_closed() override;
    std::size_t queued_bytes() const noexcept override;

    /// Joins the topic: queues the replay after `since` (or the `reset`
    /// notice) in the session, then live events follow; with `prime`, the
    /// position it starts from (an id-only event) goes first. Throws what
    /// the user's filter throws; the membership is then already undone by
    /// the destructor.
    void join(const std::optional<std::string>& since, bool prime);

    /// The session ended or winds down: wake follow() so that it returns.
    void session_ended() noexcept { wake_.cancel(); }

    bool topic_is_closed() const noexcept { return closed_; }
    /// The session's next follower: the session lists its followers through them.
    TopicFollower* next_in_session = nullptr;
    /// Waits until the topic closes or the session ends (or cancellation).
    auto wait() { return wake_.async_wait(boost::asio::as_tuple(boost::asio::deferred)); }

private:
    bool wanted(const PublishedEvent& event) const { return !options_.filter || options_.filter(event); }

    SessionCore& session_;
    TopicState& topic_;
    const FollowOptions& options_;
    boost::asio::steady_timer wake_;
    std::shared_ptr<TopicShard> shard_; // set while a member
    std::uint64_t last_sequence_ = 0;
    bool closed_ = false;
};

} // namespace ssekit::detail

#endif
