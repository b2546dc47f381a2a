#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ssekit::loadgen {

namespace {

constexpr unsigned sub_bucket_bits = 11; // 2048: 3 significant digits
constexpr std::uint64_t sub_bucket_count = std::uint64_t{1} << sub_bucket_bits;
constexpr std::uint64_t half_count = sub_bucket_count / 2;

// Values below 2048 index themselves. Above, a value with its top bit at
// position b (b >= 11) is shifted right by b - 10 so that 1024..2047 remain;
// every shift owns the next 1024 slots.
std::size_t index_of(std::uint64_t value) noexcept
{
    if (value < sub_bucket_count)
        return static_cast<std::size_t>(value);
    const unsigned top_bit = 63u - static_cast<unsigned>(std::countl_zero(value));
    const unsigned shift = top_bit - (sub_bucket_bits - 1);
    return static_cast<std::size_t>(shift * half_count + (value >> shift));
}

// The largest value that falls into slot `index`.
std::uint64_t highest_value_of(std::size_t index) noexcept
{
    if (index < sub_bucket_count)
        return index;
    const std::uint64_t shift = index / half_count - 1;
    const std::uint64_t sub = index - shift * half_count;
    return ((sub + 1) << shift) - 1;
}

const std::size_t slot_count = index_of(LatencyHistogram::highest_trackable) + 1;

} // namespace

LatencyHistogram::LatencyHistogram() : counts_(slot_count, 0) {}

void LatencyHistogram::record(std::int64_t value) noexcept
{
    const std::uint64_t v = value < 0 ? 0 : static_cast<std::uint64_t>(value);
    ++counts_[index_of(std::min(v, highest_trackable))];
    min_ = count_ == 0 ? v : std::min(min_, v);
    max_ = std::max(max_, v);
    ++count_;
    sum_ += static_cast<double>(v);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept
{
    if (other.count_ == 0)
        return;
    for (std::size_t i = 0; i < counts_.size(); ++i)
        counts_[i] += other.counts_[i];
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    count_ += other.count_;
    sum_ += other.sum_;
}

double LatencyHistogram::mean() const noexcept
{
    return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

std::uint64_t LatencyHistogram::value_at_percentile(double percentile) const noexcept
{
    if (count_ == 0)
        return 0;
    const double p = std::clamp(percentile, 0.0, 100.0);
    // The rank of the value asked for, 1-based, at least the first. The
    // shrink keeps a rounding error (99.9 / 100 * 1000 = 999.0000000000001)
    // from moving the rank up by one.
    const double rank = p / 100.0 * static_cast<double>(count_) * (1.0 - 1e-12);
    const auto wanted = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(rank)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= wanted)
            return std::clamp(highest_value_of(i), min_, max_);
    }
    return max_;
}

} // namespace ssekit::loadgen
