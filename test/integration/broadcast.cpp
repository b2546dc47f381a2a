// Topics: publish once, every follower gets every event in order; replay
// after Last-Event-ID; slow subscribers handled by policy, never waited for.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"
#include "../support/topic_ids.hpp"
#include "../support/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::offset_of;
using ssekit::test::run_awaitable;
using ssekit::test::topic_id;

namespace {

// A server whose /topic follows `topic` with `options`.
struct TopicServer {
    explicit TopicServer(ssekit::TopicOptions topic_options = {}, ssekit::FollowOptions follow = {},
                         ssekit::ServerOptions server_options = {})
        : topic(std::make_unique<ssekit::Topic>(topic_options)), server(std::move(server_options)),
          follow_options(std::move(follow))
    {
        server.server().sse("/topic", [this](ServerSSESession& session) -> asio::awaitable<void> {
            co_await session.follow(*topic, follow_options);
        });
    }

    std::unique_ptr<ssekit::Topic> topic;
    ssekit::test::ThreadedServer server;
    ssekit::FollowOptions follow_options;
};

// The `id:` values of the events in `body`, and the other lines' events by name.
struct Received {
    std::vector<std::string> ids;
    std::vector<std::string> named; // "name:data" of events with an `event:` field
};

Received parse(const std::string& body)
{
    Received received;
    std::size_t start = 0;
    for (auto end = body.find("\n\n"); end != std::string::npos; end = body.find("\n\n", start)) {
        std::string event = body.substr(start, end - start);
        start = end + 2;
        if (event.starts_with("event: ")) {
            auto newline = event.find('\n');
            auto data = event.find("data: ");
            received.named.push_back(event.substr(7, newline - 7) + ":" +
                                     (data == std::string::npos ? "" : event.substr(data + 6)));
            if (auto id = event.find("id: "); id == std::string::npos)
                continue;
        }
        auto id = event.find("id: ");
        if (id != std::string::npos)
            received.ids.push_back(event.substr(id + 4, event.find('\n', id) - id - 4));
    }
    return received;
}

// Waits until `topic` has `count` subscribers.
asio::awaitable<void> until_subscribed(const ssekit::Topic& topic, std::size_t count)
{
    const bool subscribed = co_await ssekit::test::eventually([&] { return topic.stats().subscribers >= count; });
    BOOST_REQUIRE_MESSAGE(subscribed, "the topic never had " << count << " subscribers");
}

// Publishes `count` events with `data`.
void publish_times(ssekit::Topic& topic, int count, const std::string& data)
{
    const ServerSentEvent event{.data = data};
    for (int i = 0; i < count; ++i)
        topic.publish(event);
}

std::vector<std::string> sequence_ids(const ssekit::Topic& topic, int first, int last)
{
    std::vector<std::string> ids;
    for (int i = first; i <= last; ++i)
        ids.push_back(topic_id(topic, i));
    return ids;
}

// True if `client` gets events 1..total in order, each publisher's in its order.
asio::awaitable<bool> receives_all_in_order(HttpClient& client, int total, int publishers)
{
    auto events = co_await client.read_events(static_cast<std::size_t>(total));
    std::vector<int> next(static_cast<std::size_t>(publishers), 0);
    for (int i = 0; i < total; ++i) {
        int p = -1;
        int seq = -1;
        const std::string& event = events[static_cast<std::size_t>(i)];
        auto data = event.find("data: ");
        if (!event.starts_with("id: ") ||
            offset_of(event.substr(4, event.find('\n') - 4)) != static_cast<std::uint64_t>(i + 1) ||
            data == std::string::npos ||
            std::sscanf(event.c_str() + data, "data: %d %d", &p, &seq) != 2 || p < 0 || p >= publishers ||
            seq != next[static_cast<std::size_t>(p)]++)
            co_return false;
    }
    co_return true;
}

// 1000 subscribers, 1000 events from 4 publisher threads, on `threads` server threads.
void every_subscriber_gets_every_event_in_order(std::size_t threads)
{
    constexpr int subscribers = 1000;
    constexpr int publishers = 4;
    constexpr int per_publisher = 250;
    TopicServer s({.replay_count = 16}, {.max_queued_events = 2048},
                  ssekit::ServerOptions{.max_connections = 2000});
    auto port = s.server.start(threads);

    asio::io_context io;
    std::vector<std::unique_ptr<HttpClient>> clients;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < subscribers; ++i)
            clients.push_back(std::make_unique<HttpClient>(co_await HttpClient::open(port, get_request("/topic"))));
        co_await until_subscribed(*s.topic, subscribers);
    }());

    std::vector<std::jthread> publishing;
    for (int p = 0; p < publishers; ++p)
        publishing.emplace_back([&s, p] {
            for (int seq = 0; seq < per_publisher; ++seq) {
                const ServerSentEvent event{.data = std::to_string(p) + " " + std::to_string(seq)};
                s.topic->publish(event);
            }
        });
    publishing.clear(); // joins

    const int total = publishers * per_publisher;
    std::atomic<int> complete{0};
    int done = 0;
    for (auto& client : clients)
        asio::co_spawn(io, receives_all_in_order(*client, total, publishers), [&](std::exception_ptr error, bool ok) {
            complete += (!error && ok) ? 1 : 0;
            ++done;
        });
    auto deadline = std::chrono::steady_clock::now() + 60s;
    io.restart(); // run_awaitable above may have left it stopped
    while (done < subscribers && std::chrono::steady_clock::now() < deadline)
        io.run_one_until(deadline);
    BOOST_TEST(complete.load() == subscribers);
    BOOST_TEST(s.topic->stats().published == static_cast<std::uint64_t>(total));
    BOOST_TEST(s.topic->stats().dropped == 0u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(broadcast)

BOOST_AUTO_TEST_CASE(thousand_subscribers_each_receive_all_thousand_events_in_order_on_one_thread)
{
    every_subscriber_gets_every_event_in_order(1);
}

BOOST_AUTO_TEST_CASE(thousand_subscribers_each_receive_all_thousand_events_in_order_on_four_threads)
{
    every_subscriber_gets_every_event_in_order(4);
}

BOOST_AUTO_TEST_CASE(reconnecting_with_each_buffered_id_replays_exactly_the_rest)
{
    TopicServer s({.replay_count = 64});
    auto port = s.server.start();
    for (int i = 0; i < 10; ++i) {
        const ServerSentEvent event{.data = "e" + std::to_string(i)};
        s.topic->publish(event);
    }
    for (int last = 1; last <= 10; ++last) {
        asio::io_context io;
        auto ids = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
            const std::string request = get_request("/topic", {"Last-Event-ID: " + topic_id(*s.topic, last)});
            auto client = co_await HttpClient::open(port, request);
            if (last == 10)
                co_return std::vector<std::string>{};
            auto events = co_await client.read_events(static_cast<std::size_t>(10 - last));
            std::string body;
            for (auto& e : events)
                body += e + "\n\n";
            co_return parse(body).ids;
        }());
        BOOST_TEST(ids == sequence_ids(*s.topic, last + 1, 10), "after id " << last);
    }
}

