#include "topic_mirror.hpp"

#include "../topic_state.hpp"

#include <algorithm>
#include <utility>

namespace ssekit::detail {

namespace {

void keep_epoch(std::vector<ReceivedEvent>& events, const std::string& epoch)
{
    std::erase_if(events, [&](const ReceivedEvent& received) { return received.epoch != epoch; });
}

} // namespace

TopicMirror::TopicMirror(TopicOptions options, boost::asio::any_io_executor expiry)
    : options_(options), expiry_(std::move(expiry))
{
}

TopicMirror::Read TopicMirror::load(std::string epoch, std::uint64_t last_offset, std::vector<ReceivedEvent> events)
{
    keep_epoch(events, epoch);
    std::sort(events.begin(), events.end(), [](const ReceivedEvent& a, const ReceivedEvent& b) {
        return a.event->offset() < b.event->offset();
    });
    // The log starts just before the oldest event the stream holds.
    const std::uint64_t before = events.empty() ? last_offset : events.front().event->offset() - 1;
    rebase(std::move(epoch), before);
    feed(std::move(events));
    reading_ = false;
    return release_waiting();
}

TopicMirror::Read TopicMirror::on_live(ReceivedEvent received)
{
    if (reading_) {
        // Bounded like the log: past it, events are not kept here, and
        // release_waiting() asks for a catch-up from the stream instead.
        const std::size_t bytes = received.event->encoded().size() + received.epoch.size();
        if (waiting_bytes_ + bytes <= options_.replay_bytes) {
            waiting_bytes_ += bytes;
            waiting_.push_back(std::move(received));
        } else {
            overflowed_ = true;
        }
        return Read::nothing;
    }
    if (epoch_.empty() && last_offset() == 0) // the topic's first events
        rebase(received.epoch, 0);
    if (received.epoch != epoch_) {
        reading_ = true;
        return Read::reload;
    }
    const std::uint64_t offset = received.event->offset();
    const std::uint64_t last = last_offset();
    if (offset <= last)
        return Read::nothing; // a read brought it already
    if (offset == last + 1) {
        state_->feed(std::move(received.event));
        return Read::nothing;
    }
    // A gap: what is missing is in the stream, unless trimmed away.
    reading_ = true;
    return Read::catch_up;
}

TopicMirror::Read TopicMirror::end_read(Read read, std::string redis_epoch, std::vector<ReceivedEvent> events)
{
    if (read == Read::reload && !redis_epoch.empty() && redis_epoch != epoch_)
        rebase(std::move(redis_epoch), 0);
    keep_epoch(events, epoch_);
    feed(std::move(events));
    reading_ = false;
    if (read == Read::reload) // Redis decided the epoch: events of another one are stale
        keep_epoch(waiting_, epoch_);
    return release_waiting();
}

void TopicMirror::abandon_read() noexcept
{
    reading_ = false;
    overflowed_ = false;
    waiting_.clear();
    waiting_bytes_ = 0;
}

std::uint64_t TopicMirror::last_offset() const { return state_ ? state_->last_offset() : 0; }

bool TopicMirror::unused() const
{
    return topic_ && !reading_ && topic_.use_count() == 1 && !state_->has_subscribers();
}

void TopicMirror::close()
{
    if (topic_)
        topic_->close();
}

void TopicMirror::feed(std::vector<ReceivedEvent> events)
{
    for (ReceivedEvent& received : events) {
        // Past a gap the stream no longer holds, the state restarts its log.
        if (received.event->offset() > last_offset())
            state_->feed(std::move(received.event));
    }
}

void TopicMirror::rebase(std::string epoch, std::uint64_t last_offset)
{
    if (topic_ && epoch_.empty()) {
        // A topic that had no events learns its epoch: nothing to end.
        state_->restart_log(epoch, last_offset);
    } else {
        // Followers of the old epoch end; they come back and get reset.
        close();
        state_ = std::make_shared<TopicState>(options_, expiry_, epoch, last_offset);
        topic_ = TopicAccess::make(state_);
    }
    epoch_ = std::move(epoch);
}

TopicMirror::Read TopicMirror::release_waiting()
{
    std::vector<ReceivedEvent> waiting = std::move(waiting_);
    const bool overflowed = std::exchange(overflowed_, false);
    waiting_.clear();
    waiting_bytes_ = 0;
    // Once one asks for a read, the rest wait again (on_live keeps them).
    Read read = Read::nothing;
    for (ReceivedEvent& received : waiting) {
        const Read next = on_live(std::move(received));
        if (read == Read::nothing)
            read = next;
    }
    if (read == Read::nothing && overflowed) { // what did not fit is in the stream
        reading_ = true;
        read = Read::catch_up;
    }
    return read;
}

} // namespace ssekit::detail
