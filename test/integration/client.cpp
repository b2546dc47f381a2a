// The SSE client over loopback: against ssekit's own server, and against
// small raw-socket servers that send what a well-behaved server would not.

#include <ssekit/client.hpp>

#include "../support/print.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <ssekit/delay.hpp>
#include <ssekit/error.hpp>
#include <ssekit/response.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using namespace std::string_literals;
using ssekit::EventSource;
using ssekit::ReceivedEvent;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::run_awaitable;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string url(std::uint16_t port, std::string_view path)
{
    return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

// The error code next() throws, or none.
asio::awaitable<boost::system::error_code> next_error(EventSource& source)
{
    try {
        co_await source.next();
    } catch (const boost::system::system_error& e) {
        co_return e.code();
    }
    co_return boost::system::error_code{};
}

/// A raw HTTP server on 127.0.0.1:0, on the test's io_context: every
/// connection's request head is recorded, then `script` writes what it likes
/// and the connection is closed.
class RawServer {
public:
    using Script = std::function<asio::awaitable<void>(tcp::socket&, std::size_t connection)>;

    RawServer(asio::io_context& io, Script script)
        : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), script_(std::move(script))
    {
        asio::co_spawn(io, accept_loop(), [this](std::exception_ptr e) { keep(e); });
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    const std::vector<std::string>& requests() const { return requests_; }
    /// What a script threw, if anything.
    std::exception_ptr error() const { return error_; }

private:
    void keep(std::exception_ptr e)
    {
        if (e && !error_)
            error_ = e;
    }

    asio::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec)
                co_return;
            asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), [this](std::exception_ptr e) { keep(e); });
        }
    }

    asio::awaitable<void> serve(tcp::socket socket)
    {
        std::string request;
        auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n", use_tuple);
        if (ec)
            co_return;
        requests_.push_back(request.substr(0, n));
        co_await script_(socket, requests_.size());
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    tcp::acceptor acceptor_;
    Script script_;
    std::vector<std::string> requests_;
    std::exception_ptr error_;
};

asio::awaitable<void> write(tcp::socket& socket, std::string_view bytes)
{
    co_await asio::async_write(socket, asio::buffer(bytes), asio::use_awaitable);
}

const std::string stream_head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(client)

BOOST_AUTO_TEST_CASE(receives_the_events_in_order_with_type_and_id)
{
    ssekit::test::ThreadedServer server;
    std::promise<std::string> token;
    server.server().sse("/events", [&](ServerSSESession& session) -> asio::awaitable<void> {
        token.set_value(std::string(session.call().header("X-Token").value_or("<none>")));
        for (int i = 0; i < 100; ++i) {
            ServerSentEvent ev{.data = "event " + std::to_string(i) + "\nline 2", .id = std::to_string(i)};
            if (i % 2 == 1)
                ev.event = "odd";
            co_await session.send(ev);
        }
    });
    auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/events"),
                       ssekit::ClientOptions{.headers = {{"X-Token", "abc"}}, .once = true});
    auto events = run_awaitable(io, [&]() -> asio::awaitable<std::vector<ReceivedEvent>> {
        std::vector<ReceivedEvent> received;
        for (;;) {
            auto ev = co_await source.next();
            if (!ev)
                break;
            received.push_back(*ev);
        }
        co_return received;
    }());

    BOOST_TEST(token.get_future().get() == "abc");
    BOOST_REQUIRE(events.size() == 100u);
    for (int i = 0; i < 100; ++i) {
        BOOST_TEST(events[i].data == "event " + std::to_string(i) + "\nline 2");
        BOOST_TEST(events[i].id == std::to_string(i));
        BOOST_TEST(events[i].type == (i % 2 == 1 ? "odd" : "message"));
    }
    BOOST_TEST(source.connections() == 1u);
}

BOOST_AUTO_TEST_CASE(reconnects_after_the_retry_time_sending_the_last_event_id)
{
    ssekit::test::ThreadedServer server;
    std::atomic<int> connections{0};
    std::promise<std::string> second_last_event_id;
    server.server().sse("/drop", [&](ServerSSESession& session) -> asio::awaitable<void> {
        const int n = ++connections;
        if (n == 1) {
            const ServerSentEvent retry{.retry = 20ms};
            const ServerSentEvent one{.data = "a", .id = "1"};
            const ServerSentEvent two{.data = "b", .id = "2"};
            co_await session.send(retry);
            co_await session.send(one);
            co_await session.send(two);
            co_return; // the stream ends: the client must come back
        }
        if (n == 2) {
            second_last_event_id.set_value(std::string(session.last_event_id().value_or("<none>")));
            const ServerSentEvent three{.data = "c", .id = "3"};
            co_await session.send(three);
        }
    });
    auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/drop"));
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto a = co_await source.next();
        auto b = co_await source.next();
        const auto dropped = std::chrono::steady_clock::now();
        auto c = co_await source.next();
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - dropped).count();
        BOOST_REQUIRE(a && b && c);
        BOOST_TEST(a->data == "a");
        BOOST_TEST(b->id == "2");
        BOOST_TEST(c->data == "c");
        BOOST_TEST(c->id == "3");
        BOOST_TEST(waited >= 20); // the server's retry, not the default 3 s
        BOOST_TEST(waited < 2000);
    }());
    BOOST_TEST(second_last_event_id.get_future().get() == "2");
    BOOST_TEST(source.retry().count() == 20);
    BOOST_TEST(source.connections() >= 2u);
}

