// A server on the user's own multi-threaded io_context: connections share a
// few strands, so topics post once per strand, and stop() is safe from any
// thread while accepts go on.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/wait.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

// The user's io_context, run by `threads` threads until the work runs out.
struct UserPool {
    explicit UserPool(int threads) : work(asio::make_work_guard(io))
    {
        for (int i = 0; i < threads; ++i)
            runners.emplace_back([this] { io.run(); });
    }
    ~UserPool() { finish(); }
    /// Lets the threads return once nothing is left to do, and joins them.
    void finish()
    {
        work.reset();
        runners.clear();
    }

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::vector<std::jthread> runners;
};

} // namespace

BOOST_AUTO_TEST_SUITE(user_executor)

BOOST_AUTO_TEST_CASE(subscribers_on_a_users_executor_share_a_few_strands_and_get_every_event)
{
    constexpr int subscribers = 20;
    ssekit::Topic topic;
    UserPool pool(4);
    auto server = std::make_unique<ssekit::Server>(pool.io.get_executor());
    server->sse("/topic", [&](ServerSSESession& session) -> asio::awaitable<void> { co_await session.follow(topic); });
    const auto port = server->listen("127.0.0.1", 0).port();

    asio::io_context client_io;
    run_awaitable(client_io, [&]() -> asio::awaitable<void> {
        std::vector<std::unique_ptr<HttpClient>> clients;
        for (int i = 0; i < subscribers; ++i)
            clients.push_back(std::make_unique<HttpClient>(co_await HttpClient::open(port, get_request("/topic"))));
        BOOST_REQUIRE(co_await ssekit::test::eventually([&] { return topic.stats().subscribers == subscribers; }));
        // One shard per strand in use, never one per subscriber.
        const std::size_t strands = std::max(1u, std::thread::hardware_concurrency());
        BOOST_TEST(topic.stats().shards <= std::min<std::size_t>(strands, subscribers));
        BOOST_TEST(topic.stats().shards >= 1u);
        ServerSentEvent event{.data = "to all"};
        const std::string id = topic.publish(event);
        for (auto& client : clients) {
            auto events = co_await client->read_events(1);
            BOOST_TEST(events.front() == "id: " + id + "\ndata: to all");
        }
    }());

    server->stop();
    BOOST_TEST(ssekit::test::wait_until([&] { return server->connection_count() == 0; }, 10s));
    server.reset();
    pool.finish();
}

BOOST_AUTO_TEST_CASE(stop_from_another_thread_while_clients_connect_ends_every_connection)
{
    UserPool pool(4);
    auto server = std::make_unique<ssekit::Server>(pool.io.get_executor());
    server->sse("/wait", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("hello");
        co_await ssekit::delay(1h);
    });
    const auto port = server->listen("127.0.0.1", 0).port();

    // Clients keep arriving on their own thread while stop() comes from this one.
    std::atomic<int> connected{0};
    std::jthread arriving([port, &connected] {
        asio::io_context io;
        for (int i = 0; i < 50; ++i) {
            try {
                run_awaitable(io, [&]() -> asio::awaitable<void> {
                    auto client = co_await HttpClient::open(port, get_request("/wait"));
                    ++connected;
                }(), 5s);
            } catch (const std::exception&) {
                // refused or closed once stopping: expected
            }
        }
    });
    BOOST_REQUIRE(ssekit::test::wait_until([&] { return connected.load() >= 5; }, 10s));
    server->stop();
    arriving.join();
    BOOST_TEST(ssekit::test::wait_until([&] { return server->connection_count() == 0; }, 10s));
    server.reset();
    pool.finish();
}

BOOST_AUTO_TEST_SUITE_END()
