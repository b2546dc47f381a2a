// Many clients at once, on one or several server threads, and a server
// running on the caller's own io_context.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"
#include "../support/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
namespace data = boost::unit_test::data;
using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

constexpr int events_per_stream = 10;

// Each stream sends its first event, then waits until `clients` streams are
// open before it sends the rest: the streams are all open at once, whatever
// the pace of the machine, or the test fails.
void add_counting_route(ssekit::Server& server, std::atomic<int>& open_streams, int clients)
{
    server.sse("/count/{client}", [&open_streams, clients](ServerSSESession& session) -> asio::awaitable<void> {
        std::string client(session.call().path_param("client").value());
        for (int i = 0; i < events_per_stream; ++i) {
            ServerSentEvent event{.data = client + ":" + std::to_string(i), .id = std::to_string(i)};
            co_await session.send(event);
            if (i == 0) {
                ++open_streams;
                const bool all_open =
                    co_await ssekit::test::eventually([&] { return open_streams.load() >= clients; }, 20s, 5ms);
                if (!all_open)
                    throw std::runtime_error("only " + std::to_string(open_streams.load()) + " of " +
                                             std::to_string(clients) + " streams were ever open at once");
            }
        }
    });
}

// One client: true if it got exactly its events, in order, and the clean end.
asio::awaitable<bool> count_stream(std::uint16_t port, int client_number)
{
    auto [body, complete] = co_await ssekit::test::read_stream(port, get_request("/count/" + std::to_string(client_number)));
    std::string expected;
    for (int i = 0; i < events_per_stream; ++i)
        expected += "id: " + std::to_string(i) + "\ndata: " + std::to_string(client_number) + ":" +
                    std::to_string(i) + "\n\n";
    co_return complete && body == expected;
}

// Runs `clients` streams at once; returns how many were complete and exact.
int run_clients(std::uint16_t port, int clients)
{
    asio::io_context io;
    std::atomic<int> good{0};
    int finished = 0;
    for (int i = 0; i < clients; ++i)
        asio::co_spawn(io, count_stream(port, i), [&](std::exception_ptr error, bool ok) {
            good += (!error && ok) ? 1 : 0;
            ++finished;
        });
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (finished < clients && std::chrono::steady_clock::now() < deadline)
        io.run_one_until(deadline);
    return good.load();
}

} // namespace

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_DATA_TEST_CASE(two_hundred_concurrent_streams_each_arrive_whole_and_in_order, data::make({1, 4}), threads)
{
    constexpr int clients = 200;
    std::atomic<int> open_streams{0};
    ssekit::test::ThreadedServer server;
    add_counting_route(server.server(), open_streams, clients);
    auto port = server.start(static_cast<std::size_t>(threads));
    BOOST_TEST(run_clients(port, clients) == clients);
    server.stop();
    BOOST_TEST(server.server().connection_count() == 0u);
}

BOOST_AUTO_TEST_CASE(server_runs_on_the_callers_io_context)
{
    asio::io_context io;
    ssekit::Server server(io.get_executor());
    server.sse("/local", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("on your executor");
    });
    auto port = server.listen("127.0.0.1", 0).port();
    BOOST_TEST(server.port() == port);
    BOOST_CHECK_THROW(server.run(), std::logic_error);

    auto [body, complete] = run_awaitable(io, ssekit::test::read_stream(port, get_request("/local")));
    BOOST_TEST(body == "data: on your executor\n\n");
    BOOST_TEST(complete);
}

BOOST_AUTO_TEST_SUITE_END()
