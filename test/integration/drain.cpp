// Server::drain: every stream says goodbye with a reconnection delay drawn
// per client, then closes cleanly; what is under way finishes; what ignores
// the drain is cut at its time limit. Also a route's maximum stream age and
// follow()'s priming event.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/wait.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::chrono::milliseconds since(clock_type::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

// A server on 127.0.0.1:0 running in the background, whose `run` tells when
// it returned: a drain ends it by itself.
class BackgroundServer {
public:
    explicit BackgroundServer(ssekit::ServerOptions options) : server_(std::move(options)) {}
    ~BackgroundServer()
    {
        if (runner_.joinable()) {
            server_.stop();
            runner_.join();
        }
    }

    ssekit::Server& server() noexcept { return server_; }

    std::uint16_t start(std::size_t threads = 1)
    {
        const std::uint16_t port = server_.listen("127.0.0.1", 0).port();
        runner_ = std::thread([this, threads] {
            server_.run(threads);
            returned_.set_value(clock_type::now());
        });
        return port;
    }

    /// When `run` returned, if it did within `limit`.
    std::optional<clock_type::time_point> returned_within(clock_type::duration limit)
    {
        auto future = returned_.get_future();
        if (future.wait_for(limit) != std::future_status::ready)
            return std::nullopt;
        runner_.join();
        return future.get();
    }

private:
    ssekit::Server server_;
    std::thread runner_;
    std::promise<clock_type::time_point> returned_;
};

// The fields of the farewell in a stream's body: its `retry:` value, if the
// body holds an `event: drain` block with one.
std::optional<long> farewell_retry(std::string_view body)
{
    const auto event = body.find("event: drain\n");
    if (event == std::string_view::npos)
        return std::nullopt;
    const auto block_end = body.find("\n\n", event);
    const std::string_view block = body.substr(event, block_end == std::string_view::npos ? body.npos : block_end - event);
    const auto retry = block.find("retry: ");
    if (retry == std::string_view::npos)
        return std::nullopt;
    return std::stol(std::string(block.substr(retry + 7, block.find('\n', retry) - retry - 7)));
}

// Descriptors for `streams` loopback streams in this process (both ends),
// raising the soft limit towards the hard one; returns how many streams fit.
std::size_t streams_that_fit(std::size_t streams)
{
    constexpr rlim_t spare = 128; // the test's own files, the pool's, the listener
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 100;
    const rlim_t wanted = static_cast<rlim_t>(streams) * 2 + spare;
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur >= wanted)
        return streams;
    return limit.rlim_cur > spare * 2 ? static_cast<std::size_t>((limit.rlim_cur - spare) / 2) : 0;
}

// What one raw client saw of its stream once the server drained.
struct Seen {
    std::string body;
    bool complete = false; // the chunked terminator came
    bool closed = false;   // then the server closed the connection
};

} // namespace

BOOST_AUTO_TEST_SUITE(drain)

