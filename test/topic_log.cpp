// A topic's history on its own: offsets and ids, reads after an id (or a
// reset), and the bounds by count, bytes and age. What any history of a
// topic must do, here or shared by several servers.

#include "topic_log.hpp"

#include <ssekit/error.hpp>

#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::detail::TopicLog;
using Clock = std::chrono::steady_clock;

namespace {

const Clock::time_point start = Clock::now();

std::vector<std::uint64_t> offsets(const ssekit::detail::LogRead& read)
{
    std::vector<std::uint64_t> out;
    for (const auto& event : read.events)
        out.push_back(event->offset());
    return out;
}

std::vector<std::uint64_t> expected(std::initializer_list<std::uint64_t> list) { return list; }

TopicLog log_of(int count, ssekit::TopicOptions bounds = {})
{
    TopicLog log(bounds, "epoch123");
    for (int i = 0; i < count; ++i) {
        const ServerSentEvent event{.data = "e" + std::to_string(i + 1)};
        log.append(event, start);
    }
    return log;
}

} // namespace

BOOST_AUTO_TEST_SUITE(topic_log_unit)

BOOST_AUTO_TEST_CASE(append_gives_offsets_from_one_and_ids_with_the_epoch)
{
    TopicLog log({}, "epoch123");
    BOOST_TEST(log.last_offset() == 0u);
    const ServerSentEvent first{.data = "a"};
    const ServerSentEvent own{.data = "b", .id = "mine"};
    BOOST_TEST(log.append(first, start)->id() == "epoch123-1");
    auto second = log.append(own, start);
    BOOST_TEST(second->id() == "mine");
    BOOST_TEST(second->offset() == 2u);
    BOOST_TEST(log.last_offset() == 2u);
}

BOOST_AUTO_TEST_CASE(an_event_that_cannot_be_encoded_changes_nothing)
{
    TopicLog log = log_of(2);
    const ServerSentEvent bad{.data = "x", .id = " padded"};
    BOOST_CHECK_THROW(log.append(bad, start), boost::system::system_error);
    BOOST_TEST(log.last_offset() == 2u);
    const ServerSentEvent good{.data = "y"};
    BOOST_TEST(log.append(good, start)->id() == "epoch123-3");
}

BOOST_AUTO_TEST_CASE(a_read_after_an_id_gives_what_follows_it)
{
    const TopicLog log = log_of(5);
    auto read = log.read_after("epoch123-2");
    BOOST_TEST(!read.reset);
    BOOST_TEST(offsets(read) == expected({3, 4, 5}), boost::test_tools::per_element());
    BOOST_TEST(offsets(log.read_after("epoch123-0")) == expected({1, 2, 3, 4, 5}), boost::test_tools::per_element());
    read = log.read_after("epoch123-5");
    BOOST_TEST(!read.reset);
    BOOST_TEST(read.events.empty());
}

BOOST_AUTO_TEST_CASE(an_id_the_log_cannot_place_is_a_reset_with_every_event_held)
{
    const TopicLog log = log_of(3, {.replay_count = 2});
    for (const char* id : {"other999-2", "epoch123-0", "epoch123-4", "epoch123-x", "unknown", ""}) {
        auto read = log.read_after(id);
        BOOST_TEST(read.reset, id);
        BOOST_TEST(offsets(read) == expected({2, 3}), boost::test_tools::per_element());
    }
    BOOST_TEST(!log.read_after("epoch123-1").reset); // just before the oldest held
}

BOOST_AUTO_TEST_CASE(a_publisher_s_own_id_is_found_newest_first)
{
    TopicLog log({}, "epoch123");
    for (const char* id : {"dup", "x", "dup", "y"}) {
        const ServerSentEvent event{.data = "d", .id = id};
        log.append(event, start);
    }
    BOOST_TEST(offsets(log.read_after("dup")) == expected({4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_bytes_bound_keeps_the_newest_events_that_fit)
{
    TopicLog log({.replay_bytes = 3500}, "epoch123");
    const ServerSentEvent event{.data = std::string(900, 'b')};
    for (int i = 0; i < 10; ++i)
        log.append(event, start);
    const auto summary = log.summary_at(start);
    BOOST_TEST(summary.events == 3u); // 920 bytes of encoding and about 130 of bookkeeping each
    BOOST_TEST(summary.bytes <= 3500u);
    BOOST_TEST(summary.first_offset == 8u);
}

BOOST_AUTO_TEST_CASE(age_counts_from_each_event_s_append)
{
    TopicLog log({.replay_age = 10s}, "epoch123");
    const ServerSentEvent event{.data = "x"};
    log.append(event, start);
    log.append(event, start + 5s);
    BOOST_TEST((log.next_expiry() == start + 10s));
    // Seen at 12 s the first has aged, not yet dropped.
    BOOST_TEST(log.summary_at(start + 12s).events == 1u);
    BOOST_TEST(log.summary_at(start + 12s).first_offset == 2u);
    log.trim(start + 12s);
    BOOST_TEST((log.next_expiry() == start + 15s));
    log.trim(start + 16s);
    BOOST_TEST(log.empty());
    BOOST_TEST(!log.next_expiry());
    BOOST_TEST(log.summary_at(start + 16s).first_offset == 0u);
    // Up to date though empty: the last id is still known.
    auto read = log.read_after("epoch123-2");
    BOOST_TEST(!read.reset);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_mirrored_log_takes_events_ordered_elsewhere_with_their_own_offsets)
{
    TopicLog log({}, "");
    log.restart("remote01", 41); // the history before 42 is not known here
    for (std::uint64_t offset : {42u, 43u}) {
        const ServerSentEvent event{.data = "e" + std::to_string(offset)};
        const std::string id = "remote01-" + std::to_string(offset);
        log.append_ordered(std::make_shared<const ssekit::PublishedEvent>(event, offset, start, id), start);
    }
    BOOST_TEST(log.last_offset() == 43u);
    BOOST_TEST(offsets(log.read_after("remote01-41")) == expected({42, 43}));
    BOOST_TEST(!log.read_after("remote01-41").reset);
    BOOST_TEST(log.read_after("remote01-40").reset); // before what the log knows
    BOOST_TEST(log.read_after("epoch123-42").reset); // another epoch

    log.restart("remote02", 0); // the history's epoch changed: nothing carries over
    BOOST_TEST(log.empty());
    BOOST_TEST(log.epoch() == "remote02");
    BOOST_TEST(log.read_after("remote01-43").reset);
    BOOST_TEST(!log.read_after("remote02-0").reset);
}
