#include "topic_log.hpp"

#include <cassert>
#include <charconv>
#include <random>

namespace ssekit::detail {

namespace {

// What an event costs the log, counted against replay_bytes: the event, the
// control block make_shared puts beside it and the log's pointer to it.
std::size_t log_bytes(const PublishedEvent& event) noexcept
{
    return event.stored_bytes() + 2 * sizeof(std::shared_ptr<const PublishedEvent>);
}

} // namespace

// 40 random bits; the clock is mixed in for a random_device that is not.
// Opening a random_device costs tens of microseconds (more in a VM, where it
// asks the CPU what it offers) and every publish through the Redis backplane
// draws an epoch, so each thread seeds a generator from one, once.
std::string new_epoch()
{
    thread_local std::mt19937_64 generator = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    std::uint64_t bits =
        generator() ^ static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    static constexpr std::string_view digits = "0123456789abcdefghijklmnopqrstuv";
    std::string epoch(8, '0');
    for (char& c : epoch) {
        c = digits[bits & 31];
        bits >>= 5;
    }
    return epoch;
}

TopicLog::TopicLog(TopicOptions bounds, std::string epoch) : bounds_(bounds), epoch_(std::move(epoch)) {}

std::shared_ptr<const PublishedEvent> TopicLog::append(const ServerSentEvent& event,
                                                       std::chrono::steady_clock::time_point now)
{
    std::optional<std::string> own_id;
    if (!event.id)
        own_id = epoch_ + '-' + std::to_string(next_offset_);
    auto published = std::make_shared<const PublishedEvent>(event, next_offset_, now, own_id);
    ++next_offset_;
    last_id_ = published->id();
    events_.push_back(published);
    bytes_ += log_bytes(*published);
    trim(now);
    return published;
}

void TopicLog::append_ordered(std::shared_ptr<const PublishedEvent> event, std::chrono::steady_clock::time_point now)
{
    assert(event->offset() == next_offset_);
    next_offset_ = event->offset() + 1;
    last_id_ = event->id();
    bytes_ += log_bytes(*event);
    events_.push_back(std::move(event));
    trim(now);
}

void TopicLog::restart(std::string epoch, std::uint64_t last_offset)
{
    events_.clear();
    bytes_ = 0;
    epoch_ = std::move(epoch);
    next_offset_ = last_offset + 1;
    last_id_.clear();
}

void TopicLog::pop_oldest() noexcept
{
    bytes_ -= log_bytes(*events_.front());
    events_.pop_front();
}

bool TopicLog::is_expired(const PublishedEvent& event, std::chrono::steady_clock::time_point now) const noexcept
{
    return now - event.published_at() > bounds_.replay_age;
}

void TopicLog::trim(std::chrono::steady_clock::time_point now)
{
    while (!events_.empty() && (events_.size() > bounds_.replay_count || bytes_ > bounds_.replay_bytes))
        pop_oldest();
    while (!events_.empty() && is_expired(*events_.front(), now))
        pop_oldest();
}

std::optional<std::chrono::steady_clock::time_point> TopicLog::next_expiry() const
{
    if (events_.empty())
        return std::nullopt;
    return events_.front()->published_at() + bounds_.replay_age;
}

LogSummary TopicLog::summary_at(std::chrono::steady_clock::time_point now) const
{
    LogSummary summary{.events = events_.size(), .bytes = bytes_};
    std::size_t expired = 0;
    for (; expired < events_.size() && is_expired(*events_[expired], now); ++expired) {
        --summary.events;
        summary.bytes -= log_bytes(*events_[expired]);
    }
    if (expired < events_.size())
        summary.first_offset = events_[expired]->offset();
    return summary;
}

std::optional<std::uint64_t> TopicLog::own_offset(std::string_view id) const noexcept
{
    if (id.size() <= epoch_.size() + 1 || !id.starts_with(epoch_) || id[epoch_.size()] != '-')
        return std::nullopt;
    id.remove_prefix(epoch_.size() + 1);
    std::uint64_t offset = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), offset);
    if (ec != std::errc() || end != id.data() + id.size())
        return std::nullopt;
    return offset;
}

std::optional<std::size_t> TopicLog::start_after(std::string_view id) const
{
    if (id == last_id_)
        return events_.size(); // up to date
    if (auto offset = own_offset(id)) {
        // The log holds a run of offsets, [first, next_offset_).
        const std::uint64_t first = events_.empty() ? next_offset_ : events_.front()->offset();
        if (*offset + 1 < first || *offset >= next_offset_)
            return std::nullopt; // trimmed away, or never appended
        return static_cast<std::size_t>(*offset + 1 - first);
    }
    for (std::size_t i = events_.size(); i-- > 0;)
        if (events_[i]->id() == id)
            return i + 1;
    return std::nullopt;
}

LogRead TopicLog::read_after(std::string_view last_event_id) const
{
    const std::optional<std::size_t> start = start_after(last_event_id);
    LogRead read{.events = {}, .reset = !start};
    read.events.assign(events_.begin() + static_cast<std::ptrdiff_t>(start.value_or(0)), events_.end());
    return read;
}

} // namespace ssekit::detail