BOOST_AUTO_TEST_CASE(a_thousand_streams_get_the_farewell_with_spread_retries_and_close_before_the_time_limit)
{
    const std::size_t streams = streams_that_fit(1000);
    BOOST_TEST_MESSAGE("streams: " << streams << " (fewer than 1000 only when RLIMIT_NOFILE's hard limit is low)");
    BOOST_REQUIRE(streams >= 100);

    ssekit::ServerOptions options;
    options.drain_handler_grace = 200ms;
    BackgroundServer server(options);
    ssekit::Topic news;
    // Half follow a topic (the farewell must go through the same writer),
    // half wait for the drain and say a last word.
    server.server().sse("/news", [&](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.follow(news);
    });
    server.server().sse("/quiet", [](ServerSSESession& session) -> asio::awaitable<void> {
        session.flush_headers();
        co_await session.wait_draining();
        co_await session.send("last word", "bye");
    });
    const auto port = server.start(2);

    asio::io_context io;
    std::vector<std::optional<HttpClient>> clients(streams);
    std::vector<Seen> seen(streams);
    constexpr std::size_t readers = 8; // a handful of coroutines, each with its share of the clients
    auto open_share = [&](std::size_t first) -> asio::awaitable<void> {
        for (std::size_t i = first; i < streams; i += readers)
            clients[i].emplace(co_await HttpClient::open(port, get_request(i % 2 ? "/quiet" : "/news")));
    };
    auto read_share = [&](std::size_t first) -> asio::awaitable<void> {
        for (std::size_t i = first; i < streams; i += readers) {
            seen[i].body = co_await clients[i]->read_body_to_end();
            seen[i].complete = clients[i]->message_complete();
            seen[i].closed = co_await clients[i]->wait_closed();
        }
    };

    // Every coroutine's end as a future: a failure in any of them fails the test.
    auto all_ready = [](std::vector<std::future<void>>& futures) {
        return std::all_of(futures.begin(), futures.end(),
                           [](auto& f) { return f.wait_for(0s) == std::future_status::ready; });
    };
    std::vector<std::future<void>> opened;
    for (std::size_t r = 0; r < readers; ++r)
        opened.push_back(asio::co_spawn(io, open_share(r), asio::use_future));
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            BOOST_REQUIRE(co_await ssekit::test::eventually([&] { return all_ready(opened); }, 30s));
            BOOST_REQUIRE(co_await ssekit::test::eventually(
                [&] { return news.stats().subscribers == (streams + 1) / 2; }, 10s));
        }(),
        40s);
    for (auto& f : opened)
        f.get();
    for (const auto& client : clients)
        BOOST_REQUIRE(client->response().result_int() == 200u);

    const auto time_limit = 10s;
    const auto drain_started = clock_type::now();
    server.server().drain(time_limit);

    std::vector<std::future<void>> finished;
    for (std::size_t r = 0; r < readers; ++r)
        finished.push_back(asio::co_spawn(io, read_share(r), asio::use_future));
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            BOOST_REQUIRE(co_await ssekit::test::eventually([&] { return all_ready(finished); }, 30s));
        }(),
        40s);
    for (auto& f : finished)
        f.get();

    auto returned = server.returned_within(time_limit);
    BOOST_REQUIRE(returned.has_value());
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(*returned - drain_started).count() <
               std::chrono::duration_cast<std::chrono::milliseconds>(time_limit).count());

    std::vector<long> retries;
    std::size_t clean = 0;
    std::size_t last_words = 0;
    for (std::size_t i = 0; i < streams; ++i) {
        auto retry = farewell_retry(seen[i].body);
        BOOST_TEST(retry.has_value(), "stream " << i << " got no farewell: " << seen[i].body);
        if (retry)
            retries.push_back(*retry);
        clean += seen[i].complete && seen[i].closed ? 1 : 0;
        // The handler's last word goes before the farewell, through the same writer.
        const auto bye = seen[i].body.find("event: bye\ndata: last word\n\n");
        if (i % 2 && bye != std::string::npos && bye < seen[i].body.find("event: drain"))
            ++last_words;
        // The farewell is the stream's last block.
        BOOST_TEST(seen[i].body.ends_with("\n\n"));
    }
    BOOST_TEST(clean == streams);
    BOOST_TEST(last_words == streams / 2);
    BOOST_REQUIRE(retries.size() == streams);

    // Drawn uniformly from [1 s, 10 s]: within the window, spread over it.
    const auto [min, max] = std::minmax_element(retries.begin(), retries.end());
    BOOST_TEST(*min >= 1000);
    BOOST_TEST(*max <= 10000);
    BOOST_TEST(*min < 2000);
    BOOST_TEST(*max > 9000);
    const std::set<long> distinct(retries.begin(), retries.end());
    BOOST_TEST(distinct.size() > streams / 2);
}

