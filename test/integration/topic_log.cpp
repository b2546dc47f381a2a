// Topics as logs: ids with an epoch that a restart changes, a log bounded in
// bytes and by age (even when nothing happens), registry topics that go
// away when unused, and filters that hold for replayed events too.

#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>
#include <ssekit/session.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"
#include "../support/topic_ids.hpp"
#include "../support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;
using ssekit::test::topic_id;

namespace {

std::string event_text(const std::string& id, const std::string& data) { return "id: " + id + "\ndata: " + data; }

// A server whose /topic follows the topic of the moment: a test replaces it
// as a restarted process would have a new one.
struct ReplaceableTopicServer {
    ReplaceableTopicServer()
    {
        server.server().sse("/topic", [this](ServerSSESession& session) -> asio::awaitable<void> {
            auto topic = current();
            co_await session.follow(*topic);
        });
    }

    std::shared_ptr<ssekit::Topic> current()
    {
        std::lock_guard lock(mutex);
        return topic;
    }

    void replace()
    {
        std::lock_guard lock(mutex);
        topic = std::make_shared<ssekit::Topic>();
    }

    std::mutex mutex;
    std::shared_ptr<ssekit::Topic> topic = std::make_shared<ssekit::Topic>();
    ssekit::test::ThreadedServer server;
};

// Bytes in blocks of 1 MiB or more that malloc holds now: each has its own
// mapping, given back when freed (the threshold is fixed, not adapted).
std::size_t large_blocks_in_use()
{
    ::mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    return ::mallinfo2().hblkhd;
}

} // namespace

BOOST_AUTO_TEST_SUITE(topic_log)

BOOST_AUTO_TEST_CASE(a_client_resuming_across_a_restart_gets_reset_then_every_event_of_the_new_topic)
{
    ReplaceableTopicServer s;
    auto port = s.server.start();
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        // Before the restart: the client sees events 1-3.
        auto before = co_await HttpClient::open(port, get_request("/topic"));
        co_await ssekit::test::eventually([&] { return s.current()->stats().subscribers == 1; });
        std::vector<std::string> old_ids;
        for (int i = 1; i <= 3; ++i) {
            const ServerSentEvent event{.data = "old " + std::to_string(i)};
            old_ids.push_back(s.current()->publish(event));
        }
        auto seen = co_await before.read_events(3);
        BOOST_TEST(seen[2] == event_text(old_ids[2], "old 3"));

        // The restart: a new topic, whose publishers go on with five events
        // while the client is away. Its offsets run 1-5 again.
        s.replace();
        std::vector<std::string> new_ids;
        for (int i = 1; i <= 5; ++i) {
            const ServerSentEvent event{.data = "new " + std::to_string(i)};
            new_ids.push_back(s.current()->publish(event));
        }
        BOOST_TEST(new_ids[2] != old_ids[2]); // offset 3 both, under another epoch

        const std::string resume = get_request("/topic", {"Last-Event-ID: " + old_ids[2]});
        auto after = co_await HttpClient::open(port, resume);
        BOOST_TEST(after.response()["X-SSE-Replay"] == "reset");
        auto replayed = co_await after.read_events(6);
        BOOST_TEST(replayed[0] == "event: reset\ndata: " + old_ids[2]);
        for (int i = 1; i <= 5; ++i)
            BOOST_TEST(replayed[static_cast<std::size_t>(i)] ==
                       event_text(new_ids[static_cast<std::size_t>(i - 1)], "new " + std::to_string(i)));
    }());
    BOOST_TEST(s.current()->stats().resets == 1u);
}

