// A server's copy of a shared topic, apart from Redis: which events it
// feeds at once, when it asks to read the stream, and what it makes of
// what the read brings.

#include "redis/topic_mirror.hpp"

#include <ssekit/published_event.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

using ssekit::detail::ReceivedEvent;
using ssekit::detail::TopicMirror;
using Read = TopicMirror::Read;

namespace ssekit::detail {

std::ostream& operator<<(std::ostream& os, TopicMirror::Read read)
{
    constexpr const char* names[] = {"nothing", "catch_up", "reload"};
    return os << names[static_cast<int>(read)];
}

} // namespace ssekit::detail

namespace {

ReceivedEvent event(const std::string& epoch, std::uint64_t offset)
{
    const ssekit::ServerSentEvent source{.data = "event " + std::to_string(offset)};
    return ReceivedEvent{.epoch = epoch,
                         .event = std::make_shared<const ssekit::PublishedEvent>(
                             source, offset, std::chrono::steady_clock::now(), epoch + "-" + std::to_string(offset))};
}

std::vector<ReceivedEvent> events(const std::string& epoch, std::uint64_t first, std::uint64_t last)
{
    std::vector<ReceivedEvent> out;
    for (std::uint64_t offset = first; offset <= last; ++offset)
        out.push_back(event(epoch, offset));
    return out;
}

struct MirrorFixture {
    boost::asio::io_context io;
    TopicMirror mirror{ssekit::TopicOptions{}, io.get_executor()};

    ssekit::TopicStats stats() const { return mirror.topic()->stats(); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(topic_mirror, MirrorFixture)

BOOST_AUTO_TEST_CASE(it_loads_what_the_stream_holds_and_feeds_the_next_offsets_at_once)
{
    BOOST_TEST(mirror.load("e1", 7, events("e1", 5, 7)) == Read::nothing);
    BOOST_TEST(stats().epoch == "e1");
    BOOST_TEST(stats().first_offset == 5u);
    BOOST_TEST(stats().last_offset == 7u);

    BOOST_TEST(mirror.on_live(event("e1", 8)) == Read::nothing);
    BOOST_TEST(mirror.on_live(event("e1", 8)) == Read::nothing); // a duplicate changes nothing
    BOOST_TEST(stats().last_offset == 8u);
    BOOST_TEST(stats().replay_buffered == 4u);
}

BOOST_AUTO_TEST_CASE(events_arriving_during_the_load_wait_and_follow_it_without_duplicates)
{
    BOOST_TEST(mirror.on_live(event("e1", 3)) == Read::nothing);
    BOOST_TEST(mirror.on_live(event("e1", 4)) == Read::nothing);
    // The load read the stream after event 3 was added: 3 comes twice.
    BOOST_TEST(mirror.load("e1", 3, events("e1", 1, 3)) == Read::nothing);
    BOOST_TEST(stats().last_offset == 4u);
    BOOST_TEST(stats().replay_buffered == 4u);
}

BOOST_AUTO_TEST_CASE(a_gap_asks_for_a_catch_up_and_what_arrives_meanwhile_waits)
{
    mirror.load("e1", 2, events("e1", 1, 2));
    BOOST_TEST(mirror.on_live(event("e1", 5)) == Read::catch_up);
    BOOST_TEST(mirror.reading());
    BOOST_TEST(mirror.on_live(event("e1", 6)) == Read::nothing);
    BOOST_TEST(stats().last_offset == 2u);

    BOOST_TEST(mirror.end_read(Read::catch_up, "", events("e1", 3, 5)) == Read::nothing);
    BOOST_TEST(!mirror.reading());
    BOOST_TEST(stats().last_offset == 6u);
    BOOST_TEST(stats().first_offset == 1u); // no hole in the log
}

BOOST_AUTO_TEST_CASE(what_the_stream_no_longer_holds_restarts_the_log_after_the_hole)
{
    mirror.load("e1", 2, events("e1", 1, 2));
    BOOST_TEST(mirror.on_live(event("e1", 9)) == Read::catch_up);
    // Trimmed away: the stream starts at 8.
    BOOST_TEST(mirror.end_read(Read::catch_up, "", events("e1", 8, 9)) == Read::nothing);
    BOOST_TEST(stats().first_offset == 8u);
    BOOST_TEST(stats().last_offset == 9u);
    BOOST_TEST(stats().replay_buffered == 2u); // a resume from before 7 gets reset
}

BOOST_AUTO_TEST_CASE(another_epoch_asks_for_a_reload_which_ends_the_old_topic_s_copy)
{
    mirror.load("e1", 2, events("e1", 1, 2));
    const std::shared_ptr<ssekit::Topic> old = mirror.topic();
    BOOST_TEST(mirror.on_live(event("e2", 1)) == Read::reload);
    BOOST_TEST(mirror.on_live(event("e1", 3)) == Read::nothing); // late, of the old epoch: waits
    BOOST_TEST(mirror.end_read(Read::reload, "e2", events("e2", 1, 1)) == Read::nothing);
    BOOST_TEST(mirror.topic() != old);
    BOOST_TEST(stats().epoch == "e2");
    BOOST_TEST(stats().last_offset == 1u);
    BOOST_TEST(old->stats().last_offset == 2u); // the stale event went nowhere
}

BOOST_AUTO_TEST_CASE(a_topic_without_events_takes_the_epoch_of_its_first_one_and_keeps_its_topic)
{
    mirror.load("", 0, {});
    const std::shared_ptr<ssekit::Topic> topic = mirror.topic();
    BOOST_TEST(mirror.on_live(event("e7", 1)) == Read::nothing);
    BOOST_TEST(mirror.topic() == topic); // its followers go on
    BOOST_TEST(stats().epoch == "e7");
    BOOST_TEST(stats().last_offset == 1u);
}

BOOST_AUTO_TEST_CASE(what_waits_is_bounded_by_the_log_s_bytes)
{
    TopicMirror small(ssekit::TopicOptions{.replay_bytes = 200}, io.get_executor());
    small.load("e1", 1, events("e1", 1, 1));
    BOOST_TEST(small.on_live(event("e1", 3)) == Read::catch_up);
    for (std::uint64_t offset = 4; offset < 100; ++offset)
        small.on_live(event("e1", offset));
    // The read brings 2 and 3; of what waited only the first few fitted,
    // and the gap after them asks for the next catch-up.
    BOOST_TEST(small.end_read(Read::catch_up, "", events("e1", 2, 3)) == Read::catch_up);
    BOOST_TEST(small.topic()->stats().last_offset < 99u);
    BOOST_TEST(small.topic()->stats().last_offset > 3u);
}

BOOST_AUTO_TEST_SUITE_END()