BOOST_AUTO_TEST_CASE(first_request_may_pass_its_last_id_as_a_query_parameter)
{
    TopicServer s;
    auto port = s.server.start();
    publish_times(*s.topic, 3, "e");
    asio::io_context io;
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        auto client = co_await HttpClient::open(port, get_request("/topic?last_event_id=" + topic_id(*s.topic, 1)));
        co_return co_await client.read_events(2);
    }());
    BOOST_TEST(events[0] == "id: " + topic_id(*s.topic, 2) + "\ndata: e");
    BOOST_TEST(events[1] == "id: " + topic_id(*s.topic, 3) + "\ndata: e");
}

BOOST_AUTO_TEST_CASE(an_evicted_id_gets_the_reset_event_then_everything_the_log_holds)
{
    TopicServer s({.replay_count = 5});
    auto port = s.server.start();
    publish_times(*s.topic, 10, "e");
    const std::string evicted = topic_id(*s.topic, 2);
    asio::io_context io;
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        const std::string request = get_request("/topic", {"Last-Event-ID: " + evicted});
        auto client = co_await HttpClient::open(port, request);
        BOOST_TEST(client.response()["X-SSE-Replay"] == "reset");
        co_return co_await client.read_events(6);
    }());
    BOOST_TEST(events[0] == "event: reset\ndata: " + evicted);
    for (int offset = 6; offset <= 10; ++offset)
        BOOST_TEST(events[static_cast<std::size_t>(offset - 5)] == "id: " + topic_id(*s.topic, offset) + "\ndata: e");
    BOOST_TEST(s.topic->stats().resets == 1u);
}

