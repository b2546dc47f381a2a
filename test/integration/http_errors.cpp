// Plain routes and bad requests: each gets its status, keep-alive holds for
// plain routes, and the server goes on serving everyone else.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

// A server with one plain route, one SSE route and small limits.
struct LimitedServer {
    explicit LimitedServer(ssekit::ServerOptions options = limits()) : server(std::move(options))
    {
        server.server().get("/hello", [](const ssekit::Request&) { return ssekit::Response::text("hello\n"); });
        server.server().post("/echo", [](const ssekit::Request& request) -> asio::awaitable<ssekit::Response> {
            co_return ssekit::Response::text(request.body());
        });
        server.server().get("/empty", [](const ssekit::Request&) {
            return ssekit::Response::status_only(http::status::no_content);
        });
        server.server().get("/fail", [](const ssekit::Request&) -> ssekit::Response {
            throw std::runtime_error("plain handler failed");
        });
        server.server().sse("/events", [](ServerSSESession& session) -> asio::awaitable<void> {
            co_await session.send("x");
        });
        port = server.start();
    }

    static ssekit::ServerOptions limits()
    {
        return {.max_header_bytes = 1024,
                .max_body_bytes = 64,
                .request_timeout = 300ms,
                .on_handler_error = [](const ssekit::Request&, std::exception_ptr) {}};
    }

    // Sends raw bytes on a new connection and reads one response.
    http::response<http::string_body> exchange(const std::string& bytes)
    {
        asio::io_context io;
        return run_awaitable(io, ssekit::test::fetch(port, bytes));
    }

    ssekit::test::ThreadedServer server;
    std::uint16_t port = 0;
};

} // namespace

BOOST_AUTO_TEST_SUITE(http_errors)

BOOST_AUTO_TEST_CASE(plain_routes_answer_and_keep_the_connection_alive)
{
    LimitedServer s;
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::connect(s.port);
        beast::flat_buffer buffer;
        for (int i = 0; i < 3; ++i) {
            co_await client.write(get_request("/hello"));
            http::response<http::string_body> response;
            co_await http::async_read(client.socket(), buffer, response, asio::use_awaitable);
            BOOST_TEST(response.result_int() == 200u);
            BOOST_TEST(response.body() == "hello\n");
            BOOST_TEST(response.keep_alive());
        }
    }());
}

BOOST_AUTO_TEST_CASE(post_body_reaches_the_handler_also_after_100_continue)
{
    LimitedServer s;
    auto response = s.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde");
    BOOST_TEST(response.result_int() == 200u);
    BOOST_TEST(response.body() == "abcde");

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::connect(s.port);
        co_await client.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        std::string interim = co_await client.read_raw_head();
        BOOST_TEST(interim == "HTTP/1.1 100 Continue\r\n\r\n");
        co_await client.write("xyz");
        beast::flat_buffer buffer;
        http::response<http::string_body> final_response;
        co_await http::async_read(client.socket(), buffer, final_response, asio::use_awaitable);
        BOOST_TEST(final_response.body() == "xyz");
    }());
}

