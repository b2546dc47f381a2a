// Topics: publish once, every follower gets every event in order; replay
// after Last-Event-ID; slow subscribers handled by policy, never waited for.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

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
    while (topic.stats().subscribers < count)
        co_await ssekit::delay(2ms);
}

// Publishes `count` events with `data`.
void publish_times(ssekit::Topic& topic, int count, const std::string& data)
{
    const ServerSentEvent event{.data = data};
    for (int i = 0; i < count; ++i)
        topic.publish(event);
}

std::vector<std::string> sequence_ids(int first, int last)
{
    std::vector<std::string> ids;
    for (int i = first; i <= last; ++i)
        ids.push_back(std::to_string(i));
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
        if (!event.starts_with("id: " + std::to_string(i + 1) + "\n") || data == std::string::npos ||
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
            const std::string request = get_request("/topic", {"Last-Event-ID: " + std::to_string(last)});
            auto client = co_await HttpClient::open(port, request);
            if (last == 10)
                co_return std::vector<std::string>{};
            auto events = co_await client.read_events(static_cast<std::size_t>(10 - last));
            std::string body;
            for (auto& e : events)
                body += e + "\n\n";
            co_return parse(body).ids;
        }());
        BOOST_TEST(ids == sequence_ids(last + 1, 10), "after id " << last);
    }
}

BOOST_AUTO_TEST_CASE(first_request_may_pass_its_last_id_as_a_query_parameter)
{
    TopicServer s;
    auto port = s.server.start();
    publish_times(*s.topic, 3, "e");
    asio::io_context io;
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        auto client = co_await HttpClient::open(port, get_request("/topic?last_event_id=1"));
        co_return co_await client.read_events(2);
    }());
    BOOST_TEST(events[0] == "id: 2\ndata: e");
    BOOST_TEST(events[1] == "id: 3\ndata: e");
}

BOOST_AUTO_TEST_CASE(an_evicted_id_gets_the_reset_event)
{
    TopicServer s({.replay_count = 5});
    auto port = s.server.start();
    publish_times(*s.topic, 10, "e");
    asio::io_context io;
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        const std::string request = get_request("/topic", {"Last-Event-ID: 2"});
        auto client = co_await HttpClient::open(port, request);
        BOOST_TEST(client.response()["X-SSE-Replay"] == "reset");
        co_return co_await client.read_events(1);
    }());
    BOOST_TEST(events[0] == "event: reset\ndata: 2");
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
        const std::string request = get_request("/topic", {"Last-Event-ID: 50"});
        auto client = co_await HttpClient::open(port, request);
        co_return co_await client.read_events(500);
    }());
    publishing = false;
    std::string body;
    for (auto& e : events)
        body += e + "\n\n";
    auto received = parse(body);
    BOOST_TEST(received.named.empty());
    BOOST_TEST(received.ids == sequence_ids(51, 550));
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
        for (int i = 0; i < total; ++i) {
            const ServerSentEvent event{.data = payload};
            s.topic->publish(event); // never waits, however full the subscriber is
        }
        // Bounded: at most the subscriber's 8 events plus one batch in flight
        // (how much is still queued depends on how much the kernel took).
        co_await ssekit::delay(20ms); // let the last deliveries land on the server thread
        BOOST_TEST(s.topic->stats().bytes_queued <= 2 * 8 * (payload.size() + 64));
        s.topic->close();            // the stream then ends: read it all
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
                              [](const std::string& a, const std::string& b) { return std::stoi(a) < std::stoi(b); }));
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
        while (news.stats().subscribers + weather.stats().subscribers < 2)
            co_await ssekit::delay(2ms);
        const ServerSentEvent headline{.data = "headline", .event = "news"};
        const ServerSentEvent rain{.data = "rain", .event = "weather"};
        news.publish(headline);
        weather.publish(rain);
        co_return co_await client.read_events(2);
    }());
    BOOST_TEST(events[0] == "event: news\nid: 1\ndata: headline");
    BOOST_TEST(events[1] == "event: weather\nid: 1\ndata: rain");
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
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        while (s.topic->stats().subscribers > static_cast<std::size_t>(subscribers / 2))
            co_await ssekit::delay(5ms);
    }());
    BOOST_TEST(s.topic->stats().subscribers == static_cast<std::size_t>(subscribers / 2));
}

BOOST_AUTO_TEST_CASE(a_stalled_subscriber_does_not_delay_the_others)
{
    // Measured, not asserted: a healthy subscriber's time for 200 publish ->
    // receive round trips, without and with a subscriber that never reads.
    const std::string payload(16 * 1024, 'r');
    auto round_trips = [&](bool with_stalled) {
        TopicServer s({.replay_count = 4}, {.max_queued_events = 8});
        auto port = s.server.start();
        asio::io_context io;
        return run_awaitable(io, [&]() -> asio::awaitable<std::chrono::microseconds> {
            std::optional<HttpClient> stalled;
            if (with_stalled)
                stalled.emplace(co_await HttpClient::open(port, get_request("/topic")));
            auto reader = co_await HttpClient::open(port, get_request("/topic"));
            co_await until_subscribed(*s.topic, with_stalled ? 2 : 1);
            auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < 200; ++i) {
                const ServerSentEvent event{.data = payload};
                s.topic->publish(event);
                auto got = co_await reader.read_events(1);
                BOOST_REQUIRE(got[0].starts_with("id: " + std::to_string(i + 1) + "\n"));
            }
            co_return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
        }());
    };
    auto alone = round_trips(false);
    auto beside_stalled = round_trips(true);
    BOOST_TEST_MESSAGE("200 round trips of 16 KiB events: " << alone.count() << " us alone, "
                                                            << beside_stalled.count()
                                                            << " us beside a stalled subscriber");
}

BOOST_AUTO_TEST_CASE(destroying_a_topic_ends_its_followers_cleanly)
{
    TopicServer s;
    auto port = s.server.start(2);
    asio::io_context io;
    auto result = run_awaitable(io, [&]() -> asio::awaitable<ssekit::test::StreamBody> {
        auto client = co_await HttpClient::open(port, get_request("/topic"));
        co_await until_subscribed(*s.topic, 1);
        const ServerSentEvent event{.data = "last"};
        s.topic->publish(event);
        s.topic.reset();
        ssekit::test::StreamBody body;
        body.body = co_await client.read_body_to_end();
        body.complete = client.message_complete();
        co_return body;
    }());
    BOOST_TEST(result.body == "id: 1\ndata: last\n\n");
    BOOST_TEST(result.complete);
}

BOOST_AUTO_TEST_SUITE_END()