BOOST_AUTO_TEST_CASE(a_publish_with_an_id_no_client_can_send_back_throws_invalid_field_and_publishes_nothing)
{
    TopicServer s;
    auto port = s.server.start();
    // Each would come back as Last-Event-ID changed (trimmed, U+FFFD) or not
    // at all (a header cannot carry it), so that client could never resume.
    const std::vector<std::string> unsendable{
        " 1", "1 ", "1\t", "1\r", "1\n", std::string("1\0", 2), "1\x01", "\xC0\xAF", "\xED\xA0\x80", "caf\xC3",
    };
    asio::io_context io;
    auto [live, resumed] =
        run_awaitable(io, [&]() -> asio::awaitable<std::pair<std::vector<std::string>, std::vector<std::string>>> {
            auto follower = co_await HttpClient::open(port, get_request("/topic"));
            co_await until_subscribed(*s.topic, 1);
            const ServerSentEvent one{.data = "one"};
            s.topic->publish(one);
            const ssekit::TopicStats before = s.topic->stats();
            for (const std::string& id : unsendable) {
                const ServerSentEvent bad{.data = "bad", .id = id};
                try {
                    s.topic->publish(bad);
                    BOOST_ERROR("publish took an id no client can send back, " << id.size() << " bytes");
                } catch (const boost::system::system_error& e) {
                    BOOST_TEST(e.code() == make_error_code(ssekit::error::invalid_field));
                    BOOST_TEST(std::string_view(e.what()).find("'id'") != std::string_view::npos);
                }
            }
            const ssekit::TopicStats after = s.topic->stats();
            BOOST_TEST(after.published == before.published);
            BOOST_TEST(after.replay_buffered == before.replay_buffered);

            // The refused publishes took no sequence number: no gap.
            const ServerSentEvent two{.data = "two"};
            BOOST_TEST(s.topic->publish(two) == topic_id(*s.topic, 2));
            auto live_events = co_await follower.read_events(2);
            // Nor did they reach the replay buffer.
            const std::string resume = get_request("/topic", {"Last-Event-ID: " + topic_id(*s.topic, 1)});
            auto resuming = co_await HttpClient::open(port, resume);
            co_await until_subscribed(*s.topic, 2);
            const ServerSentEvent three{.data = "three"};
            s.topic->publish(three);
            auto resumed_events = co_await resuming.read_events(2);
            co_return std::make_pair(std::move(live_events), std::move(resumed_events));
        }());
    const auto id_line = [&](int offset) { return "id: " + topic_id(*s.topic, offset); };
    BOOST_TEST(live == (std::vector<std::string>{id_line(1) + "\ndata: one", id_line(2) + "\ndata: two"}),
               boost::test_tools::per_element());
    BOOST_TEST(resumed == (std::vector<std::string>{id_line(2) + "\ndata: two", id_line(3) + "\ndata: three"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(catch_up_while_publishing_has_no_gap_and_no_duplicate)
{
    // Bounds large enough that nothing is dropped: this is about the seam
    // between replay and live events.
    TopicServer s({.replay_count = 100000}, {.max_queued_events = 100000},
                  ssekit::ServerOptions{.max_queued_bytes = 64 * 1024 * 1024});
    auto port = s.server.start(2);
    publish_times(*s.topic, 100, "before");
    std::atomic<bool> publishing{true};
    std::jthread publisher([&] {
        for (int i = 0; publishing && i < 5000; ++i) {
            const ServerSentEvent event{.data = "during"};
            s.topic->publish(event);
        }
    });
    asio::io_context io;
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        const std::string request = get_request("/topic", {"Last-Event-ID: " + topic_id(*s.topic, 50)});
        auto client = co_await HttpClient::open(port, request);
        co_return co_await client.read_events(500);
    }());
    publishing = false;
    std::string body;
    for (auto& e : events)
        body += e + "\n\n";
    auto received = parse(body);
    BOOST_TEST(received.named.empty());
    BOOST_TEST(received.ids == sequence_ids(*s.topic, 51, 550));
}

BOOST_AUTO_TEST_CASE(stalled_subscriber_is_dropped_oldest_first_and_told_how_many)
{
    // 64 KiB events: the kernel's socket buffers fill after a few dozen,
    // then the subscriber's own queue (8 events) overflows.
    TopicServer s({.replay_count = 4}, {.max_queued_events = 8});
    auto port = s.server.start();
    constexpr int total = 400;
    const std::string payload(64 * 1024, 'p');
    asio::io_context io;
    auto body = run_awaitable(io, [&]() -> asio::awaitable<std::string> {
        auto stalled = co_await HttpClient::open(port, get_request("/topic"));
        co_await until_subscribed(*s.topic, 1);
        // Bounded at every moment: at most the subscriber's 8 events plus one
        // batch in flight (how much is still queued depends on how much the
        // kernel took).
        std::size_t most_queued = 0;
        auto sample = [&] { most_queued = std::max(most_queued, s.topic->stats().bytes_queued); };
        for (int i = 0; i < total; ++i) {
            const ServerSentEvent event{.data = payload};
            s.topic->publish(event); // never waits, however full the subscriber is
            sample();
        }
        // Once the queue has overflowed it stays at its fullest: sample there too.
        const bool overflowed = co_await ssekit::test::eventually([&] {
            sample();
            return s.topic->stats().dropped > 0;
        });
        BOOST_TEST(overflowed);
        sample();
        BOOST_TEST(most_queued <= 2 * 8 * (payload.size() + 64));
        s.topic->close(); // the stream then ends: read it all
        co_return co_await stalled.read_body_to_end();
    }());
    auto received = parse(body);
    std::size_t reported = 0;
    for (const auto& named : received.named) {
        BOOST_REQUIRE(named.starts_with("dropped:"));
        reported += std::stoul(named.substr(8));
    }
    auto stats = s.topic->stats();
    BOOST_TEST(stats.dropped > 0u);
    BOOST_TEST(reported == stats.dropped);
    BOOST_TEST(received.ids.size() + reported == static_cast<std::size_t>(total));
    // What did arrive is in order.
    BOOST_TEST(std::is_sorted(received.ids.begin(), received.ids.end(),
                              [](const std::string& a, const std::string& b) { return offset_of(a) < offset_of(b); }));
}

BOOST_AUTO_TEST_CASE(stalled_subscriber_under_disconnect_policy_is_closed_and_others_get_everything)
{
    TopicServer s({.replay_count = 4}, {.policy = ssekit::SlowSubscriberPolicy::disconnect, .max_queued_events = 8});
    auto port = s.server.start();
    constexpr int total = 300;
    const std::string payload(64 * 1024, 'q');
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto stalled = co_await HttpClient::open(port, get_request("/topic"));
        auto reader = co_await HttpClient::open(port, get_request("/topic"));
        co_await until_subscribed(*s.topic, 2);
        int received = 0;
        for (int i = 0; i < total; ++i) {
            const ServerSentEvent event{.data = payload};
            s.topic->publish(event);
            // The healthy subscriber keeps up, one event at a time.
            received += static_cast<int>((co_await reader.read_events(1)).size());
        }
        BOOST_TEST(received == total);
        BOOST_TEST(s.topic->stats().disconnected == 1u);
        BOOST_TEST(s.topic->stats().subscribers == 1u);
        co_await stalled.read_body_to_end(); // ends: the server closed it
        BOOST_TEST(!stalled.message_complete()); // dropped, not a clean end: the browser reconnects
    }());
}

