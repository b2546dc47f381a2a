#ifndef SSEKIT_BENCH_LOADGEN_DELIVERY_TALLY_HPP
#define SSEKIT_BENCH_LOADGEN_DELIVERY_TALLY_HPP

// What the subscribers received, counted against what was published: each
// subscriber expects every publisher's seq to go 0, 1, 2, ... exactly.

#include "latency_histogram.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ssekit::loadgen {

/// One subscriber's place in each publisher's sequence.
class SequenceCheck {
public:
    explicit SequenceCheck(std::uint32_t publishers) : next_(publishers, 0) {}

    /// The seq expected next from `publisher`.
    std::uint64_t next(std::uint32_t publisher) const { return next_[publisher]; }
    std::uint32_t publishers() const noexcept { return static_cast<std::uint32_t>(next_.size()); }
    /// Events received or known lost, over all publishers.
    std::uint64_t accounted() const noexcept;
    /// Events of `published` (counts per publisher) neither received nor counted lost yet.
    std::uint64_t missing(const std::vector<std::uint64_t>& published) const;
    /// Every event so far was the next of its publisher: no gap, no repeat, nothing unparsed.
    bool clean() const noexcept { return clean_; }

private:
    friend class DeliveryTally;
    std::vector<std::uint64_t> next_;
    bool clean_ = true;
};

/// What one event was.
enum class EventVerdict {
    delivered,  ///< the next seq, or a later one after a gap (the gap is lost)
    duplicated, ///< a seq seen or passed before: a repeat or out of order
    warm_up,    ///< from warm_up_publisher: not counted
    unparsed,   ///< not a payload, or from a publisher not in this run
};

/// The totals over all subscribers of a run (single-threaded: no locks).
class DeliveryTally {
public:
    /** Checks the event `data` that subscriber `check` received, with the
        clock of the read() that completed it, and counts it.
    */
    EventVerdict add(SequenceCheck& check, std::string_view data, std::int64_t received_ns);

    /// Counts events that will never come (a subscriber gone, or the drain gave up).
    void add_lost(std::uint64_t count) noexcept { lost_ += count; }

    /** Takes seqs up to `last_replayed_seq` as replayed from the server's
        log, not live: they leave latency() alone, and each subscriber's
        arrival at `last_replayed_seq` goes to catch_up() as the time since
        `since_ns` (when the subscribers started connecting).
    */
    void expect_replay(std::uint64_t last_replayed_seq, std::int64_t since_ns) noexcept;

    std::uint64_t delivered() const noexcept { return delivered_; }
    std::uint64_t lost() const noexcept { return lost_; }
    std::uint64_t duplicated() const noexcept { return duplicated_; }
    std::uint64_t unparsed() const noexcept { return unparsed_; }
    /// delivered() plus the gaps counted lost on the way: drain progress.
    std::uint64_t accounted() const noexcept { return accounted_; }
    /// When the last delivered event's read() returned; 0 before any.
    std::int64_t last_delivery_ns() const noexcept { return last_delivery_ns_; }
    /// Receive time minus send time of each delivered event, in ns (live events only after expect_replay).
    const LatencyHistogram& latency() const noexcept { return latency_; }
    /// After expect_replay: per subscriber, the ns from `since_ns` to its last replayed event.
    const LatencyHistogram& catch_up() const noexcept { return catch_up_; }

private:
    LatencyHistogram latency_;
    LatencyHistogram catch_up_;
    std::optional<std::uint64_t> last_replayed_seq_;
    std::int64_t replay_since_ns_ = 0;
    std::uint64_t delivered_ = 0;
    std::uint64_t lost_ = 0;
    std::uint64_t duplicated_ = 0;
    std::uint64_t unparsed_ = 0;
    std::uint64_t accounted_ = 0;
    std::int64_t last_delivery_ns_ = 0;
};

} // namespace ssekit::loadgen

#endif
