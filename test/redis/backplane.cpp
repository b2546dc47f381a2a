// Topics shared by two ssekit servers through one redis-server: each server
// is a real Server with its own RedisBackplane, clients are real HTTP
// clients, and Redis is a redis-server this test starts and stops.

#include "redis_fixture.hpp"

#include "../support/http_client.hpp"
#include "../support/threaded_server.hpp"
#include "../support/topic_ids.hpp"
#include "../support/wait.hpp"

#include <ssekit/error.hpp>
#include <ssekit/redis_backplane.hpp>
#include <ssekit/server.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using ssekit::RedisBackplane;
using ssekit::RedisBackplaneOptions;
using ssekit::ServerSentEvent;
using ssekit::test::eventually;
using ssekit::test::get_request;
using ssekit::test::HttpClient;

namespace {

/// One server of a cluster: `/sub/{topic}` follows the shared topic.
class Node {
public:
    Node(std::uint16_t redis_port, RedisBackplaneOptions options = {})
    {
        options.port = redis_port;
        backplane_.emplace(server_.server().get_executor(), options);
        server_.server().sse("/sub/{topic}", [this](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
            auto topic = co_await backplane_->topic(*session.call().path_param("topic"));
            co_await session.follow(*topic);
        });
        port_ = server_.start();
    }
    ~Node() { backplane_.reset(); }

    RedisBackplane& backplane() { return *backplane_; }
    std::uint16_t port() const noexcept { return port_; }

    asio::awaitable<std::string> publish(std::string_view topic, std::string data)
    {
        const ServerSentEvent event{.data = std::move(data)};
        co_return co_await backplane_->publish(topic, event);
    }

private:
    ssekit::test::ThreadedServer server_;
    std::optional<RedisBackplane> backplane_;
    std::uint16_t port_ = 0;
};

std::string event_text(const std::string& id, const std::string& data) { return "id: " + id + "\ndata: " + data; }

std::string epoch_of(const std::string& id) { return id.substr(0, id.rfind('-')); }

/// Three servers sharing one Redis, all ready when a test starts.
struct Cluster {
    Cluster(std::uint16_t redis_port, RedisBackplaneOptions options = {})
        : a(redis_port, options), b(redis_port, options), c(redis_port, options)
    {
    }

    asio::awaitable<void> become_ready()
    {
        BOOST_REQUIRE(co_await eventually(
            [&] { return a.backplane().ready() && b.backplane().ready() && c.backplane().ready(); }, 10s));
    }

    Node a;
    Node b;
    Node c;
};

/// Options that notice a Redis restart and reconnect within a few hundred ms.
RedisBackplaneOptions quick_recovery()
{
    RedisBackplaneOptions options;
    options.check_interval = 100ms;
    options.reconnect_delay_max = 200ms;
    return options;
}

/// What a publish on `node` fails with; none if it succeeds.
asio::awaitable<boost::system::error_code> publish_failure(RedisBackplane& backplane, std::string data)
{
    const ServerSentEvent event{.data = std::move(data)};
    try {
        co_await backplane.publish("news", event);
    } catch (const boost::system::system_error& e) {
        co_return e.code();
    }
    co_return boost::system::error_code();
}

/// A follower of `topic` on `node`, its head read.
asio::awaitable<HttpClient> follow(Node& node, std::string_view topic, std::vector<std::string> headers = {})
{
    co_return co_await HttpClient::open(node.port(), get_request("/sub/" + std::string(topic), headers));
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_backplane, ssekit::test::RedisFixture)

BOOST_AUTO_TEST_CASE(a_publish_on_one_server_reaches_the_followers_of_every_server)
{
    Cluster cluster(server.port());
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        HttpClient on_a = co_await follow(a, "news");
        HttpClient on_b = co_await follow(b, "news");
        HttpClient on_c = co_await follow(c, "news");

        const std::string id = co_await a.publish("news", "one");
        BOOST_TEST(ssekit::test::offset_of(id) == 1u);
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(id, "one"));
        BOOST_TEST((co_await on_c.read_events(1))[0] == event_text(id, "one"));
        BOOST_TEST((co_await on_a.read_events(1))[0] == event_text(id, "one"));

        // This server's copy only follows: its events are ordered in Redis.
        std::shared_ptr<ssekit::Topic> copy = co_await b.backplane().topic("news");
        BOOST_CHECK_EXCEPTION(copy->publish(ServerSentEvent{.data = "local"}), boost::system::system_error,
                              [](const boost::system::system_error& e) {
                                  return e.code() == ssekit::error::published_elsewhere;
                              });
        BOOST_TEST(copy->stats().last_offset == 1u);