BOOST_AUTO_TEST_CASE(one_connection_follows_several_topics)
{
    ssekit::Topic news;
    ssekit::Topic weather;
    ssekit::test::ThreadedServer server;
    server.server().sse("/both", [&](ServerSSESession& session) -> asio::awaitable<void> {
        auto ex = session.get_executor();
        co_await asio::experimental::make_parallel_group(asio::co_spawn(ex, session.follow(news), asio::deferred),
                                                         asio::co_spawn(ex, session.follow(weather), asio::deferred))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    });
    auto port = server.start();
    asio::io_context io;
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        auto client = co_await HttpClient::open(port, get_request("/both"));
        const bool following_both = co_await ssekit::test::eventually(
            [&] { return news.stats().subscribers + weather.stats().subscribers == 2; });
        BOOST_REQUIRE(following_both);
        const ServerSentEvent headline{.data = "headline", .event = "news"};
        const ServerSentEvent rain{.data = "rain", .event = "weather"};
        news.publish(headline);
        weather.publish(rain);
        co_return co_await client.read_events(2);
    }());
    BOOST_TEST(events[0] == "event: news\nid: " + topic_id(news, 1) + "\ndata: headline");
    BOOST_TEST(events[1] == "event: weather\nid: " + topic_id(weather, 1) + "\ndata: rain");
}

