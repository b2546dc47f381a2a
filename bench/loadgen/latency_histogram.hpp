#ifndef SSEKIT_BENCH_LOADGEN_LATENCY_HISTOGRAM_HPP
#define SSEKIT_BENCH_LOADGEN_LATENCY_HISTOGRAM_HPP

// An HDR-style histogram of durations in nanoseconds: 3 significant digits
// at any magnitude, fixed memory, O(1) record. Gil Tene's HdrHistogram
// layout: values below 2048 have a bucket each; above, every power of two
// is split into 1024 equal sub-buckets, so a bucket is never wider than
// 1/1024 of its values (under 0.1% error).

#include <cstdint>
#include <vector>

namespace ssekit::loadgen {

class LatencyHistogram {
public:
    /// The largest value told apart: about 2.4 hours in ns. Larger values
    /// count in the top bucket (max() still reports them exactly).
    static constexpr std::uint64_t highest_trackable = (std::uint64_t{1} << 43) - 1;

    LatencyHistogram();

    /// Counts `value` once. Negative values (a clock that stepped back) count as 0.
    void record(std::int64_t value) noexcept;

    /// Adds every count of `other`.
    void merge(const LatencyHistogram& other) noexcept;

    std::uint64_t count() const noexcept { return count_; }
    /// 0 when empty.
    std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
    std::uint64_t max() const noexcept { return max_; }
    /// 0 when empty.
    double mean() const noexcept;

    /** The smallest recorded value such that `percentile` % of the values
        are at or below it, within the bucket's precision: the highest value
        of its bucket (never under-reported), capped at max(). 0 when empty.
        @param percentile in [0, 100]; out of range is clamped.
    */
    std::uint64_t value_at_percentile(double percentile) const noexcept;

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
    double sum_ = 0; // for the mean; a double never overflows
};

} // namespace ssekit::loadgen

#endif