BOOST_AUTO_TEST_CASE(a_stream_request_that_arrives_during_the_drain_gets_the_farewell_alone_and_idle_connections_close)
{
    ssekit::ServerOptions options;
    options.drain_retry_min = 2000ms;
    options.drain_retry_max = 3000ms;
    BackgroundServer server(options);
    std::atomic<int> handlers_run{0};
    server.server().sse("/events", [&](ServerSSESession& session) -> asio::awaitable<void> {
        ++handlers_run;
        co_await session.send("never during a drain");
    });
    server.server().get("/ping", [](const ssekit::Request&) { return ssekit::Response::text("pong"); });
    const auto port = server.start(1);

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        // A stream request whose first bytes are in before the drain ...
        auto streaming = co_await HttpClient::connect(port);
        co_await streaming.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        // ... and an idle keep-alive connection. With one server thread, the
        // answer on `idle` comes after the server read those first bytes.
        auto idle = co_await HttpClient::connect(port);
        co_await idle.write(get_request("/ping"));
        co_await idle.read_head();
        co_await idle.read_body_to_end();
        BOOST_TEST(idle.response().result_int() == 200u);

        server.server().drain(5s);
        BOOST_TEST(co_await idle.wait_closed());

        co_await streaming.write("Accept: text/event-stream\r\n\r\n");
        co_await streaming.read_head();
        BOOST_TEST(streaming.response().result_int() == 200u);
        BOOST_TEST(streaming.response()[boost::beast::http::field::content_type] == "text/event-stream");
        const std::string body = co_await streaming.read_body_to_end();
        BOOST_TEST(streaming.message_complete());
        BOOST_TEST(body.starts_with("event: drain\n"), body);
        auto retry = farewell_retry(body);
        BOOST_REQUIRE(retry.has_value());
        BOOST_TEST(*retry >= 2000);
        BOOST_TEST(*retry <= 3000);
        BOOST_TEST(body.find("never during a drain") == std::string::npos);
        BOOST_TEST(co_await streaming.wait_closed());

        // The listener is closed: no new connection.
        bool refused = false;
        try {
            co_await HttpClient::connect(port);
        } catch (const boost::system::system_error&) {
            refused = true;
        }
        BOOST_TEST(refused);
    }());
    BOOST_TEST(handlers_run.load() == 0);
    BOOST_TEST(server.returned_within(5s).has_value());
}

BOOST_AUTO_TEST_CASE(a_plain_request_under_way_finishes_with_connection_close)
{
    BackgroundServer server(ssekit::ServerOptions{});
    std::promise<void> started;
    std::atomic<bool> drain_called{false};
    server.server().get("/slow", [&](const ssekit::Request&) -> asio::awaitable<ssekit::Response> {
        started.set_value();
        asio::steady_timer poll(co_await asio::this_coro::executor);
        while (!drain_called.load()) {
            poll.expires_after(2ms);
            co_await poll.async_wait(use_tuple);
        }
        co_return ssekit::Response::text("done");
    });
    const auto port = server.start(1);

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::connect(port);
        co_await client.write(get_request("/slow"));
        auto handler_started = started.get_future();
        BOOST_REQUIRE(co_await ssekit::test::eventually(
            [&] { return handler_started.wait_for(0s) == std::future_status::ready; }));
        server.server().drain(5s);
        drain_called = true;
        co_await client.read_head();
        const std::string body = co_await client.read_body_to_end();
        BOOST_TEST(client.response().result_int() == 200u);
        BOOST_TEST(body == "done");
        BOOST_TEST(client.response()[boost::beast::http::field::connection] == "close");
        BOOST_TEST(co_await client.wait_closed());
    }());
    BOOST_TEST(server.returned_within(5s).has_value());
}