BOOST_AUTO_TEST_CASE(no_content_stops_without_reconnecting)
{
    ssekit::test::ThreadedServer server;
    std::atomic<int> requests{0};
    server.server().get("/gone", [&](const ssekit::Request&) {
        ++requests;
        return ssekit::Response{.status = boost::beast::http::status::no_content, .body = ""};
    });
    auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/gone"), ssekit::ClientOptions{.retry = 1ms});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto first = co_await source.next();
        auto again = co_await source.next();
        BOOST_TEST(!first);
        BOOST_TEST(!again);
    }());
    BOOST_TEST(requests == 1);
    BOOST_TEST(source.connections() == 0u);
}

BOOST_AUTO_TEST_CASE(other_status_fails_with_unexpected_status_and_no_reconnect)
{
    ssekit::test::ThreadedServer server;
    std::atomic<int> requests{0};
    server.server().get("/broken", [&](const ssekit::Request&) {
        ++requests;
        return ssekit::Response::status_only(boost::beast::http::status::internal_server_error);
    });
    auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/broken"), ssekit::ClientOptions{.retry = 1ms});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto ec = co_await next_error(source);
        BOOST_TEST(ec == ssekit::error::unexpected_status);
        auto after = co_await source.next();
        BOOST_TEST(!after);
    }());
    BOOST_TEST(requests == 1);
}

BOOST_AUTO_TEST_CASE(wrong_content_type_fails_with_unexpected_content_type_and_no_reconnect)
{
    ssekit::test::ThreadedServer server;
    std::atomic<int> requests{0};
    server.server().get("/text", [&](const ssekit::Request&) {
        ++requests;
        return ssekit::Response::text("data: not an event stream\n\n");
    });
    auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/text"), ssekit::ClientOptions{.retry = 1ms});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto ec = co_await next_error(source);
        BOOST_TEST(ec == ssekit::error::unexpected_content_type);
    }());
    BOOST_TEST(requests == 1);
}

BOOST_AUTO_TEST_CASE(cancelling_a_pending_next_completes_at_once_and_closes_the_socket)
{
    ssekit::test::ThreadedServer server;
    std::promise<void> handler_cancelled;
    server.server().sse("/quiet", [&](ServerSSESession& session) -> asio::awaitable<void> {
        const ServerSentEvent hello{.data = "hello"};
        co_await session.send(hello);
        try {
            co_await ssekit::delay(1h);
        } catch (const boost::system::system_error&) {
            // The client closed its socket: the handler's delay is cancelled.
            handler_cancelled.set_value();
            throw;
        }
    });
    auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/quiet"));
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        co_await asio::this_coro::throw_if_cancelled(false);
        auto hello = co_await source.next();
        BOOST_TEST((hello && hello->data == "hello"));

        asio::steady_timer timer(io, 50ms);
        const auto start = std::chrono::steady_clock::now();
        auto [order, error, event, timer_ec] =
            co_await asio::experimental::make_parallel_group(asio::co_spawn(io, source.next(), asio::deferred),
                                                             timer.async_wait(asio::deferred))
                .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
        BOOST_TEST(order[0] == 1u); // the timer won
        const bool prompt = std::chrono::steady_clock::now() - start < 2s;
        BOOST_TEST(prompt);
        BOOST_REQUIRE(error);
        try {
            std::rethrow_exception(error);
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == asio::error::operation_aborted);
        }
        auto after = co_await source.next();
        BOOST_TEST(!after);
    }());
    BOOST_TEST((handler_cancelled.get_future().wait_for(10s) == std::future_status::ready));
}

