// A client that goes away cancels its handler promptly and frees the session.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"
#include "../support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

// Tells, from its destructor, that the handler's frame is gone.
struct FrameProbe {
    std::promise<void>* freed;
    ~FrameProbe() { freed->set_value(); }
};

// What the handler saw when its pending co_await ended.
struct Ending {
    clock_type::time_point when;
    boost::system::error_code code;
};

} // namespace

BOOST_AUTO_TEST_SUITE(disconnect)

BOOST_AUTO_TEST_CASE(client_leaving_cancels_a_pending_delay_within_100ms_and_frees_the_session)
{
    std::promise<Ending> ended;
    std::promise<void> freed;
    ssekit::test::ThreadedServer server;
    server.server().sse("/wait", [&](ServerSSESession& session) -> asio::awaitable<void> {
        FrameProbe probe{&freed};
        co_await session.send("waiting");
        try {
            co_await ssekit::delay(1h);
        } catch (const boost::system::system_error& e) {
            ended.set_value({clock_type::now(), e.code()});
            throw;
        }
    });
    auto port = server.start();

    asio::io_context io;
    auto left_at = run_awaitable(io, [&]() -> asio::awaitable<clock_type::time_point> {
        auto client = co_await HttpClient::open(port, get_request("/wait"));
        co_await client.read_events(1);
        auto now = clock_type::now();
        client.close();
        co_return now;
    }());

    auto ending = ended.get_future();
    BOOST_REQUIRE(ending.wait_for(5s) == std::future_status::ready);
    auto [when, code] = ending.get();
    BOOST_TEST(code == asio::error::operation_aborted);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(when - left_at).count() < 100);
    BOOST_TEST((freed.get_future().wait_for(5s) == std::future_status::ready));
}

BOOST_AUTO_TEST_CASE(client_leaving_cancels_a_send_waiting_on_backpressure_within_100ms)
{
    std::atomic<int> attempted{0};
    std::atomic<int> completed{0};
    std::promise<Ending> ended;
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.max_queued_bytes = 64 * 1024});
    server.server().sse("/flood", [&](ServerSSESession& session) -> asio::awaitable<void> {
        const ServerSentEvent big{.data = std::string(64 * 1024, 'z')};
        try {
            for (;;) {
                ++attempted;
                co_await session.send(big);
                ++completed;
            }
        } catch (const boost::system::system_error& e) {
            ended.set_value({clock_type::now(), e.code()});
        }
    });
    auto port = server.start();

    asio::io_context io;
    auto left_at = run_awaitable(io, [&]() -> asio::awaitable<clock_type::time_point> {
        auto client = co_await HttpClient::open(port, get_request("/flood"));
        // Read nothing more: kernel buffers, then the session's queue, fill
        // up; wait until a send has been pending with no send completing for
        // five polls in a row (blocked, not just slow).
        int stalled_polls = 0;
        int last_completed = -1;
        const bool blocked = co_await ssekit::test::eventually(
            [&] {
                int now_completed = completed.load();
                bool pending = attempted.load() > now_completed;
                stalled_polls = pending && now_completed == last_completed ? stalled_polls + 1 : 0;
                last_completed = now_completed;
                return stalled_polls >= 5;
            },
            15s, 10ms);
        BOOST_REQUIRE(blocked);
        auto now = clock_type::now();
        client.close();
        co_return now;
    }());

    auto ending = ended.get_future();
    BOOST_REQUIRE(ending.wait_for(5s) == std::future_status::ready);
    auto [when, code] = ending.get();
    BOOST_TEST((code == asio::error::operation_aborted || code == make_error_code(ssekit::error::session_closed)));
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(when - left_at).count() < 100);
    server.stop();
    BOOST_TEST(server.server().connection_count() == 0u);
}

BOOST_AUTO_TEST_CASE(peer_that_takes_no_bytes_is_closed_after_the_write_timeout)
{
    std::promise<Ending> ended;
    ssekit::test::ThreadedServer server(
        ssekit::ServerOptions{.max_queued_bytes = 64 * 1024, .sse_write_timeout = 100ms});
    server.server().sse("/flood", [&](ServerSSESession& session) -> asio::awaitable<void> {
        const ServerSentEvent big{.data = std::string(64 * 1024, 'w')};
        try {
            for (;;)
                co_await session.send(big);
        } catch (const boost::system::system_error& e) {
            ended.set_value({clock_type::now(), e.code()});
        }
    });
    auto port = server.start();

    asio::io_context io;
    auto opened_at = clock_type::now();
    // Connected, but never reads: like a peer gone without a FIN.
    auto client = run_awaitable(io, [&]() -> asio::awaitable<std::unique_ptr<HttpClient>> {
        co_return std::make_unique<HttpClient>(co_await HttpClient::open(port, get_request("/flood")));
    }());
    auto ending = ended.get_future();
    BOOST_REQUIRE(ending.wait_for(10s) == std::future_status::ready);
    auto [when, code] = ending.get();
    BOOST_TEST((code == asio::error::operation_aborted || code == make_error_code(ssekit::error::session_closed)));
    BOOST_TEST((when - opened_at >= 100ms));
}

BOOST_AUTO_TEST_CASE(stop_cancels_open_streams_and_run_returns)
{
    std::promise<boost::system::error_code> cancelled;
    ssekit::test::ThreadedServer server;
    server.server().sse("/forever", [&](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("open");
        try {
            co_await ssekit::delay(1h);
        } catch (const boost::system::system_error& e) {
            cancelled.set_value(e.code());
        }
    });
    auto port = server.start(2);

    asio::io_context io;
    auto client_task = [&]() -> asio::awaitable<bool> {
        auto client = co_await HttpClient::open(port, get_request("/forever"));
        co_await client.read_events(1);
        server.server().stop();
        co_return co_await client.wait_closed();
    };
    BOOST_TEST(run_awaitable(io, client_task()));
    auto cancellation = cancelled.get_future();
    BOOST_REQUIRE(cancellation.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(cancellation.get() == asio::error::operation_aborted);
    server.stop(); // joins run(); returns only if every connection ended
    BOOST_TEST(server.server().connection_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