BOOST_AUTO_TEST_CASE(a_handler_that_ignores_the_drain_is_cut_at_the_time_limit)
{
    ssekit::ServerOptions options;
    options.drain_handler_grace = 100ms;
    BackgroundServer server(options);
    std::promise<clock_type::time_point> cut;
    // Survives close() (the farewell step) and ends only when cancelled a
    // second time: by the cut.
    server.server().sse("/stubborn", [&](ServerSSESession& session) -> asio::awaitable<void> {
        session.flush_headers();
        asio::steady_timer wait(session.get_executor());
        int cancellations = 0;
        while (cancellations < 2) {
            wait.expires_after(1h);
            auto [ec] = co_await wait.async_wait(use_tuple);
            if (ec)
                ++cancellations;
        }
        cut.set_value(clock_type::now());
    });
    const auto port = server.start(1);

    asio::io_context io;
    const auto time_limit = 1500ms;
    clock_type::time_point drain_started;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::open(port, get_request("/stubborn"));
        drain_started = clock_type::now();
        server.server().drain(time_limit);
        // The client still gets the farewell and a clean end, at the grace.
        const std::string body = co_await client.read_body_to_end();
        BOOST_TEST(client.message_complete());
        BOOST_TEST(farewell_retry(body).has_value(), body);
        BOOST_TEST(since(drain_started).count() < 1000);
    }());

    auto cut_at = cut.get_future();
    BOOST_REQUIRE(cut_at.wait_for(10s) == std::future_status::ready);
    const auto cut_after = std::chrono::duration_cast<std::chrono::milliseconds>(cut_at.get() - drain_started);
    BOOST_TEST(cut_after.count() >= 1400);
    BOOST_TEST(cut_after.count() < 3000);
    auto returned = server.returned_within(5s);
    BOOST_REQUIRE(returned.has_value());
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(*returned - drain_started).count() >= 1400);
}

BOOST_AUTO_TEST_CASE(max_stream_duration_ends_a_stream_with_the_farewell_and_a_retry)
{
    ssekit::ServerOptions options;
    options.drain_handler_grace = 2s; // the handler ends by itself first
    options.drain_retry_min = 500ms;
    options.drain_retry_max = 700ms;
    BackgroundServer server(options);
    ssekit::SseRouteOptions route;
    route.max_stream_duration = 300ms;
    std::atomic<bool> saw_draining{false};
    server.server().sse(
        "/short",
        [&](ServerSSESession& session) -> asio::awaitable<void> {
            co_await session.send("hello");
            co_await session.wait_draining();
            saw_draining = session.draining();
            co_await session.send("bye");
        },
        route);
    server.server().sse("/forever", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("hello");
        co_await ssekit::delay(1h);
    });
    const auto port = server.start(1);

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        const auto opened = clock_type::now();
        auto client = co_await HttpClient::open(port, get_request("/short"));
        const std::string body = co_await client.read_body_to_end();
        const auto lived = since(opened);
        BOOST_TEST(client.message_complete());
        BOOST_TEST(body.starts_with("data: hello\n\ndata: bye\n\nevent: drain\n"), body);
        auto retry = farewell_retry(body);
        BOOST_REQUIRE(retry.has_value());
        BOOST_TEST(*retry >= 500);
        BOOST_TEST(*retry <= 700);
        // 300 ms ± 10%, and the handler ended at once.
        BOOST_TEST(lived.count() >= 270);
        BOOST_TEST(lived.count() < 1500);
        BOOST_TEST(co_await client.wait_closed());

        // A route without it is not touched.
        auto other = co_await HttpClient::open(port, get_request("/forever"));
        co_await other.read_events(1);
        asio::steady_timer wait(co_await asio::this_coro::executor, 500ms);
        co_await wait.async_wait(asio::use_awaitable);
        BOOST_TEST(other.socket().available() == 0u);
    }());
    BOOST_TEST(saw_draining.load());
}