BOOST_AUTO_TEST_CASE(an_offset_never_published_or_trimmed_away_gets_reset_and_one_in_the_log_resumes)
{
    ssekit::Topic topic({.replay_count = 4});
    ssekit::test::ThreadedServer server;
    server.server().sse("/topic", [&](ServerSSESession& session) { return session.follow(topic); });
    auto port = server.start();
    for (int i = 1; i <= 10; ++i) {
        const ServerSentEvent event{.data = std::to_string(i)};
        topic.publish(event);
    }
    auto stats = topic.stats();
    BOOST_TEST(stats.first_offset == 7u);
    BOOST_TEST(stats.last_offset == 10u);
    BOOST_TEST(stats.replay_buffered == 4u);
    asio::io_context io;
    auto first_event_after = [&](std::string last_id) {
        return run_awaitable(io, [&]() -> asio::awaitable<std::string> {
            const std::string request = get_request("/topic", {"Last-Event-ID: " + last_id});
            auto client = co_await HttpClient::open(port, request);
            co_return (co_await client.read_events(1))[0];
        }());
    };
    BOOST_TEST(first_event_after(topic_id(topic, 6)) == event_text(topic_id(topic, 7), "7")); // just before the log
    BOOST_TEST(first_event_after(topic_id(topic, 8)) == event_text(topic_id(topic, 9), "9"));
    BOOST_TEST(first_event_after(topic_id(topic, 5)).starts_with("event: reset\n"));  // trimmed away
    BOOST_TEST(first_event_after(topic_id(topic, 11)).starts_with("event: reset\n")); // not published yet
    BOOST_TEST(first_event_after(topic.stats().epoch + "-x").starts_with("event: reset\n"));
    BOOST_TEST(topic.stats().resets == 3u);
}

BOOST_AUTO_TEST_CASE(the_log_stays_within_replay_bytes_however_large_the_events)
{
    constexpr std::size_t bound = 5 * 1024 * 1024;
    ssekit::Topic topic({.replay_count = 1024, .replay_bytes = bound});
    const std::string megabyte(1024 * 1024, 'm');
    std::vector<std::string> ids;
    for (int i = 0; i < 64; ++i) {
        const ServerSentEvent event{.data = megabyte};
        ids.push_back(topic.publish(event));
        const auto stats = topic.stats();
        BOOST_TEST_REQUIRE(stats.replay_buffered_bytes <= bound);
    }
    const auto stats = topic.stats();
    // Each event holds its encoding, a little over 1 MiB: four of them fit.
    BOOST_TEST(stats.replay_buffered == 4u);
    BOOST_TEST(stats.replay_buffered_bytes > 4 * megabyte.size());
    BOOST_TEST(stats.first_offset == 61u);

    // One larger than the bound is delivered, not kept: the log is empty,
    // and a client that saw it is up to date.
    const ServerSentEvent huge{.data = std::string(bound, 'h')};
    const std::string huge_id = topic.publish(huge);
    BOOST_TEST(topic.stats().replay_buffered == 0u);
    BOOST_TEST(topic.stats().replay_buffered_bytes == 0u);
    ssekit::test::ThreadedServer server;
    server.server().sse("/topic", [&](ServerSSESession& session) { return session.follow(topic); });
    auto port = server.start();
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        const std::string request = get_request("/topic", {"Last-Event-ID: " + huge_id});
        auto client = co_await HttpClient::open(port, request);
        BOOST_TEST(client.response()["X-SSE-Replay"] == "");
        co_await ssekit::test::eventually([&] { return topic.stats().subscribers == 1; });
        const ServerSentEvent next{.data = "next"};
        const std::string next_id = topic.publish(next);
        auto events = co_await client.read_events(1);
        BOOST_TEST(events[0] == event_text(next_id, "next"));
    }());
}

BOOST_AUTO_TEST_CASE(the_log_holds_each_event_once_as_its_wire_bytes)
{
    constexpr std::size_t size = 1024 * 1024;
    constexpr int count = 8;
    ssekit::Topic topic({.replay_count = 1024, .replay_bytes = 64 * size});
    std::size_t growth = 0;
    {
        const ServerSentEvent event{.data = std::string(size, 'o')};
        const std::size_t before = large_blocks_in_use();
        for (int i = 0; i < count; ++i)
            topic.publish(event);
        growth = large_blocks_in_use() - before;
    }
    const auto stats = topic.stats();
    BOOST_TEST(stats.replay_buffered == std::size_t{count});
    // The encoding ("data: " and two line feeds) and a little bookkeeping.
    BOOST_TEST(stats.replay_buffered_bytes >= count * size);
    BOOST_TEST(stats.replay_buffered_bytes <= count * (size + 512));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    // Blocks of 1 MiB come from their own mappings, rounded up to pages: the
    // heap grew by the encodings alone, not by a copy of each event as well.
    BOOST_TEST(growth >= count * size);
    BOOST_TEST(growth <= count * (size + 8192), "the log took " << growth << " bytes for " << count << " MiB");
#endif
    BOOST_TEST_MESSAGE("heap growth for " << count << " events of 1 MiB: " << growth);
}

