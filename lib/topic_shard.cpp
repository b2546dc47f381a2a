#include "topic_shard.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <iterator>

namespace ssekit::detail {

namespace {

// Members served before the thread turns to other work. Small, so that a
// publish waiting meanwhile is answered within a few writes: its publisher
// sends the next one sooner, and more events share each subscriber's write
// (throughput with two publishers: 4,100 publishes/s with slices of 128,
// 7,600 with 8). A 10,000-subscriber fan-out measured no cost from it.
constexpr std::size_t members_per_slice = 8;

} // namespace

void TopicShard::schedule(std::shared_ptr<const PublishedEvent> event, bool close)
{
    std::lock_guard lock(mutex_);
    if (event) {
        incoming_bytes_ += event->encoded().size();
        incoming_.push_back(std::move(event));
        const std::size_t most_events = max_pending_events.load(std::memory_order_relaxed);
        const std::size_t most_bytes = max_pending_bytes.load(std::memory_order_relaxed);
        while (incoming_.size() > 1 && (incoming_.size() > most_events || incoming_bytes_ > most_bytes)) {
            incoming_bytes_ -= incoming_.front()->encoded().size();
            incoming_.pop_front();
        }
    }
    closing_ = closing_ || close;
    if (pass_scheduled_)
        return;
    pass_scheduled_ = true;
    post_slice();
}

void TopicShard::post_slice()
{
    boost::asio::post(executor, [self = shared_from_this()] { self->run_slice(); });
}

void TopicShard::run_slice()
{
    {
        std::lock_guard lock(mutex_);
        batch.insert(batch.end(), std::make_move_iterator(incoming_.begin()), std::make_move_iterator(incoming_.end()));
        batch_bytes += incoming_bytes_;
        incoming_.clear();
        incoming_bytes_ = 0;
    }
    trim_batch();
    if (next_member == 0)
        covered = batch.size(); // a new pass: these reach everyone by its end

    // Members may join between slices (at the end) or leave (leave() keeps
    // next_member pointing at the same member); not during one.
    const std::size_t end = std::min(members.size(), next_member + members_per_slice);
    if (!batch.empty())
        for (; next_member < end; ++next_member)
            members[next_member]->deliver(batch);
    else
        next_member = end;
    if (next_member < members.size()) {
        post_slice();
        return;
    }

    for (std::size_t i = 0; i < covered; ++i)
        batch_bytes -= batch[i]->encoded().size();
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(covered));
    covered = 0;
    next_member = 0;
    bool close_members = false;
    {
        std::lock_guard lock(mutex_);
        if (!batch.empty() || !incoming_.empty()) {
            // Published during this pass: the members passed before it came need another.
            post_slice();
            return;
        }
        pass_scheduled_ = false;
        close_members = closing_ && !closed_;
        closed_ = closed_ || close_members;
    }
    if (close_members)
        for (std::size_t i = 0; i < members.size(); ++i)
            members[i]->topic_closed();
}

void TopicShard::trim_batch() noexcept
{
    // Members not reached yet skip what goes; the others already have it.
    const std::size_t most_events = max_pending_events.load(std::memory_order_relaxed);
    const std::size_t most_bytes = max_pending_bytes.load(std::memory_order_relaxed);
    std::size_t excess = 0;
    std::size_t bytes = batch_bytes;
    while (batch.size() - excess > 1 && (batch.size() - excess > most_events || bytes > most_bytes))
        bytes -= batch[excess++]->encoded().size();
    if (excess == 0)
        return;
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(excess));
    batch_bytes = bytes;
    covered = covered > excess ? covered - excess : 0;
}

} // namespace ssekit::detail