BOOST_AUTO_TEST_CASE(refuses_https_and_non_urls_at_construction)
{
    asio::io_context io;
    for (const char* bad : {"https://example.com/events", "ftp://example.com/", "not a url", "http:///path"}) {
        try {
            EventSource source(io.get_executor(), bad);
            BOOST_ERROR("accepted " << bad);
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == ssekit::error::unsupported_url, bad);
        }
    }
    BOOST_CHECK_THROW(EventSource(io.get_executor(), "http://h/", ssekit::ClientOptions{.headers = {{"X", "a\r\nb"}}}),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_dropped_connection_resumes_from_the_last_event_id_until_204)
{
    asio::io_context io;
    RawServer server(io, [](tcp::socket& socket, std::size_t connection) -> asio::awaitable<void> {
        if (connection == 1) {
            // Content-Type parameters are fine; the stream is cut in the middle
            // of an event, without a last chunk or anything.
            co_await write(socket, "HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n");
            co_await write(socket, "2b\r\nretry: 10\nid: 1\ndata: a\n\nid: 2\ndata: partial\r\n");
        } else {
            co_await write(socket, "HTTP/1.1 204 No Content\r\n\r\n");
        }
    });
    EventSource source(io.get_executor(), url(server.port(), "/events?x=1"),
                       ssekit::ClientOptions{.headers = {{"Authorization", "Bearer t"}}, .last_event_id = "0"});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto a = co_await source.next();
        auto end = co_await source.next();
        BOOST_TEST((a && a->data == "a" && a->id == "1"));
        BOOST_TEST(!end);
    }());
    BOOST_REQUIRE(!server.error());
    BOOST_REQUIRE(server.requests().size() == 2u);
    const std::string& first = server.requests()[0];
    BOOST_TEST(first.starts_with("GET /events?x=1 HTTP/1.1\r\n"));
    BOOST_TEST(first.find("\r\nAccept: text/event-stream\r\n") != std::string::npos);
    BOOST_TEST(first.find("\r\nAuthorization: Bearer t\r\n") != std::string::npos);
    BOOST_TEST(first.find("\r\nLast-Event-ID: 0\r\n") != std::string::npos, first);
    // The unterminated event with id 2 never happened.
    BOOST_TEST(server.requests()[1].find("\r\nLast-Event-ID: 1\r\n") != std::string::npos, server.requests()[1]);
}

BOOST_AUTO_TEST_CASE(a_ten_mib_line_fails_with_line_too_long)
{
    asio::io_context io;
    std::size_t written = 0;
    RawServer server(io, [&](tcp::socket& socket, std::size_t) -> asio::awaitable<void> {
        co_await write(socket, stream_head + "data: ");
        const std::string block(64 * 1024, 'x');
        while (written < 10 * 1024 * 1024) {
            auto [ec, n] = co_await asio::async_write(socket, asio::buffer(block), use_tuple);
            if (ec)
                co_return; // the client gave up and closed
            written += n;
        }
        co_await write(socket, "\n\n");
    });
    EventSource source(io.get_executor(), url(server.port(), "/"));
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto ec = co_await next_error(source);
        BOOST_TEST(ec == ssekit::error::line_too_long);
        auto after = co_await source.next();
        BOOST_TEST(!after);
    }());
    BOOST_TEST(!server.error());
    BOOST_TEST(server.requests().size() == 1u); // no reconnection
}

BOOST_AUTO_TEST_CASE(nul_bytes_stay_in_data_and_void_an_id)
{
    asio::io_context io;
    RawServer server(io, [](tcp::socket& socket, std::size_t) -> asio::awaitable<void> {
        co_await write(socket, stream_head + "id: 1\ndata: a\0b\n\nid: 2\0\ndata: \0\n\n"s);
    });
    EventSource source(io.get_executor(), url(server.port(), "/"), ssekit::ClientOptions{.once = true});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto first = co_await source.next();
        auto second = co_await source.next();
        auto end = co_await source.next();
        BOOST_REQUIRE((first && second));
        BOOST_TEST(first->data == "a\0b"s);
        BOOST_TEST(second->data == "\0"s);
        BOOST_TEST(second->id == "1");
        BOOST_TEST(!end);
    }());
}

BOOST_AUTO_TEST_CASE(a_response_dribbled_one_byte_per_write_parses_the_same)
{
    asio::io_context io;
    const std::string events = "\xEF\xBB\xBF: hi\r\nevent: e\r\nid: 7\r\ndata: one\r\ndata: two\r\n\r\ndata: three\r\r";
    std::string chunked;
    for (std::size_t at = 0; at < events.size(); at += 10) {
        std::string piece = events.substr(at, 10);
        char size[8];
        std::snprintf(size, sizeof size, "%zx", piece.size());
        chunked += size + "\r\n"s + piece + "\r\n";
    }
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                 chunked + "0\r\n\r\n";
    RawServer server(io, [&](tcp::socket& socket, std::size_t) -> asio::awaitable<void> {
        for (char c : response)
            co_await write(socket, std::string_view(&c, 1));
    });
    EventSource source(io.get_executor(), url(server.port(), "/"),
                       ssekit::ClientOptions{.once = true, .parser = {.show_comments = true}});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        std::vector<ReceivedEvent> received;
        for (;;) {
            auto ev = co_await source.next();
            if (!ev)
                break;
            received.push_back(*ev);
        }
        BOOST_REQUIRE(received.size() == 3u);
        BOOST_TEST((received[0].kind == ssekit::EventKind::comment));
        BOOST_TEST(received[0].data == "hi");
        BOOST_TEST(received[1].type == "e");
        BOOST_TEST(received[1].id == "7");
        BOOST_TEST(received[1].data == "one\ntwo");
        BOOST_TEST(received[2].data == "three");
        BOOST_TEST(received[2].type == "message");
    }());
    BOOST_TEST(!server.error());
}