        const std::string second = co_await b.publish("news", "two");
        BOOST_TEST(second == epoch_of(id) + "-2");
        BOOST_TEST((co_await on_a.read_events(1))[0] == event_text(second, "two"));
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(second, "two"));
        BOOST_TEST((co_await on_c.read_events(1))[0] == event_text(second, "two"));
    }());
}

BOOST_AUTO_TEST_CASE(stats_count_the_topics_followed_on_this_server_and_every_server_s_publishes)
{
    Cluster cluster(server.port());
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        HttpClient on_a = co_await follow(a, "news");
        co_await b.publish("news", "one");
        co_await c.publish("news", "two");
        co_await on_a.read_events(2);

        const auto followed_on_a = co_await a.backplane().stats();
        BOOST_REQUIRE(followed_on_a.size() == 1u);
        const ssekit::TopicStats& news = followed_on_a.at("news");
        BOOST_TEST(news.subscribers == 1u);
        BOOST_TEST(news.published == 2u);
        BOOST_TEST(news.replay_buffered == 2u);
        BOOST_TEST((co_await b.backplane().stats()).empty()); // publishes only: follows nothing
    }());
}

BOOST_AUTO_TEST_CASE(a_client_resumes_on_another_server_with_no_gap_and_no_duplicate)
{
    Cluster cluster(server.port());
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        std::vector<std::string> ids;
        {
            HttpClient on_a = co_await follow(a, "news");
            for (const char* data : {"one", "two"})
                ids.push_back(co_await a.publish("news", data));
            auto seen = co_await on_a.read_events(2);
            BOOST_TEST(seen[1] == event_text(ids[1], "two"));
        } // the client goes away having seen "two"
        for (std::string data : std::vector<std::string>{"three", "four"})
            ids.push_back(co_await a.publish("news", data));

        // Server B has never followed "news": it loads the log from Redis.
        std::vector<std::string> resume{"Last-Event-ID: " + ids[1]};
        HttpClient on_b = co_await follow(b, "news", resume);
        auto missed = co_await on_b.read_events(2);
        BOOST_TEST(missed[0] == event_text(ids[2], "three"));
        BOOST_TEST(missed[1] == event_text(ids[3], "four"));
        ids.push_back(co_await a.publish("news", "five"));
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(ids[4], "five"));
    }());
}

BOOST_AUTO_TEST_CASE(publishers_on_three_servers_get_consecutive_offsets_in_one_order_everywhere)
{
    constexpr int per_server = 100;
    Cluster cluster(server.port());
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        HttpClient on_a = co_await follow(a, "race");
        HttpClient on_b = co_await follow(b, "race");
        HttpClient on_c = co_await follow(c, "race");
        auto publish_many = [](Node& node, std::string name) -> asio::awaitable<void> {
            for (int i = 0; i < per_server; ++i)
                co_await node.publish("race", name + std::to_string(i));
        };
        co_await (publish_many(a, std::string("a")) && publish_many(b, std::string("b")) &&
                  publish_many(c, std::string("c")));

        auto seen_a = co_await on_a.read_events(3 * per_server);
        auto seen_b = co_await on_b.read_events(3 * per_server);
        auto seen_c = co_await on_c.read_events(3 * per_server);
        BOOST_TEST(seen_a == seen_b);
        BOOST_TEST(seen_a == seen_c);
        std::string epoch;
        for (std::size_t i = 0; i < seen_a.size(); ++i) {
            const std::string id = seen_a[i].substr(4, seen_a[i].find('\n') - 4);
            if (epoch.empty())
                epoch = epoch_of(id);
            BOOST_TEST(id == epoch + "-" + std::to_string(i + 1));
        }
    }());
}

