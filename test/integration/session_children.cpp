// What a handler starts on its session's behalf ends with the session and
// never touches it once freed; user code that throws ends only its session.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/print.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"
#include "../support/wait.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
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
using ssekit::test::stream_body;
using ssekit::test::wait_until;

namespace {

// Collects what on_handler_error reports, from any thread.
struct ReportedErrors {
    std::mutex mutex;
    std::vector<std::string> messages;

    ssekit::ServerOptions options()
    {
        return {.on_handler_error = [this](const ssekit::Request&, std::exception_ptr error) {
            std::string what = "unknown";
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                what = e.what();
            }
            std::lock_guard lock(mutex);
            messages.push_back(what);
        }};
    }
    std::size_t count()
    {
        std::lock_guard lock(mutex);
        return messages.size();
    }
};

// Runs server.stop() and reports whether run() returned within `limit`.
bool stops_within(ssekit::test::ThreadedServer& server, std::chrono::seconds limit)
{
    auto stopped = std::async(std::launch::async, [&server] { server.stop(); });
    return stopped.wait_for(limit) == std::future_status::ready;
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_children)

// The reproduction from the trustworthy-core issue: before, the topic kept a
// pointer to the freed session (ASan: heap-use-after-free on the next
// publish), and stop() never returned.
BOOST_AUTO_TEST_CASE(a_follow_started_with_co_spawn_leaves_the_topic_when_the_handler_returns)
{
    ssekit::Topic topic;
    ssekit::test::ThreadedServer server;
    server.server().sse("/co-spawned", [&](ServerSSESession& session) -> asio::awaitable<void> {
        asio::co_spawn(session.get_executor(), session.follow(topic), [](std::exception_ptr) {});
        co_await session.send("started");
    });
    auto port = server.start();

    auto stream = stream_body(port, get_request("/co-spawned"));
    BOOST_TEST(stream.complete);
    BOOST_TEST(wait_until([&] { return topic.stats().subscribers == 0; }, 5s));
    ServerSentEvent event{.data = "after the session"};
    topic.publish(event);
    BOOST_TEST(topic.stats().bytes_queued == 0u);
    BOOST_TEST(wait_until([&] { return server.server().connection_count() == 0; }, 5s));
    BOOST_TEST(stops_within(server, 10s));
}

BOOST_AUTO_TEST_CASE(spawned_children_are_cancelled_and_finished_before_the_stream_ends)
{
    std::atomic<bool> child_cancelled{false};
    ssekit::test::ThreadedServer server;
    server.server().sse("/children", [&](ServerSSESession& session) -> asio::awaitable<void> {
        // (A coroutine lambda takes what it needs as parameters: its
        // captures live in the closure, which is gone once spawn returns.)
        session.spawn([](std::atomic<bool>& cancelled) -> asio::awaitable<void> {
            asio::steady_timer forever(co_await asio::this_coro::executor, 1h);
            try {
                co_await forever.async_wait(asio::use_awaitable);
            } catch (const boost::system::system_error& e) {
                cancelled = e.code() == asio::error::operation_aborted;
                throw;
            }
        }(child_cancelled));
        co_await session.send("one");
    });
    auto port = server.start();

    auto stream = stream_body(port, get_request("/children"));
    BOOST_TEST(stream.complete);
    BOOST_TEST(stream.body == "data: one\n\n");
    BOOST_TEST(wait_until([&] { return child_cancelled.load(); }, 5s));
    BOOST_TEST(wait_until([&] { return server.server().connection_count() == 0; }, 5s));
}

BOOST_AUTO_TEST_CASE(several_children_follow_topics_into_one_stream_and_all_leave_at_the_end)
{
    ssekit::Topic news;
    ssekit::Topic alerts;
    ssekit::Topic control;
    ssekit::test::ThreadedServer server;
    server.server().sse("/all", [&](ServerSSESession& session) -> asio::awaitable<void> {
        session.spawn(session.follow(news));
        session.spawn(session.follow(alerts));
        co_await session.follow(control); // until `control` closes
    });
    auto port = server.start(2);

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::open(port, get_request("/all"));
        BOOST_REQUIRE(co_await ssekit::test::eventually([&] {
            return news.stats().subscribers == 1 && alerts.stats().subscribers == 1 &&
                   control.stats().subscribers == 1;
        }));
        ServerSentEvent a{.data = "news"};
        ServerSentEvent b{.data = "alert"};
        news.publish(a);
        alerts.publish(b);
        auto events = co_await client.read_events(2);
        BOOST_TEST(events.size() == 2u);
        control.close();
        co_await client.read_body_to_end();
        BOOST_TEST(client.message_complete());
    }());
    BOOST_TEST(wait_until([&] { return news.stats().subscribers == 0 && alerts.stats().subscribers == 0; }, 5s));
}

