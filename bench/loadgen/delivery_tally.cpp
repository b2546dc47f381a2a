#include "delivery_tally.hpp"

#include "payload.hpp"

#include <numeric>

namespace ssekit::loadgen {

std::uint64_t SequenceCheck::accounted() const noexcept
{
    return std::accumulate(next_.begin(), next_.end(), std::uint64_t{0});
}

std::uint64_t SequenceCheck::missing(const std::vector<std::uint64_t>& published) const
{
    std::uint64_t count = 0;
    for (std::size_t p = 0; p < next_.size() && p < published.size(); ++p)
        if (published[p] > next_[p])
            count += published[p] - next_[p];
    return count;
}

EventVerdict DeliveryTally::add(SequenceCheck& check, std::string_view data, std::int64_t received_ns)
{
    auto stamp = parse_payload(data);
    if (stamp && stamp->publisher == warm_up_publisher)
        return EventVerdict::warm_up;
    if (!stamp || stamp->publisher >= check.publishers()) {
        ++unparsed_;
        check.clean_ = false;
        return EventVerdict::unparsed;
    }
    std::uint64_t& next = check.next_[stamp->publisher];
    if (stamp->seq < next) {
        ++duplicated_;
        check.clean_ = false;
        return EventVerdict::duplicated;
    }
    const std::uint64_t gap = stamp->seq - next;
    next = stamp->seq + 1;
    lost_ += gap;
    accounted_ += gap + 1;
    if (gap > 0)
        check.clean_ = false;
    ++delivered_;
    last_delivery_ns_ = received_ns;
    if (!last_replayed_seq_ || stamp->seq > *last_replayed_seq_)
        latency_.record(received_ns - stamp->send_ns);
    else if (stamp->seq == *last_replayed_seq_)
        catch_up_.record(received_ns - replay_since_ns_);
    return EventVerdict::delivered;
}

void DeliveryTally::expect_replay(std::uint64_t last_replayed_seq, std::int64_t since_ns) noexcept
{
    last_replayed_seq_ = last_replayed_seq;
    replay_since_ns_ = since_ns;
}

} // namespace ssekit::loadgen