BOOST_AUTO_TEST_CASE(unknown_path_gets_404_and_wrong_method_gets_405_with_allow)
{
    LimitedServer s;
    auto missing = s.exchange(get_request("/nowhere"));
    BOOST_TEST(missing.result_int() == 404u);
    auto wrong = s.exchange("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(wrong.result_int() == 405u);
    BOOST_TEST(wrong[http::field::allow] == "GET, HEAD, OPTIONS");
    auto post_to_sse = s.exchange("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    BOOST_TEST(post_to_sse.result_int() == 405u);
    BOOST_TEST(post_to_sse[http::field::allow] == "GET, HEAD, OPTIONS");
}

BOOST_AUTO_TEST_CASE(malformed_request_gets_400)
{
    LimitedServer s;
    BOOST_TEST(s.exchange("NOT A REQUEST\r\n\r\n").result_int() == 400u);
    BOOST_TEST(s.exchange("GET /hello%zz HTTP/1.1\r\nHost: x\r\n\r\n").result_int() == 400u);
    BOOST_TEST(s.exchange("GET * HTTP/1.1\r\nHost: x\r\n\r\n").result_int() == 400u);
    BOOST_TEST(s.exchange("GET ftp://elsewhere/hello HTTP/1.1\r\nHost: x\r\n\r\n").result_int() == 400u);
}

BOOST_AUTO_TEST_CASE(oversized_headers_get_431)
{
    LimitedServer s;
    auto response = s.exchange("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
    BOOST_TEST(response.result_int() == 431u);
}

BOOST_AUTO_TEST_CASE(oversized_body_gets_413)
{
    LimitedServer s;
    auto response =
        s.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b'));
    BOOST_TEST(response.result_int() == 413u);
}

BOOST_AUTO_TEST_CASE(slow_request_head_gets_408_and_idle_connection_is_closed)
{
    LimitedServer s;
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto slow = co_await HttpClient::connect(s.port);
        co_await slow.write("GET /hello HTTP/1.1\r\nHost: x\r\n"); // never finished
        beast::flat_buffer buffer;
        http::response<http::string_body> response;
        co_await http::async_read(slow.socket(), buffer, response, asio::use_awaitable);
        BOOST_TEST(response.result_int() == 408u);

        auto idle = co_await HttpClient::connect(s.port);
        BOOST_TEST(co_await idle.wait_closed());
    }());
}

BOOST_AUTO_TEST_CASE(no_content_answer_is_sent_without_a_body)
{
    LimitedServer s;
    auto response = s.exchange(get_request("/empty"));
    BOOST_TEST(response.result_int() == 204u);
    BOOST_TEST(response.body().empty());
}

BOOST_AUTO_TEST_CASE(plain_handler_exception_gets_500_and_the_server_goes_on)
{
    LimitedServer s;
    BOOST_TEST(s.exchange(get_request("/fail")).result_int() == 500u);
    BOOST_TEST(s.exchange(get_request("/hello")).body() == "hello\n");
}

BOOST_AUTO_TEST_CASE(bad_requests_do_not_disturb_a_stream_in_progress)
{
    LimitedServer s;
    s.server.server().sse("/slow", [](ServerSSESession& session) -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            co_await session.send(std::to_string(i));
            co_await ssekit::delay(30ms);
        }
    });
    asio::io_context io;
    auto body = run_awaitable(io, [&]() -> asio::awaitable<std::string> {
        auto client = co_await HttpClient::open(s.port, get_request("/slow"));
        co_await ssekit::test::fetch(s.port, "garbage\r\n\r\n");
        co_await ssekit::test::fetch(s.port, get_request("/nowhere"));
        co_return co_await client.read_body_to_end();
    }());
    BOOST_TEST(body == "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

BOOST_AUTO_TEST_CASE(connections_over_the_limit_get_503)
{
    ssekit::ServerOptions options = LimitedServer::limits();
    options.max_connections = 2;
    ssekit::test::ThreadedServer server(options);
    server.server().sse("/hold", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("held");
        co_await ssekit::delay(1h);
    });
    auto port = server.start();

    auto open_held = [port]() -> asio::awaitable<HttpClient> {
        auto client = co_await HttpClient::open(port, get_request("/hold"));
        co_await client.read_events(1);
        co_return client;
    };
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto first = co_await open_held();
        auto second = co_await open_held();
        auto refused = co_await ssekit::test::fetch(port, get_request("/hold"));
        BOOST_TEST(refused.result_int() == 503u);
        first.close();
        second.close();
    }());
}

BOOST_AUTO_TEST_CASE(refusals_past_the_linger_cap_are_closed_at_once)
{
    // A refused connection lingers up to a second so that its client can
    // read the 503; at most 64 linger at once (lib/http_connection.cpp).
    // Each one counts in connection_count() while it lingers.
    constexpr std::size_t linger_cap = 64;
    ssekit::ServerOptions options = LimitedServer::limits();
    options.max_connections = 1;
    ssekit::test::ThreadedServer server(options);
    server.server().sse("/hold", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("held");
        co_await ssekit::delay(1h);
    });
    auto port = server.start();

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto held = co_await HttpClient::open(port, get_request("/hold"));
        co_await held.read_events(1);
        // These clients send nothing and keep their sockets open: a lingering
        // refusal waits out its whole second for them.
        std::vector<HttpClient> refused;
        for (std::size_t i = 0; i < linger_cap + 16; ++i) {
            auto client = co_await HttpClient::connect(port);
            std::string head = co_await client.read_raw_head();
            BOOST_TEST_REQUIRE(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
            refused.push_back(std::move(client));
        }
        // Each refusal ends its answer with a FIN (lingering ones half-close):
        // once all are seen, only the last may still be counted, its close
        // seen by the client before the server counted it out.
        for (auto& client : refused)
            BOOST_TEST(co_await client.wait_closed());
        // The held stream, the lingering ones, and that last refusal.
        BOOST_TEST(server.server().connection_count() <= 1 + linger_cap + 1);
        held.close();
    }());
}

BOOST_AUTO_TEST_SUITE_END()