BOOST_AUTO_TEST_CASE(a_child_that_throws_is_reported_and_ends_the_session)
{
    ReportedErrors errors;
    ssekit::test::ThreadedServer server(errors.options());
    server.server().sse("/failing-child", [&](ServerSSESession& session) -> asio::awaitable<void> {
        session.spawn([]() -> asio::awaitable<void> {
            co_await ssekit::delay(1ms);
            throw std::runtime_error("child failed");
        }());
        co_await session.send("before");
        co_await ssekit::delay(1h); // cancelled when the child fails
    });
    auto port = server.start();

    auto stream = stream_body(port, get_request("/failing-child"));
    BOOST_TEST(stream.complete);
    BOOST_TEST(stream.body == "data: before\n\n");
    BOOST_TEST(wait_until([&] { return errors.count() == 1; }, 5s));
    std::lock_guard lock(errors.mutex);
    BOOST_TEST(errors.messages.front() == "child failed");
}

BOOST_AUTO_TEST_CASE(spawn_after_the_session_closed_fails_with_session_closed)
{
    std::promise<boost::system::error_code> result;
    ssekit::Topic topic;
    ssekit::test::ThreadedServer server;
    server.server().sse("/late", [&](ServerSSESession& session) -> asio::awaitable<void> {
        session.close();
        try {
            session.spawn(session.follow(topic));
            result.set_value({});
        } catch (const boost::system::system_error& e) {
            result.set_value(e.code());
        }
        co_return;
    });
    auto port = server.start();
    stream_body(port, get_request("/late"));
    auto code = result.get_future();
    BOOST_REQUIRE(code.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(code.get() == ssekit::error::session_closed);
}

void a_throwing_filter_ends_only_its_session(std::size_t threads)
{
    ReportedErrors errors;
    ssekit::Topic topic;
    ssekit::test::ThreadedServer server(errors.options());
    server.server().sse("/filtered/{kind}", [&](ServerSSESession& session) -> asio::awaitable<void> {
        ssekit::FollowOptions options;
        if (session.call().path_param("kind") == "throwing")
            options.filter = [](const ssekit::PublishedEvent& event) -> bool {
                if (event.data() == "2")
                    throw std::runtime_error("filter failed");
                return true;
            };
        co_await session.follow(topic, options);
    });
    server.server().get("/alive", [](const ssekit::Request&) { return ssekit::Response::text("yes"); });
    auto port = server.start(threads);

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto healthy = co_await HttpClient::open(port, get_request("/filtered/healthy"));
        auto throwing = co_await HttpClient::open(port, get_request("/filtered/throwing"));
        BOOST_REQUIRE(co_await ssekit::test::eventually([&] { return topic.stats().subscribers == 2; }));
        for (int i = 1; i <= 3; ++i) {
            ServerSentEvent event{.data = std::to_string(i)};
            topic.publish(event);
        }
        auto events = co_await healthy.read_events(3);
        BOOST_TEST(events.size() == 3u);
        BOOST_TEST(co_await throwing.wait_closed());
        BOOST_TEST(co_await ssekit::test::eventually([&] { return topic.stats().subscribers == 1; }));
        auto alive = co_await ssekit::test::fetch(port, get_request("/alive"));
        BOOST_TEST(alive.body() == "yes");
    }());
    BOOST_TEST(errors.count() == 1u);
    BOOST_TEST(stops_within(server, 10s));
}

BOOST_AUTO_TEST_CASE(a_throwing_filter_ends_only_its_session_on_one_thread)
{
    a_throwing_filter_ends_only_its_session(1);
}