BOOST_AUTO_TEST_CASE(subscribers_leaving_mid_publish_leave_the_others_whole)
{
    constexpr int subscribers = 100;
    constexpr int total = 2000;
    TopicServer s({.replay_count = 16}, {.max_queued_events = 4096},
                  ssekit::ServerOptions{.max_queued_bytes = 16 * 1024 * 1024});
    auto port = s.server.start(2);
    asio::io_context io;
    std::vector<std::unique_ptr<HttpClient>> clients;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < subscribers; ++i)
            clients.push_back(std::make_unique<HttpClient>(co_await HttpClient::open(port, get_request("/topic"))));
        co_await until_subscribed(*s.topic, subscribers);
    }());

    std::jthread publisher([&] {
        for (int i = 0; i < total; ++i) {
            const ServerSentEvent event{.data = "0 " + std::to_string(i)};
            s.topic->publish(event);
        }
    });
    // Half of them read a little and hang up while the publisher runs.
    std::atomic<int> whole{0};
    int done = 0;
    for (int i = 0; i < subscribers; ++i) {
        HttpClient& client = *clients[static_cast<std::size_t>(i)];
        if (i % 2 == 0) {
            asio::co_spawn(io, client.read_events(static_cast<std::size_t>(i + 1)),
                           [&](std::exception_ptr, std::vector<std::string>) {
                               client.close();
                               ++done;
                           });
        } else {
            asio::co_spawn(io, receives_all_in_order(client, total, 1), [&](std::exception_ptr error, bool ok) {
                whole += (!error && ok) ? 1 : 0;
                ++done;
            });
        }
    }
    auto deadline = std::chrono::steady_clock::now() + 60s;
    io.restart();
    while (done < subscribers && std::chrono::steady_clock::now() < deadline)
        io.run_one_until(deadline);
    publisher.join();
    BOOST_TEST(whole.load() == subscribers / 2);
    BOOST_TEST(ssekit::test::wait_until(
        [&] { return s.topic->stats().subscribers <= static_cast<std::size_t>(subscribers / 2); }));
    BOOST_TEST(s.topic->stats().subscribers == static_cast<std::size_t>(subscribers / 2));
}

BOOST_AUTO_TEST_CASE(a_stalled_subscriber_does_not_delay_the_others)
{
    // On one server thread, a subscriber that never reads beside one that
    // reads each event as it is published. 300 events of 64 KiB are far more
    // than the kernel's socket buffers take for the stalled one, so its queue
    // overflows; the byte bound (not the count) is what holds it.
    constexpr int total = 300;
    const std::string payload(64 * 1024, 'r');
    const std::size_t one_event = payload.size() + 64; // with its id and field names
    const ssekit::ServerOptions options{.max_queued_bytes = 256 * 1024};
    TopicServer s({.replay_count = 4}, {.max_queued_events = 4096}, options);
    auto port = s.server.start();
    std::size_t most_queued = 0;
    asio::io_context io;
    const auto start = std::chrono::steady_clock::now();
    // The deadline is generous (a loaded 2-core CI, sanitizers): a healthy
    // subscriber held back by the stalled one would not get there at all.
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto stalled = co_await HttpClient::open(port, get_request("/topic"));
            auto reader = co_await HttpClient::open(port, get_request("/topic"));
            co_await until_subscribed(*s.topic, 2);
            for (int i = 0; i < total; ++i) {
                const ServerSentEvent event{.data = payload};
                s.topic->publish(event);
                auto got = co_await reader.read_events(1);
                BOOST_REQUIRE(got[0] == "id: " + topic_id(*s.topic, i + 1) + "\ndata: " + payload);
                most_queued = std::max(most_queued, s.topic->stats().bytes_queued);
            }
        }(),
        30s);
    BOOST_TEST_MESSAGE(total << " round trips of 64 KiB events beside a stalled subscriber: "
                             << std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count()
                             << " ms; at most " << most_queued << " bytes queued");
    // The stall was real: the stalled subscriber's queue overflowed.
    BOOST_TEST(s.topic->stats().dropped > 0u);
    // The stalled subscriber holds at most its byte bound plus the event that
    // found it full; the healthy one at most the event just read, until the
    // server sees its write complete.
    BOOST_TEST(most_queued <= options.max_queued_bytes + 2 * one_event);
}