BOOST_AUTO_TEST_CASE(an_event_whose_message_was_lost_is_caught_up_from_the_stream)
{
    RedisBackplaneOptions options;
    options.check_interval = 100ms;
    Cluster cluster(server.port(), options);
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        HttpClient on_b = co_await follow(b, "news");
        const std::string first = co_await a.publish("news", "one");
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(first, "one"));

        // What the publish script does, but for PUBLISH: the message is lost.
        ssekit::detail::RedisConnection redis(co_await asio::this_coro::executor);
        co_await redis.connect("127.0.0.1", server.port());
        auto append_silently = [&](std::uint64_t offset, std::string data) -> asio::awaitable<std::string> {
            const std::string id = epoch_of(first) + "-" + std::to_string(offset);
            co_await redis.command("HINCRBY", "ssekit:{news}:meta", "offset", "1");
            co_await redis.command("XADD", "ssekit:{news}:log", std::to_string(offset) + "-0", "e",
                                   "id: " + id + "\ndata: " + data + "\n\n", "t", "0");
            co_return id;
        };
        const std::string lost = co_await append_silently(2, "lost");
        // The next message shows the gap: the lost event comes first.
        const std::string third = co_await a.publish("news", "three");
        auto next = co_await on_b.read_events(2);
        BOOST_TEST(next[0] == event_text(lost, "lost"));
        BOOST_TEST(next[1] == event_text(third, "three"));

        // A lost last message: the periodic check of the topic's top finds it.
        const std::string last = co_await append_silently(4, "lost last");
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(last, "lost last"));
    }());
}

BOOST_AUTO_TEST_CASE(an_id_the_log_no_longer_holds_gets_reset_on_any_server)
{
    RedisBackplaneOptions options;
    options.topic_options.replay_count = 3;
    Cluster cluster(server.port(), options);
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        std::vector<std::string> ids;
        for (int i = 1; i <= 6; ++i)
            ids.push_back(co_await a.publish("news", "event " + std::to_string(i)));

        std::vector<std::string> resume{"Last-Event-ID: " + ids[0]};
        HttpClient on_b = co_await follow(b, "news", resume);
        BOOST_TEST(on_b.response()["X-SSE-Replay"] == "reset");
        auto replay = co_await on_b.read_events(4);
        BOOST_TEST(replay[0] == "event: reset\ndata: " + ids[0]);
        BOOST_TEST(replay[1] == event_text(ids[3], "event 4"));
        BOOST_TEST(replay[3] == event_text(ids[5], "event 6"));

        // An id of another epoch (another Redis, a topic Redis forgot).
        std::vector<std::string> foreign{"Last-Event-ID: 0000000-2"};
        HttpClient stranger = co_await follow(a, "news", foreign);
        BOOST_TEST(stranger.response()["X-SSE-Replay"] == "reset");
    }());
}

BOOST_AUTO_TEST_CASE(a_redis_restarted_without_its_data_means_a_new_epoch_and_a_reset_never_reused_ids)
{
    Cluster cluster(server.port(), quick_recovery());
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        HttpClient on_b = co_await follow(b, "news");
        const std::string before = co_await a.publish("news", "before");
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(before, "before"));

        server.stop();
        BOOST_TEST(co_await eventually([&] { return !a.backplane().ready() && !b.backplane().ready(); }, 5s));
        BOOST_TEST(co_await publish_failure(a.backplane(), "lost") ==
                   make_error_code(ssekit::redis_error::not_connected));

        server.restart(); // empty: the test's redis-server keeps nothing on disk
        co_await cluster.become_ready();
        const std::string after = co_await a.publish("news", "after");
        BOOST_TEST(epoch_of(after) != epoch_of(before));
        BOOST_TEST(ssekit::test::offset_of(after) == 1u);
        // The follower of the old epoch is ended: its client reconnects...
        BOOST_TEST(co_await on_b.wait_closed());
        // ...and learns that what came before may be missing.
        std::vector<std::string> resume{"Last-Event-ID: " + before};
        HttpClient again = co_await follow(b, "news", resume);
        auto replay = co_await again.read_events(2);
        BOOST_TEST(replay[0] == "event: reset\ndata: " + before);
        BOOST_TEST(replay[1] == event_text(after, "after"));
    }());
}

