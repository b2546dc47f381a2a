#include "event_queue.hpp"

#include <utility>

namespace ssekit::detail {

void EventQueue::push(QueuedEvent event)
{
    if (size_ == ring_.size())
        grow();
    bytes_ += event.bytes().size();
    ring_[slot(size_)] = std::move(event);
    ++size_;
}

QueuedEvent EventQueue::pop_front() noexcept
{
    QueuedEvent event = std::move(ring_[head_]);
    ring_[head_] = QueuedEvent{};
    head_ = slot(1);
    --size_;
    bytes_ -= event.bytes().size();
    if (size_ == 0 && ring_.size() > kept_slots)
        clear();
    return event;
}

bool EventQueue::drop_oldest_published() noexcept
{
    std::size_t index = 0;
    while (index < size_ && !ring_[slot(index)].published)
        ++index;
    if (index == size_)
        return false;
    bytes_ -= ring_[slot(index)].bytes().size();
    // Close the gap from the front: usually the oldest event is the topic's,
    // and nothing moves.
    for (std::size_t i = index; i > 0; --i)
        ring_[slot(i)] = std::move(ring_[slot(i - 1)]);
    ring_[head_] = QueuedEvent{};
    head_ = slot(1);
    --size_;
    return true;
}

void EventQueue::clear() noexcept
{
    std::vector<QueuedEvent>().swap(ring_);
    head_ = 0;
    size_ = 0;
    bytes_ = 0;
}

void EventQueue::grow()
{
    std::vector<QueuedEvent> larger(ring_.empty() ? kept_slots : ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i)
        larger[i] = std::move(ring_[slot(i)]);
    ring_ = std::move(larger);
    head_ = 0;
}

} // namespace ssekit::detail