BOOST_AUTO_TEST_CASE(destroying_a_topic_ends_its_followers_cleanly)
{
    TopicServer s;
    auto port = s.server.start(2);
    asio::io_context io;
    std::string last_id;
    auto result = run_awaitable(io, [&]() -> asio::awaitable<ssekit::test::StreamBody> {
        auto client = co_await HttpClient::open(port, get_request("/topic"));
        co_await until_subscribed(*s.topic, 1);
        const ServerSentEvent event{.data = "last"};
        last_id = s.topic->publish(event);
        s.topic.reset();
        ssekit::test::StreamBody body;
        body.body = co_await client.read_body_to_end();
        body.complete = client.message_complete();
        co_return body;
    }());
    BOOST_TEST(result.body == "id: " + last_id + "\ndata: last\n\n");
    BOOST_TEST(result.complete);
}

// The resident memory of this process, in bytes.
std::size_t resident_bytes()
{
    std::ifstream statm("/proc/self/statm");
    std::size_t total_pages = 0;
    std::size_t resident_pages = 0;
    statm >> total_pages >> resident_pages;
    return resident_pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

BOOST_AUTO_TEST_CASE(a_server_thread_far_behind_a_topic_holds_a_bounded_backlog_and_reports_the_skipped_as_dropped)
{
    // 100,000 events of 1 KiB published while the server's only thread is
    // blocked: before, the thread's backlog kept them all (about 200 MB with
    // their encodings); now it keeps the newest 4,096 and the subscriber
    // counts the rest as dropped.
    constexpr int total = 100'000;
    TopicServer s({.replay_count = 16});
    std::promise<void> blocked;
    std::promise<void> release;
    auto released = release.get_future().share();
    s.server.server().get("/block", [&](const ssekit::Request&) {
        blocked.set_value();
        released.wait(); // holds the server's only thread, as a blocking handler would
        return ssekit::Response::text("released");
    });
    auto port = s.server.start(1);

    std::size_t growth = 0;
    asio::io_context io;
    auto body = run_awaitable(io, [&]() -> asio::awaitable<std::string> {
        auto subscriber = co_await HttpClient::open(port, get_request("/topic"));
        co_await until_subscribed(*s.topic, 1);
        std::jthread blocker([port] {
            asio::io_context blocker_io;
            run_awaitable(blocker_io, [port]() -> asio::awaitable<void> {
                co_await ssekit::test::fetch(port, get_request("/block"));
            }());
        });
        BOOST_REQUIRE(blocked.get_future().wait_for(10s) == std::future_status::ready);
        const ServerSentEvent event{.data = std::string(1024, 'x')};
        const std::size_t before = resident_bytes();
        for (int i = 0; i < total; ++i)
            s.topic->publish(event); // never waits, however far behind the thread is
        const std::size_t after = resident_bytes();
        growth = after > before ? after - before : 0;
        release.set_value();
        s.topic->close(); // the stream then ends: read it all
        co_return co_await subscriber.read_body_to_end();
    }(), 60s);
    auto received = parse(body);
    std::size_t reported = 0;
    for (const auto& named : received.named) {
        BOOST_REQUIRE(named.starts_with("dropped:"));
        reported += std::stoul(named.substr(8));
    }
    BOOST_TEST(received.ids.size() + reported == static_cast<std::size_t>(total));
    BOOST_TEST(s.topic->stats().dropped == reported);
    BOOST_TEST(received.ids.back() == topic_id(*s.topic, total)); // the newest are the ones kept
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    // (A sanitizer's allocator keeps freed memory for a while: there the
    // figure says nothing.)
    BOOST_TEST_MESSAGE("resident memory grew by " << growth << " bytes while publishing");
    BOOST_TEST(growth < 48u * 1024 * 1024);
#endif
}

BOOST_AUTO_TEST_SUITE_END()