BOOST_AUTO_TEST_CASE(an_idle_topic_with_an_executor_gives_back_its_log_when_the_events_age_out)
{
    asio::io_context io;
    ssekit::Topic topic(io.get_executor(), {.replay_age = 200ms});
    constexpr std::size_t size = 4 * 1024 * 1024;
    const std::size_t before = large_blocks_in_use();
    std::size_t published = 0;
    {
        const ServerSentEvent event{.data = std::string(size, 'e')};
        topic.publish(event);
        published = large_blocks_in_use();
    }
    // Nothing publishes, joins or reads the stats from here on: only the
    // topic's timer can free the event.
    io.run_for(1s);
    const std::size_t aged = large_blocks_in_use();
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    // (A sanitizer's allocator keeps freed memory in quarantine.)
    BOOST_TEST(published >= before + 2 * size); // ours, and the log's encoding
    BOOST_TEST(aged <= before, "held " << aged << " bytes after the age, " << before << " before");
#endif
    const auto stats = topic.stats();
    BOOST_TEST(stats.replay_buffered == 0u);
    BOOST_TEST(stats.replay_buffered_bytes == 0u);
    BOOST_TEST(stats.last_offset == 1u);
    BOOST_TEST_MESSAGE("heap: " << before << " before, " << published << " published, " << aged << " aged out");
}

BOOST_AUTO_TEST_CASE(a_topic_without_an_executor_ages_out_its_log_on_the_next_look)
{
    ssekit::Topic topic({.replay_age = 50ms});
    const ServerSentEvent event{.data = "soon gone"};
    topic.publish(event);
    BOOST_TEST(topic.stats().replay_buffered == 1u);
    BOOST_TEST(ssekit::test::wait_until([&] { return topic.stats().replay_buffered == 0; }, 5s));
}

BOOST_AUTO_TEST_CASE(a_registry_keeps_only_topics_in_use_after_ten_thousand_names_came_and_went)
{
    asio::io_context io;
    ssekit::TopicRegistry topics(io.get_executor(), {.replay_age = 20ms}, 100);
    // Names used once each, as any client could: half never published to,
    // half with an event that ages out.
    for (int i = 0; i < 10'000; ++i) {
        auto topic = topics.topic("name " + std::to_string(i));
        if (i % 2 == 0) {
            const ServerSentEvent event{.data = "x"};
            topic->publish(event);
        }
        if (i % 100 == 99) {
            io.restart(); // run_for stopped it once the work was done
            io.run_for(30ms); // the published ones age out
        }
    }
    io.restart();
    io.run_for(50ms);
    BOOST_TEST(topics.stats().empty());

    // Over HTTP: 300 subscribers to as many topics, one after another, each
    // leaving before the next comes, with max_topics 100.
    ssekit::test::ThreadedServer server;
    server.server().sse("/sub/{name}", [&](ServerSSESession& session) -> asio::awaitable<void> {
        auto topic = topics.topic(*session.call().path_param("name"));
        co_await session.follow(*topic);
    });
    auto port = server.start();
    asio::io_context client_io;
    run_awaitable(client_io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 300; ++i) {
            const std::string name = "room" + std::to_string(i);
            auto client = co_await HttpClient::open(port, get_request("/sub/" + name));
            BOOST_REQUIRE(client.response().result_int() == 200u);
            const bool joined = co_await ssekit::test::eventually([&] {
                auto topic = topics.find(name);
                return topic && topic->stats().subscribers == 1;
            });
            BOOST_REQUIRE(joined);
        } // the client leaves here
    }());
    BOOST_TEST(ssekit::test::wait_until([&] { return topics.stats().empty(); }, 10s));

    // A topic in use is kept, and a new one still works.
    auto kept = topics.topic("kept");
    const ServerSentEvent event{.data = "still here"};
    kept->publish(event);
    auto stats = topics.stats();
    BOOST_TEST(stats.size() == 1u);
    BOOST_TEST(stats.count("kept") == 1u);
    BOOST_TEST(topics.find("room7") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_name_used_again_after_its_topic_went_away_gets_a_new_epoch)
{
    ssekit::TopicRegistry topics({}, 1);
    auto first = topics.topic("news");
    const std::string first_epoch = first->stats().epoch;
    first.reset();
    auto other = topics.topic("sports"); // the one slot: "news" is unused, so it goes
    BOOST_TEST(topics.find("news") == nullptr);
    BOOST_CHECK_THROW(topics.topic("news"), std::length_error); // "sports" is in use
    other.reset();
    BOOST_TEST(topics.topic("news")->stats().epoch != first_epoch);
}