BOOST_AUTO_TEST_CASE(a_redis_restarted_with_its_data_keeps_the_epoch_and_followers_lose_and_repeat_nothing)
{
    Cluster cluster(server.port(), quick_recovery());
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        HttpClient on_b = co_await follow(b, "news");
        std::vector<std::string> ids;
        std::vector<std::string> events;
        auto publish = [&](std::string data) -> asio::awaitable<void> {
            ids.push_back(co_await a.publish("news", data));
            events.push_back(event_text(ids.back(), data));
        };
        for (int i = 0; i < 3; ++i)
            co_await publish("before " + std::to_string(i));
        BOOST_TEST(co_await on_b.read_events(3) == events);

        {
            ssekit::detail::RedisConnection admin(co_await asio::this_coro::executor);
            co_await admin.connect("127.0.0.1", server.port());
            BOOST_REQUIRE((co_await admin.command("SAVE")).is_status());
        }
        server.kill(); // dump.rdb stays in the server's directory
        BOOST_TEST(co_await eventually([&] { return !a.backplane().ready() && !b.backplane().ready(); }, 5s));
        server.restart(); // and is loaded
        co_await cluster.become_ready();

        for (int i = 0; i < 3; ++i)
            co_await publish("after " + std::to_string(i));
        BOOST_TEST(epoch_of(ids[3]) == epoch_of(ids[0]));
        BOOST_TEST(ssekit::test::offset_of(ids[3]) == 4u);
        // The same follower, never closed: the new events follow the old
        // ones with no reset and no repeat in between.
        BOOST_TEST(co_await on_b.read_events(3) == std::vector<std::string>(events.begin() + 3, events.end()));
        // A client resuming after the first event, on the third server.
        std::vector<std::string> resume{"Last-Event-ID: " + ids[0]};
        HttpClient on_c = co_await follow(c, "news", resume);
        BOOST_TEST(co_await on_c.read_events(5) == std::vector<std::string>(events.begin() + 1, events.end()));
    }());
}

BOOST_AUTO_TEST_CASE(a_server_unsubscribes_from_a_topic_once_nobody_follows_it_there)
{
    RedisBackplaneOptions options;
    options.check_interval = 100ms;
    Cluster cluster(server.port(), options);
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        ssekit::detail::RedisConnection redis(co_await asio::this_coro::executor);
        co_await redis.connect("127.0.0.1", server.port());
        // Subscriptions to the topic's channel, one per server that follows it.
        auto channels = [&]() -> asio::awaitable<long long> {
            co_return (co_await redis.command("PUBSUB", "NUMSUB", "ssekit:t:news")).elements().at(1).integer();
        };
        {
            HttpClient on_b = co_await follow(b, "news");
            HttpClient on_c = co_await follow(c, "news");
            BOOST_TEST(co_await channels() == 2); // one per server, not per client
        } // both clients leave
        BOOST_TEST(co_await ssekit::test::eventually_async(
            [&]() -> asio::awaitable<bool> { co_return co_await channels() == 0; }, 5s, 20ms));
    }());
}

BOOST_AUTO_TEST_CASE(a_paused_redis_makes_publishes_time_out_and_the_backplane_not_ready_until_it_resumes)
{
    RedisBackplaneOptions options;
    options.check_interval = 100ms;
    options.publish_timeout = 300ms;
    Cluster cluster(server.port(), options);
    [[maybe_unused]] auto& [a, b, c] = cluster;
    run([&]() -> asio::awaitable<void> {
        co_await cluster.become_ready();
        HttpClient on_b = co_await follow(b, "news");
        const std::string first = co_await a.publish("news", "before");
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(first, "before"));

        BOOST_REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
        // Connected, yet not delivering: the probe tells.
        BOOST_TEST(co_await eventually([&] { return !a.backplane().ready() && !b.backplane().ready(); }, 5s));
        const auto started = std::chrono::steady_clock::now();
        BOOST_TEST(co_await publish_failure(a.backplane(), "while paused") == asio::error::timed_out);
        BOOST_TEST((std::chrono::steady_clock::now() - started < 2s));

        BOOST_REQUIRE(::kill(server.pid(), SIGCONT) == 0);
        co_await cluster.become_ready();
        // The publish that timed out had reached Redis: it runs now. A
        // timeout says "unknown", not "not published".
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(epoch_of(first) + "-2", "while paused"));
        const std::string after = co_await a.publish("news", "after");
        BOOST_TEST((co_await on_b.read_events(1))[0] == event_text(after, "after"));
    }());
}

BOOST_AUTO_TEST_CASE(without_redis_a_publish_fails_at_once_and_the_backplane_is_not_ready)
{
    server.stop();
    RedisBackplane backplane(io.get_executor(), {.port = server.port()});
    run([&]() -> asio::awaitable<void> {
        asio::steady_timer attempts(io, 300ms); // a few connection attempts
        co_await attempts.async_wait(asio::use_awaitable);
        BOOST_TEST(!backplane.ready());
        const auto started = std::chrono::steady_clock::now();
        BOOST_TEST(co_await publish_failure(backplane, "x") == make_error_code(ssekit::redis_error::not_connected));
        BOOST_TEST((std::chrono::steady_clock::now() - started < 1s));
    }());
}

BOOST_AUTO_TEST_SUITE_END()