BOOST_AUTO_TEST_CASE(a_body_ended_by_the_close_is_read_to_its_end)
{
    asio::io_context io;
    RawServer server(io, [](tcp::socket& socket, std::size_t) -> asio::awaitable<void> {
        co_await write(socket, "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                               "data: a\n\nid: 2\ndata: b\n\ndata: unterminated\n");
    });
    EventSource source(io.get_executor(), url(server.port(), "/"), ssekit::ClientOptions{.once = true});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto a = co_await source.next();
        auto b = co_await source.next();
        auto end = co_await source.next();
        BOOST_TEST((a && a->data == "a"));
        BOOST_TEST((b && b->data == "b" && b->id == "2"));
        BOOST_TEST(!end);
    }());
    BOOST_TEST(source.last_event_id() == "2");
}

// Races next() with a 50 ms timer; returns what next() threw.
asio::awaitable<std::exception_ptr> next_against_timer(EventSource& source)
{
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, 50ms);
    auto [order, error, event, timer_ec] =
        co_await asio::experimental::make_parallel_group(asio::co_spawn(executor, source.next(), asio::deferred),
                                                         timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    BOOST_TEST(order[0] == 1u); // the timer won
    co_return error;
}

bool is_operation_aborted(std::exception_ptr error)
{
    try {
        std::rethrow_exception(error);
    } catch (const boost::system::system_error& e) {
        return e.code() == asio::error::operation_aborted;
    } catch (...) {
        return false;
    }
}

BOOST_AUTO_TEST_CASE(a_cancelled_next_closes_the_socket_the_server_sees_it)
{
    asio::io_context io;
    std::optional<boost::system::error_code> server_read;
    asio::steady_timer server_done(io, std::chrono::steady_clock::time_point::max());
    RawServer server(io, [&](tcp::socket& socket, std::size_t) -> asio::awaitable<void> {
        co_await write(socket, stream_head + "data: hello\n\n");
        char byte;
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(&byte, 1), use_tuple);
        server_read = ec;
        server_done.cancel();
    });
    EventSource source(io.get_executor(), url(server.port(), "/"));
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        co_await asio::this_coro::throw_if_cancelled(false);
        auto hello = co_await source.next();
        BOOST_TEST((hello && hello->data == "hello"));
        auto error = co_await next_against_timer(source);
        BOOST_TEST(is_operation_aborted(error));
        // The server's read ends with the client's close.
        if (!server_read)
            co_await server_done.async_wait(use_tuple);
    }(), 5s);
    BOOST_TEST((server_read && (*server_read == asio::error::eof || *server_read == asio::error::connection_reset)));
}

BOOST_AUTO_TEST_CASE(cancelling_during_the_reconnection_wait_completes_at_once)
{
    asio::io_context io;
    RawServer server(io, [](tcp::socket& socket, std::size_t) -> asio::awaitable<void> {
        co_await write(socket, stream_head + "retry: 3600000\ndata: a\n\n");
    });
    EventSource source(io.get_executor(), url(server.port(), "/"));
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        co_await asio::this_coro::throw_if_cancelled(false);
        auto a = co_await source.next();
        BOOST_TEST((a && a->data == "a"));
        // The stream has ended; next() waits an hour before reconnecting.
        auto error = co_await next_against_timer(source);
        BOOST_TEST(is_operation_aborted(error));
        auto after = co_await source.next();
        BOOST_TEST(!after);
    }(), 5s);
    BOOST_TEST(server.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(gives_up_after_max_reconnect_attempts_with_the_network_error)
{
    asio::io_context io;
    // A port with nobody listening: bind one, then close it.
    std::uint16_t port = 0;
    {
        tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = probe.local_endpoint().port();
    }
    EventSource source(io.get_executor(), url(port, "/"),
                       ssekit::ClientOptions{.retry = 1ms, .max_reconnect_attempts = 3, .backoff_multiplier = 2.0,
                                             .jitter = 0.5});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto ec = co_await next_error(source);
        BOOST_TEST(ec == asio::error::connection_refused);
    }());
}

BOOST_AUTO_TEST_SUITE_END()