BOOST_AUTO_TEST_CASE(a_filter_applies_to_replayed_events_as_to_live_ones)
{
    ssekit::Topic topic;
    ssekit::test::ThreadedServer server;
    server.server().sse("/mine", [&](ServerSSESession& session) -> asio::awaitable<void> {
        // Scoped to one user: another user's events must never reach this
        // session, replayed or live.
        ssekit::FollowOptions options{
            .filter = [](const ssekit::PublishedEvent& published) { return published.type() == "for-ann"; }};
        co_await session.follow(topic, options);
    });
    auto port = server.start();
    for (int i = 0; i < 6; ++i) {
        const ServerSentEvent event{.data = std::to_string(i), .event = i % 2 == 0 ? "for-ann" : "for-bob"};
        topic.publish(event);
    }
    asio::io_context io;
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        const std::string request = get_request("/mine", {"Last-Event-ID: " + topic_id(topic, 0)});
        auto client = co_await HttpClient::open(port, request);
        co_await ssekit::test::eventually([&] { return topic.stats().subscribers == 1; });
        const ServerSentEvent for_bob{.data = "live", .event = "for-bob"};
        const ServerSentEvent for_ann{.data = "live", .event = "for-ann"};
        topic.publish(for_bob);
        topic.publish(for_ann);
        co_return co_await client.read_events(4);
    }());
    const std::vector<std::string> expected{
        "event: for-ann\nid: " + topic_id(topic, 1) + "\ndata: 0",
        "event: for-ann\nid: " + topic_id(topic, 3) + "\ndata: 2",
        "event: for-ann\nid: " + topic_id(topic, 5) + "\ndata: 4",
        "event: for-ann\nid: " + topic_id(topic, 8) + "\ndata: live",
    };
    BOOST_TEST(events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_topic_timer_on_the_server_s_executor_does_not_keep_a_stopped_server_running)
{
    ssekit::Server server;
    // Declared after the server, on its executor; an event in the log keeps
    // the age timer waiting for five minutes.
    ssekit::Topic topic(server.get_executor());
    server.sse("/topic", [&](ServerSSESession& session) { return session.follow(topic); });
    const auto port = server.listen("127.0.0.1", 0).port();
    std::atomic<bool> returned{false};
    std::thread runner([&] {
        server.run(2);
        returned = true;
    });
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::open(port, get_request("/topic"));
        co_await ssekit::test::eventually([&] { return topic.stats().subscribers == 1; });
        const ServerSentEvent event{.data = "kept for five minutes"};
        topic.publish(event);
        co_await client.read_events(1);
    }());

    server.stop();
    const bool stopped = ssekit::test::wait_until([&] { return returned.load(); }, 10s);
    if (!stopped)
        topic.close(); // ends the wait, so the test ends too
    runner.join();
    BOOST_TEST(stopped, "run() returned only after the topic closed");
}

BOOST_AUTO_TEST_SUITE_END()
