// Tests of bench/loadgen/delivery_tally.hpp: order per publisher, gaps as
// lost, repeats as duplicated, and what is not counted.
#include "delivery_tally.hpp"

#include "payload.hpp"

#include <boost/test/unit_test.hpp>

using namespace ssekit::loadgen;

namespace {

std::string body(std::uint32_t publisher, std::uint64_t seq, std::int64_t send_ns = 1000)
{
    return format_payload({.publisher = publisher, .seq = seq, .send_ns = send_ns}, 64);
}

} // namespace

BOOST_AUTO_TEST_SUITE(delivery_tally)

BOOST_AUTO_TEST_CASE(events_in_order_are_delivered_with_their_latency)
{
    DeliveryTally tally;
    SequenceCheck check(1);
    BOOST_TEST((tally.add(check, body(0, 0, 1000), 1500) == EventVerdict::delivered));
    BOOST_TEST((tally.add(check, body(0, 1, 2000), 2700) == EventVerdict::delivered));
    BOOST_TEST(tally.delivered() == 2u);
    BOOST_TEST(tally.lost() == 0u);
    BOOST_TEST(tally.latency().min() == 500u);
    BOOST_TEST(tally.latency().max() == 700u);
    BOOST_TEST(tally.last_delivery_ns() == 2700);
    BOOST_TEST(check.accounted() == 2u);
}

BOOST_AUTO_TEST_CASE(a_gap_counts_the_missing_events_as_lost)
{
    DeliveryTally tally;
    SequenceCheck check(1);
    tally.add(check, body(0, 0), 1);
    tally.add(check, body(0, 4), 1);
    BOOST_TEST(tally.delivered() == 2u);
    BOOST_TEST(tally.lost() == 3u);
    BOOST_TEST(tally.accounted() == 5u);
    BOOST_TEST(check.next(0) == 5u);
}

BOOST_AUTO_TEST_CASE(a_repeat_or_an_older_seq_is_duplicated)
{
    DeliveryTally tally;
    SequenceCheck check(1);
    tally.add(check, body(0, 0), 1);
    tally.add(check, body(0, 2), 1);
    BOOST_TEST((tally.add(check, body(0, 2), 1) == EventVerdict::duplicated));
    BOOST_TEST((tally.add(check, body(0, 1), 1) == EventVerdict::duplicated));
    BOOST_TEST(tally.duplicated() == 2u);
    BOOST_TEST(tally.delivered() == 2u);
    BOOST_TEST(tally.lost() == 1u);
}

BOOST_AUTO_TEST_CASE(publishers_are_checked_apart)
{
    DeliveryTally tally;
    SequenceCheck check(2);
    tally.add(check, body(1, 0), 1);
    tally.add(check, body(0, 0), 1);
    tally.add(check, body(1, 1), 1);
    BOOST_TEST(tally.delivered() == 3u);
    BOOST_TEST(tally.lost() == 0u);
    BOOST_TEST(tally.duplicated() == 0u);
}

BOOST_AUTO_TEST_CASE(warm_up_and_foreign_events_are_not_counted)
{
    DeliveryTally tally;
    SequenceCheck check(1);
    BOOST_TEST((tally.add(check, body(warm_up_publisher, 0), 1) == EventVerdict::warm_up));
    BOOST_TEST((tally.add(check, "too many topics", 1) == EventVerdict::unparsed));
    BOOST_TEST((tally.add(check, body(1, 0), 1) == EventVerdict::unparsed)); // publisher 1 is not in this run
    BOOST_TEST(tally.unparsed() == 2u);
    BOOST_TEST(tally.delivered() == 0u);
    BOOST_TEST(tally.latency().count() == 0u);
}

BOOST_AUTO_TEST_CASE(missing_counts_what_never_came)
{
    DeliveryTally tally;
    SequenceCheck check(2);
    tally.add(check, body(0, 0), 1);
    tally.add(check, body(0, 1), 1);
    BOOST_TEST(check.missing({5, 3}) == 6u);
    BOOST_TEST(check.missing({2, 0}) == 0u);
}

BOOST_AUTO_TEST_CASE(a_sequence_stays_clean_only_with_each_event_once_in_order)
{
    DeliveryTally tally;
    SequenceCheck in_order(1);
    tally.add(in_order, body(0, 0), 1);
    tally.add(in_order, body(0, 1), 1);
    tally.add(in_order, body(warm_up_publisher, 0), 1);
    BOOST_TEST(in_order.clean());

    SequenceCheck gap(1);
    tally.add(gap, body(0, 1), 1);
    BOOST_TEST(!gap.clean());

    SequenceCheck repeat(1);
    tally.add(repeat, body(0, 0), 1);
    tally.add(repeat, body(0, 0), 1);
    BOOST_TEST(!repeat.clean());

    SequenceCheck reset(1);
    tally.add(reset, "", 1); // a reset event, or the marker of another publisher
    tally.add(reset, body(0, 0), 1);
    BOOST_TEST(!reset.clean());
}

BOOST_AUTO_TEST_CASE(replayed_events_time_the_catch_up_and_live_ones_the_latency)
{
    DeliveryTally tally;
    tally.expect_replay(2, 10'000); // seq 0..2 come from the log; the storm began at 10 µs
    SequenceCheck first(1);
    SequenceCheck second(1);
    for (std::uint64_t seq = 0; seq < 3; ++seq) {
        tally.add(first, body(0, seq, 1000), 20'000 + seq);
        tally.add(second, body(0, seq, 1000), 50'000 + seq);
    }
    BOOST_TEST(tally.latency().count() == 0u);
    BOOST_TEST(tally.catch_up().count() == 2u);
    BOOST_TEST(tally.catch_up().min() == 10'002u);
    BOOST_TEST(tally.catch_up().max() == 40'002u);
    tally.add(first, body(0, 3, 60'000), 60'700);
    BOOST_TEST(tally.latency().count() == 1u);
    BOOST_TEST(tally.latency().max() == 700u);
    BOOST_TEST(tally.delivered() == 7u);
    BOOST_TEST(first.clean());
}

BOOST_AUTO_TEST_SUITE_END()
