// The heartbeat runs beside the handler on the session's executor and only
// ever queues whole events.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

// Opens `path` and returns the first `count` events.
std::vector<std::string> first_events(std::uint16_t port, const char* path, std::size_t count)
{
    asio::io_context io;
    return run_awaitable(io, [&]() -> asio::awaitable<std::vector<std::string>> {
        auto client = co_await HttpClient::open(port, get_request(path));
        co_return co_await client.read_events(count);
    }());
}

} // namespace

BOOST_AUTO_TEST_SUITE(heartbeat)

BOOST_AUTO_TEST_CASE(heartbeat_beats_at_about_its_period_while_the_handler_sleeps)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/beat", [](ServerSSESession& session) -> asio::awaitable<void> {
        session.heartbeat({.period = 20ms, .event = ServerSentEvent{.data = "beat"}});
        co_await ssekit::delay(1h);
    });
    auto port = server.start();

    auto start = std::chrono::steady_clock::now();
    auto events = first_events(port, "/beat", 5);
    auto elapsed = std::chrono::steady_clock::now() - start;
    for (const auto& event : events)
        BOOST_TEST(event == "data: beat");
    // Five periods must pass; the upper bound only catches a stuck timer.
    BOOST_TEST(elapsed >= 100ms);
    BOOST_TEST(elapsed < 5s);
}

BOOST_AUTO_TEST_CASE(default_heartbeat_is_a_comment)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/beat", [](ServerSSESession& session) -> asio::awaitable<void> {
        ssekit::HeartbeatOptions options;
        options.period = 5ms;
        session.heartbeat(options);
        co_await ssekit::delay(1h);
    });
    auto port = server.start();
    BOOST_TEST((ssekit::HeartbeatOptions{}.period == 30s)); // Ktor's default
    auto events = first_events(port, "/beat", 2);
    BOOST_TEST(events[0] == ": heartbeat");
    BOOST_TEST(events[1] == ": heartbeat");
}

BOOST_AUTO_TEST_CASE(idle_heartbeat_stays_quiet_while_events_flow)
{
    ssekit::test::ThreadedServer server;
    // Timing is the behaviour here: events 10 ms apart for longer than the
    // period (a heartbeat that ignored them would beat among them), each gap
    // far shorter than the period even on a loaded machine.
    constexpr int ticks = 40;
    server.server().sse("/idle", [](ServerSSESession& session) -> asio::awaitable<void> {
        session.heartbeat({.period = 300ms, .event = ServerSentEvent{.data = "beat"}, .only_when_idle = true});
        for (int i = 0; i < ticks; ++i) {
            co_await session.send("tick " + std::to_string(i));
            co_await ssekit::delay(10ms);
        }
        co_await ssekit::delay(1h);
    });
    auto port = server.start();

    auto events = first_events(port, "/idle", ticks + 1);
    for (int i = 0; i < ticks; ++i)
        BOOST_TEST(events[i] == "data: tick " + std::to_string(i));
    BOOST_TEST(events[ticks] == "data: beat");
}

BOOST_AUTO_TEST_CASE(heartbeat_and_concurrent_senders_never_split_an_event)
{
    constexpr int senders = 4;
    constexpr int per_sender = 250;
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.max_queued_bytes = 64 * 1024});
    server.server().sse("/mixed", [](ServerSSESession& session) -> asio::awaitable<void> {
        session.heartbeat({.period = 1ms, .event = ServerSentEvent{.data = "beat\nbeat"}});
        auto sender = [&session](int id) -> asio::awaitable<void> {
            // Multi-line events of a few hundred bytes: a split would show.
            const std::string padding(200, 'x');
            for (int seq = 0; seq < per_sender; ++seq) {
                ServerSentEvent event{.data = std::to_string(id) + " " + std::to_string(seq) + "\n" + padding,
                                      .event = "s" + std::to_string(id)};
                co_await session.send(event);
                // Time must pass for the 1 ms heartbeat to beat between sends.
                if (seq % 10 == 0)
                    co_await ssekit::delay(1ms);
            }
        };
        auto ex = session.get_executor();
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(ex, sender(0), asio::deferred), asio::co_spawn(ex, sender(1), asio::deferred),
            asio::co_spawn(ex, sender(2), asio::deferred), asio::co_spawn(ex, sender(3), asio::deferred))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    });
    auto port = server.start(4);

    auto [body, complete] = ssekit::test::stream_body(port, get_request("/mixed"));
    BOOST_TEST(complete);

    const std::string padding(200, 'x');
    std::map<int, int> next_seq;
    int beats = 0;
    std::size_t start = 0;
    for (auto end = body.find("\n\n"); end != std::string::npos; end = body.find("\n\n", start)) {
        std::string event = body.substr(start, end - start);
        start = end + 2;
        if (event == "data: beat\ndata: beat") {
            ++beats;
            continue;
        }
        int id = -1;
        int seq = -1;
        char name[8] = {};
        BOOST_REQUIRE(std::sscanf(event.c_str(), "event: %7s\ndata: %d %d\n", name, &id, &seq) == 3);
        BOOST_TEST(std::string(name) == "s" + std::to_string(id));
        BOOST_TEST(event.ends_with("\ndata: " + padding));
        BOOST_TEST(seq == next_seq[id]);
        next_seq[id] = seq + 1;
    }
    BOOST_TEST(start == body.size());
    for (int id = 0; id < senders; ++id)
        BOOST_TEST(next_seq[id] == per_sender);
    BOOST_TEST(beats > 0);
}

BOOST_AUTO_TEST_SUITE_END()
