// The farewell's pure pieces: the reconnection delay drawn per client, the
// jitter of a stream's maximum age, and the bytes of the farewell event.

#include "farewell.hpp"

#include <ssekit/server.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
using ssekit::detail::draw_retry;
using ssekit::detail::encode_farewell;
using ssekit::detail::jitter;

BOOST_AUTO_TEST_SUITE(farewell)

BOOST_AUTO_TEST_CASE(retries_are_drawn_across_the_whole_window)
{
    std::vector<std::chrono::milliseconds> drawn;
    for (int i = 0; i < 2000; ++i)
        drawn.push_back(draw_retry(1000ms, 10000ms));
    const auto [min, max] = std::minmax_element(drawn.begin(), drawn.end());
    BOOST_TEST(min->count() >= 1000);
    BOOST_TEST(max->count() <= 10000);
    BOOST_TEST(min->count() < 1500);
    BOOST_TEST(max->count() > 9500);
    // Spread evenly: each tenth of the window gets its share, give or take.
    std::vector<int> tenths(10);
    for (auto retry : drawn)
        ++tenths[std::min<long>(9, (retry.count() - 1000) / 900)];
    for (int count : tenths)
        BOOST_TEST((count > 120 && count < 280), count);
}

BOOST_AUTO_TEST_CASE(an_empty_window_gives_its_one_value)
{
    BOOST_TEST(draw_retry(3000ms, 3000ms).count() == 3000);
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_its_spread_and_moves_both_ways)
{
    std::set<std::chrono::steady_clock::duration> seen;
    bool shorter = false;
    bool longer = false;
    for (int i = 0; i < 1000; ++i) {
        const auto moved = jitter(60s, 0.1);
        BOOST_TEST((moved >= 54s && moved <= 66s));
        shorter = shorter || moved < 59s;
        longer = longer || moved > 61s;
        seen.insert(moved);
    }
    BOOST_TEST(shorter);
    BOOST_TEST(longer);
    BOOST_TEST(seen.size() > 900u);
}

BOOST_AUTO_TEST_CASE(the_farewell_is_the_event_with_the_drawn_retry)
{
    const ssekit::ServerSentEvent event{.data = "", .event = "drain", .retry = 99ms};
    BOOST_TEST(encode_farewell(event, 4321ms) == "event: drain\nretry: 4321\ndata:\n\n");
    BOOST_TEST(encode_farewell(ssekit::ServerOptions{}.drain_event, 1000ms) == "event: drain\nretry: 1000\ndata:\n\n");
}

BOOST_AUTO_TEST_CASE(drain_options_are_checked)
{
    ssekit::ServerOptions options;
    BOOST_CHECK_NO_THROW(ssekit::detail::check_drain_options(options));
    options.drain_retry_min = -1ms;
    BOOST_CHECK_THROW(ssekit::detail::check_drain_options(options), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
