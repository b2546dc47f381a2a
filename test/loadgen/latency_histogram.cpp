// Tests of bench/loadgen/latency_histogram.hpp: exact below 2048, within
// 0.1% above, percentiles of known distributions, merge, min and max.
#include "latency_histogram.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <vector>

using ssekit::loadgen::LatencyHistogram;
namespace data = boost::unit_test::data;

namespace {

double relative_error(std::uint64_t reported, std::uint64_t exact)
{
    return (static_cast<double>(reported) - static_cast<double>(exact)) / static_cast<double>(exact);
}

} // namespace

BOOST_AUTO_TEST_SUITE(latency_histogram)

BOOST_AUTO_TEST_CASE(an_empty_histogram_reports_zeros)
{
    LatencyHistogram h;
    BOOST_TEST(h.count() == 0u);
    BOOST_TEST(h.min() == 0u);
    BOOST_TEST(h.max() == 0u);
    BOOST_TEST(h.mean() == 0.0);
    BOOST_TEST(h.value_at_percentile(50) == 0u);
}

BOOST_AUTO_TEST_CASE(values_below_2048_are_exact)
{
    LatencyHistogram h;
    for (std::int64_t v = 0; v < 2048; ++v)
        h.record(v);
    BOOST_TEST(h.count() == 2048u);
    BOOST_TEST(h.min() == 0u);
    BOOST_TEST(h.max() == 2047u);
    for (std::uint64_t v = 0; v < 2048; ++v) {
        // The percentile whose rank is exactly v + 1.
        const double p = static_cast<double>(v + 1) * 100.0 / 2048.0;
        BOOST_TEST(h.value_at_percentile(p) == v);
    }
}

BOOST_DATA_TEST_CASE(large_values_are_within_a_tenth_of_a_percent,
                     data::make(std::vector<std::uint64_t>{2048, 2049, 4095, 12'345, 999'999, 1'000'000, 123'456'789,
                                                           1'000'000'007, 987'654'321'012,
                                                           3'600'000'000'000 /* one hour */}),
                     value)
{
    LatencyHistogram h;
    h.record(static_cast<std::int64_t>(value));
    h.record(static_cast<std::int64_t>(value) * 2 + 7); // so the percentile is not capped at max
    const std::uint64_t reported = h.value_at_percentile(50);
    BOOST_TEST(reported >= value); // the bucket's highest value: never under-reported
    BOOST_TEST(relative_error(reported, value) <= 0.001);
    BOOST_TEST(h.max() == value * 2 + 7); // max is exact
    BOOST_TEST(h.min() == value);         // and so is min
}

BOOST_AUTO_TEST_CASE(random_values_stay_within_a_tenth_of_a_percent)
{
    std::mt19937_64 random(42);
    std::uniform_int_distribution<std::int64_t> exponent(0, 41);
    for (int i = 0; i < 10'000; ++i) {
        const std::int64_t value =
            std::uniform_int_distribution<std::int64_t>(0, (std::int64_t{1} << exponent(random)) * 2)(random);
        LatencyHistogram h;
        h.record(value);
        h.record(std::int64_t{1} << 42);
        const auto reported = h.value_at_percentile(50);
        BOOST_TEST(reported >= static_cast<std::uint64_t>(value));
        if (value > 0)
            BOOST_TEST(relative_error(reported, static_cast<std::uint64_t>(value)) <= 0.001);
    }
}

BOOST_AUTO_TEST_CASE(percentiles_of_a_uniform_distribution)
{
    LatencyHistogram h;
    for (std::int64_t v = 1; v <= 100'000; ++v)
        h.record(v * 1000); // 1 µs .. 100 ms
    struct Expected {
        double percentile;
        std::uint64_t value;
    };
    for (auto [p, exact] : {Expected{50, 50'000'000}, Expected{90, 90'000'000}, Expected{99, 99'000'000},
                            Expected{99.9, 99'900'000}, Expected{100, 100'000'000}}) {
        const auto reported = h.value_at_percentile(p);
        BOOST_TEST(reported >= exact);
        BOOST_TEST(relative_error(reported, exact) <= 0.001);
    }
    BOOST_TEST(h.value_at_percentile(0) == 1000u); // the first value
    BOOST_TEST(h.mean() == 50'000'500.0);
}

BOOST_AUTO_TEST_CASE(percentiles_of_a_two_valued_distribution)
{
    LatencyHistogram h;
    for (int i = 0; i < 990; ++i)
        h.record(100);
    for (int i = 0; i < 10; ++i)
        h.record(1'000'000);
    BOOST_TEST(h.value_at_percentile(50) == 100u);
    BOOST_TEST(h.value_at_percentile(99) == 100u); // rank 990: still the small value
    BOOST_TEST(h.value_at_percentile(99.1) == 1'000'000u);
    BOOST_TEST(h.value_at_percentile(99.9) == 1'000'000u);
}

BOOST_AUTO_TEST_CASE(merge_equals_recording_everything_in_one)
{
    LatencyHistogram a;
    LatencyHistogram b;
    LatencyHistogram both;
    std::mt19937_64 random(7);
    std::lognormal_distribution<double> latency(12.0, 1.5); // around 160 µs, long tail
    for (int i = 0; i < 20'000; ++i) {
        const auto v = static_cast<std::int64_t>(latency(random));
        (i % 3 == 0 ? a : b).record(v);
        both.record(v);
    }
    a.merge(b);
    BOOST_TEST(a.count() == both.count());
    BOOST_TEST(a.min() == both.min());
    BOOST_TEST(a.max() == both.max());
    BOOST_TEST(a.mean() == both.mean(), boost::test_tools::tolerance(1e-9));
    for (double p : {0.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0})
        BOOST_TEST(a.value_at_percentile(p) == both.value_at_percentile(p));
}

BOOST_AUTO_TEST_CASE(merging_into_an_empty_histogram_takes_min_and_max)
{
    LatencyHistogram empty;
    LatencyHistogram h;
    h.record(5000);
    h.record(70);
    empty.merge(h);
    BOOST_TEST(empty.min() == 70u);
    BOOST_TEST(empty.max() == 5000u);
    h.merge(LatencyHistogram{});
    BOOST_TEST(h.count() == 2u);
    BOOST_TEST(h.min() == 70u);
}

BOOST_AUTO_TEST_CASE(values_beyond_the_range_keep_an_exact_max)
{
    LatencyHistogram h;
    const auto huge = static_cast<std::int64_t>(LatencyHistogram::highest_trackable) * 4;
    h.record(huge);
    BOOST_TEST(h.max() == static_cast<std::uint64_t>(huge));
    BOOST_TEST(h.value_at_percentile(100) <= static_cast<std::uint64_t>(huge));
    BOOST_TEST(h.value_at_percentile(100) >= LatencyHistogram::highest_trackable);
}

BOOST_AUTO_TEST_CASE(negative_values_count_as_zero)
{
    LatencyHistogram h;
    h.record(-5);
    BOOST_TEST(h.count() == 1u);
    BOOST_TEST(h.min() == 0u);
    BOOST_TEST(h.max() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