BOOST_AUTO_TEST_CASE(a_drain_on_the_users_executor_leaves_no_work_behind_once_done)
{
    asio::io_context io;
    ssekit::ServerOptions options;
    options.drain_handler_grace = 50ms;
    ssekit::Server server(io.get_executor(), options);
    server.sse("/wait", [](ServerSSESession& session) -> asio::awaitable<void> {
        session.flush_headers();
        co_await ssekit::delay(1h);
    });
    const auto port = server.listen("127.0.0.1", 0).port();
    std::optional<long> retry;
    auto client = [&]() -> asio::awaitable<void> {
        auto stream = co_await HttpClient::open(port, get_request("/wait"));
        server.drain(30s);
        retry = farewell_retry(co_await stream.read_body_to_end());
    };
    asio::co_spawn(io, client(), [](std::exception_ptr error) {
        if (error)
            std::rethrow_exception(error);
    });
    // Returns once the drain is done: its wait for the time limit is gone too.
    const auto started = clock_type::now();
    io.run();
    BOOST_TEST(since(started).count() < 10'000);
    BOOST_TEST(retry.has_value());
}

BOOST_AUTO_TEST_CASE(max_stream_duration_must_be_positive)
{
    ssekit::Server server;
    ssekit::SseRouteOptions route;
    route.max_stream_duration = 0s;
    auto handler = [](ServerSSESession&) -> asio::awaitable<void> { co_return; };
    BOOST_CHECK_THROW(server.sse("/zero", handler, route), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(drain_options_are_checked_when_the_server_is_made)
{
    ssekit::ServerOptions upside_down;
    upside_down.drain_retry_min = 5s;
    upside_down.drain_retry_max = 1s;
    BOOST_CHECK_THROW(ssekit::Server{upside_down}, std::invalid_argument);
    ssekit::ServerOptions bad_event;
    bad_event.drain_event = ServerSentEvent{.event = "two\nlines"};
    BOOST_CHECK_THROW(ssekit::Server{bad_event}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(prime_sends_the_topics_position_right_after_the_head)
{
    BackgroundServer server(ssekit::ServerOptions{});
    ssekit::Topic topic;
    for (int i = 1; i <= 3; ++i)
        topic.publish(ServerSentEvent{.data = "old " + std::to_string(i)});
    const std::string epoch = topic.stats().epoch;
    server.server().sse("/primed", [&](ServerSSESession& session) -> asio::awaitable<void> {
        ssekit::FollowOptions follow_options;
        follow_options.prime = true;
        co_await session.follow(topic, follow_options);
    });
    const auto port = server.start(1);

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        // A first visit: the topic's last id, then live events.
        auto fresh = co_await HttpClient::connect(port);
        co_await fresh.write(get_request("/primed"));
        // The raw bytes: the head, then the first chunk.
        std::string bytes;
        std::size_t head_end = std::string::npos;
        for (;;) { // (no co_await in a loop condition: g++ 12 miscompiles it)
            head_end = bytes.find("\r\n\r\n");
            if (head_end != std::string::npos && bytes.find("\n\n", head_end + 4) != std::string::npos)
                break;
            std::array<char, 256> chunk{};
            auto [ec, n] = co_await fresh.socket().async_read_some(asio::buffer(chunk), use_tuple);
            BOOST_REQUIRE(!ec);
            bytes.append(chunk.data(), n);
        }
        BOOST_TEST(bytes.starts_with("HTTP/1.1 200"));
        // Right after the head: one chunk holding the id-only event.
        const std::string after_head = bytes.substr(head_end + 4);
        const std::string primed = "id: " + epoch + "-3\n\n";
        const auto size_line_end = after_head.find("\r\n");
        BOOST_REQUIRE(size_line_end != std::string::npos);
        BOOST_TEST(after_head.substr(size_line_end + 2, primed.size()) == primed, after_head);
        BOOST_TEST(after_head.find("data:") == std::string::npos, after_head);

        // A reconnect after id 1: that id, then the replay of 2 and 3.
        const std::vector<std::string> resume{"Last-Event-ID: " + epoch + "-1"};
        auto back = co_await HttpClient::open(port, get_request("/primed", resume));
        auto events = co_await back.read_events(3);
        BOOST_TEST(events[0] == "id: " + epoch + "-1");
        BOOST_TEST(events[1] == "id: " + epoch + "-2\ndata: old 2");
        BOOST_TEST(events[2] == "id: " + epoch + "-3\ndata: old 3");
    }());
    topic.close();
}

BOOST_AUTO_TEST_SUITE_END()
