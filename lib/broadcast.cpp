#include <ssekit/broadcast.hpp>

#include "topic_state.hpp"

#include <ssekit/error.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace ssekit {
namespace detail {

TopicState::TopicState(TopicOptions opts, std::optional<boost::asio::any_io_executor> expiry)
    : log_(opts, new_epoch())
{
    if (expiry)
        expiry_timer_.emplace(boost::asio::make_strand(*expiry));
}

TopicState::TopicState(TopicOptions opts, std::optional<boost::asio::any_io_executor> expiry, std::string epoch,
                       std::uint64_t last_offset)
    : log_(opts, std::move(epoch)), fed_(true)
{
    log_.restart(log_.epoch(), last_offset);
    if (expiry)
        expiry_timer_.emplace(boost::asio::make_strand(*expiry));
}

std::string TopicState::publish(const ServerSentEvent& event)
{
    std::lock_guard lock(mutex_);
    if (fed_)
        throw boost::system::system_error(error::published_elsewhere, "ssekit::Topic::publish");
    if (closed_)
        throw boost::system::system_error(error::session_closed, "ssekit::Topic::publish after close");
    // Throws invalid_field before anything changed: nothing is published.
    auto published = log_.append(event, std::chrono::steady_clock::now());
    start_expiry();
    schedule(published);
    return std::string(published->id());
}

void TopicState::feed(std::shared_ptr<const PublishedEvent> event)
{
    std::lock_guard lock(mutex_);
    if (closed_)
        return;
    if (event->offset() <= log_.last_offset())
        return; // had it already
    if (event->offset() != log_.last_offset() + 1)
        log_.restart(log_.epoch(), event->offset() - 1);
    log_.append_ordered(event, std::chrono::steady_clock::now());
    start_expiry();
    schedule(event);
}

void TopicState::restart_log(std::string epoch, std::uint64_t last_offset)
{
    std::lock_guard lock(mutex_);
    log_.restart(std::move(epoch), last_offset);
}

bool TopicState::has_subscribers() const
{
    std::lock_guard lock(mutex_);
    return subscribers_ > 0;
}

std::uint64_t TopicState::last_offset() const
{
    std::lock_guard lock(mutex_);
    return log_.last_offset();
}

void TopicState::start_expiry()
{
    if (!expiry_timer_ || expiry_armed_ || log_.empty())
        return;
    expiry_armed_ = true;
    boost::asio::post(expiry_timer_->get_executor(), [self = weak_from_this()] {
        if (auto state = self.lock())
            state->arm_expiry();
    });
}

void TopicState::schedule(const std::shared_ptr<const PublishedEvent>& event)
{
    for (const auto& shard : shards_)
        shard->schedule(event);
}

void TopicState::close()
{
    std::lock_guard lock(mutex_);
    if (closed_)
        return;
    closed_ = true;
    for (const auto& shard : shards_)
        shard->schedule(nullptr, true);
    if (expiry_timer_)
        boost::asio::post(expiry_timer_->get_executor(), [self = weak_from_this()] {
            if (auto state = self.lock())
                state->expiry_timer_->cancel();
        });
}

void TopicState::arm_expiry()
{
    std::unique_lock lock(mutex_);
    log_.trim(std::chrono::steady_clock::now());
    const auto deadline = log_.next_expiry();
    if (!deadline || closed_) {
        expiry_armed_ = false;
        return;
    }
    lock.unlock();
    // Just past the age, so the event is older than replay_age then.
    expiry_timer_->expires_at(*deadline + std::chrono::milliseconds(1));
    expiry_timer_->async_wait([self = weak_from_this()](const boost::system::error_code& ec) {
        if (auto state = self.lock())
            state->on_expiry(ec);
    });
}

void TopicState::on_expiry(const boost::system::error_code& ec)
{
    if (ec) { // close() cancelled it
        std::lock_guard lock(mutex_);
        expiry_armed_ = false;
        return;
    }
    arm_expiry(); // trims, then waits for the next oldest event
}

TopicJoin TopicState::join(const boost::asio::any_io_executor& executor, TopicSubscriber& subscriber,
                           const std::optional<std::string>& since, std::size_t max_queued_events,
                           std::size_t max_queued_bytes)
{
    TopicJoin joined;
    std::lock_guard lock(mutex_);
    joined.closed = closed_;
    joined.last_sequence = log_.last_offset();
    joined.epoch = log_.epoch();
    if (closed_)
        return joined;
    log_.trim(std::chrono::steady_clock::now());
    if (since) {
        LogRead read = log_.read_after(*since);
        joined.replay = std::move(read.events);
        joined.reset = read.reset;
        resets_ += read.reset ? 1 : 0;
    }
    auto it = std::find_if(shards_.begin(), shards_.end(),
                           [&](const std::shared_ptr<TopicShard>& shard) { return shard->executor == executor; });
    if (it == shards_.end())
        it = shards_.insert(shards_.end(), std::make_shared<TopicShard>(executor));
    (*it)->members.push_back(&subscriber);
    if (max_queued_events > (*it)->max_pending_events)
        (*it)->max_pending_events = max_queued_events; // under this lock: no lost update
    if (max_queued_bytes > (*it)->max_pending_bytes)
        (*it)->max_pending_bytes = max_queued_bytes;
    joined.shard = *it;
    ++subscribers_;
    return joined;
}

void TopicState::leave(const std::shared_ptr<TopicShard>& shard, TopicSubscriber& subscriber)
{
    std::lock_guard lock(mutex_);
    auto& members = shard->members;
    auto member = std::find(members.begin(), members.end(), &subscriber);
    if (member == members.end())
        return;
    const auto index = static_cast<std::size_t>(member - members.begin());
    members.erase(member);
    if (index < shard->next_member)
        --shard->next_member; // a pass in progress goes on with the same member
    --subscribers_;
    if (members.empty())
        std::erase(shards_, shard);
}

bool TopicState::unused()
{
    std::lock_guard lock(mutex_);
    log_.trim(std::chrono::steady_clock::now());
    return subscribers_ == 0 && log_.empty();
}

TopicStats TopicState::stats() const
{
    std::lock_guard lock(mutex_);
    // The log as a join would see it, without trimming it here (const).
    const LogSummary log = log_.summary_at(std::chrono::steady_clock::now());
    std::size_t bytes_queued = 0;
    // Members change only under this lock, so reading the lists here is safe;
    // each subscriber's count is its own relaxed copy.
    for (const auto& shard : shards_)
        for (const TopicSubscriber* member : shard->members)
            bytes_queued += member->queued_bytes();
    return TopicStats{.subscribers = subscribers_,
                      .published = log_.last_offset(),
                      .dropped = dropped.load(),
                      .disconnected = disconnected.load(),
                      .resets = resets_,
                      .replay_buffered = log.events,
                      .replay_buffered_bytes = log.bytes,
                      .first_offset = log.first_offset,
                      .last_offset = log_.last_offset(),
                      .epoch = log_.epoch(),
                      .bytes_queued = bytes_queued,
                      .shards = shards_.size()};
}

} // namespace detail

Topic::Topic(TopicOptions options) : state_(std::make_shared<detail::TopicState>(options, std::nullopt)) {}

Topic::Topic(boost::asio::any_io_executor executor, TopicOptions options)
    : state_(std::make_shared<detail::TopicState>(options, std::move(executor)))
{
}

Topic::~Topic() { state_->close(); }

std::string Topic::publish(const ServerSentEvent& event) { return state_->publish(event); }

void Topic::close() { state_->close(); }

TopicStats Topic::stats() const { return state_->stats(); }

} // namespace ssekit