BOOST_AUTO_TEST_CASE(a_throwing_filter_ends_only_its_session_on_two_threads)
{
    a_throwing_filter_ends_only_its_session(2);
}

BOOST_AUTO_TEST_CASE(close_from_a_child_cancels_the_handlers_plain_timer_wait)
{
    std::promise<boost::system::error_code> ended;
    ssekit::test::ThreadedServer server;
    server.server().sse("/closed-by-child", [&](ServerSSESession& session) -> asio::awaitable<void> {
        session.spawn([](ServerSSESession& closing) -> asio::awaitable<void> {
            co_await ssekit::delay(10ms);
            closing.close();
        }(session));
        co_await session.send("open");
        asio::steady_timer long_wait(co_await asio::this_coro::executor, 1h);
        try {
            co_await long_wait.async_wait(asio::use_awaitable);
            ended.set_value({});
        } catch (const boost::system::system_error& e) {
            ended.set_value(e.code());
        }
    });
    auto port = server.start();
    auto stream = stream_body(port, get_request("/closed-by-child"));
    BOOST_TEST(stream.complete);
    auto code = ended.get_future();
    BOOST_REQUIRE(code.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(code.get() == asio::error::operation_aborted);
}

// As documented: close() cancels what is pending, not what starts later;
// ssekit's own awaitables refuse to run after it.
BOOST_AUTO_TEST_CASE(after_its_own_close_a_handlers_plain_wait_runs_and_send_fails)
{
    std::promise<std::pair<bool, boost::system::error_code>> result;
    ssekit::test::ThreadedServer server;
    server.server().sse("/self-closed", [&](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("last");
        session.close();
        asio::steady_timer short_wait(co_await asio::this_coro::executor, 20ms);
        auto [wait_ec] = co_await short_wait.async_wait(asio::as_tuple(asio::use_awaitable));
        boost::system::error_code send_ec;
        try {
            co_await session.send("after close");
        } catch (const boost::system::system_error& e) {
            send_ec = e.code();
        }
        result.set_value({!wait_ec, send_ec});
    });
    auto port = server.start();
    auto stream = stream_body(port, get_request("/self-closed"));
    BOOST_TEST(stream.body == "data: last\n\n");
    auto future = result.get_future();
    BOOST_REQUIRE(future.wait_for(5s) == std::future_status::ready);
    auto [waited, send_ec] = future.get();
    BOOST_TEST(waited);
    BOOST_TEST(send_ec == ssekit::error::session_closed);
}

BOOST_AUTO_TEST_CASE(concurrent_sends_overshoot_the_byte_bound_by_one_event_at_most)
{
    constexpr std::size_t bound = 64 * 1024;
    constexpr std::size_t event_bytes = 16 * 1024;
    constexpr std::size_t encoded_bytes = event_bytes + 8; // "data: " and "\n\n"
    constexpr int senders = 8;
    constexpr int per_sender = 160; // 20 MiB in all: more than the socket buffers hold
    std::atomic<std::size_t> most_queued{0};
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.max_queued_bytes = bound});
    server.server().sse("/flood", [&](ServerSSESession& session) -> asio::awaitable<void> {
        auto finished = std::make_shared<int>(0);
        for (int s = 0; s < senders; ++s)
            session.spawn([](ServerSSESession& sender, std::shared_ptr<int> done) -> asio::awaitable<void> {
                ServerSentEvent event{.data = std::string(event_bytes, 'x')};
                for (int i = 0; i < per_sender; ++i)
                    co_await sender.send(event);
                ++*done;
            }(session, finished));
        // Samples the queue while the senders wait for room.
        while (*finished < senders) {
            std::size_t now = session.queued_bytes();
            if (now > most_queued)
                most_queued = now;
            co_await ssekit::delay(1ms);
        }
    });
    auto port = server.start();

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::connect(port);
        co_await client.write(get_request("/flood"));
        // A reader that is late: once the socket buffers are full, the
        // senders fill the bound and wait.
        BOOST_REQUIRE(co_await ssekit::test::eventually([&] { return most_queued.load() + encoded_bytes > bound; }));
        co_await client.read_raw_to_end();
    }(), 60s);
    BOOST_TEST(most_queued.load() <= bound + encoded_bytes);
}

BOOST_AUTO_TEST_SUITE_END()
