// What an SSE client sees on the wire: the response head, the events, and
// the clean end of the stream, over real loopback sockets.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/describe/class.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::raw_response;
using ssekit::test::run_awaitable;

namespace {

struct Customer {
    int id;
    std::string first_name;
};
BOOST_DESCRIBE_STRUCT(Customer, (), (id, first_name))

} // namespace

BOOST_AUTO_TEST_SUITE(sse_stream)

BOOST_AUTO_TEST_CASE(response_is_exact_chunked_event_stream_ending_with_the_last_chunk)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/events", [](ServerSSESession& session) -> asio::awaitable<void> {
        const ServerSentEvent one{.data = "one"};
        const ServerSentEvent two{.data = "two", .event = "e", .id = "2"};
        co_await session.send(one);
        co_await session.send(two);
    });
    auto port = server.start();

    std::string raw = raw_response(port, get_request("/events"));
    const std::string head = "HTTP/1.1 200 OK\r\n"
                             "Content-Type: text/event-stream\r\n"
                             "Cache-Control: no-store\r\n"
                             "X-Accel-Buffering: no\r\n"
                             "Connection: close\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n";
    BOOST_REQUIRE(raw.starts_with(head));
    BOOST_TEST(raw.ends_with("\r\n0\r\n\r\n"));

    auto [body, complete] = ssekit::test::stream_body(port, get_request("/events"));
    BOOST_TEST(complete);
    BOOST_TEST(body == "data: one\n\nevent: e\nid: 2\ndata: two\n\n");
}

BOOST_AUTO_TEST_CASE(http_1_0_client_gets_a_body_delimited_by_the_close)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/events", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("hello");
    });
    auto port = server.start();

    std::string raw = raw_response(port, "GET /events HTTP/1.0\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.0 200 OK\r\n"));
    BOOST_TEST(raw.find("Transfer-Encoding") == std::string::npos);
    BOOST_TEST(raw.ends_with("\r\n\r\ndata: hello\n\n"));
}

BOOST_AUTO_TEST_CASE(close_ends_the_stream_early_and_later_sends_fail_with_session_closed)
{
    // Boost.Test is not thread-safe: the handler reports through promises.
    std::promise<boost::system::error_code> send_after_close;
    std::promise<bool> closed_after_close;
    ssekit::test::ThreadedServer server;
    server.server().sse("/events", [&](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("before");
        session.close();
        closed_after_close.set_value(session.is_closed());
        boost::system::error_code ec;
        try {
            co_await session.send("after");
        } catch (const boost::system::system_error& e) {
            ec = e.code();
        }
        send_after_close.set_value(ec);
    });
    auto port = server.start();

    auto [body, complete] = ssekit::test::stream_body(port, get_request("/events"));
    BOOST_TEST(complete);
    BOOST_TEST(body == "data: before\n\n");
    auto closed = closed_after_close.get_future();
    BOOST_REQUIRE(closed.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(closed.get());
    auto outcome = send_after_close.get_future();
    BOOST_REQUIRE(outcome.wait_for(5s) == std::future_status::ready);
    // Either refusal is clear and writes nothing: the session is closed, and
    // close() also cancelled the handler's next wait.
    auto ec = outcome.get();
    BOOST_TEST((ec == make_error_code(ssekit::error::session_closed) || ec == asio::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(invalid_event_is_refused_and_nothing_is_written)
{
    std::promise<boost::system::error_code> refused;
    ssekit::test::ThreadedServer server;
    server.server().sse("/events", [&](ServerSSESession& session) -> asio::awaitable<void> {
        try {
            const ServerSentEvent bad{.data = "x", .id = "bad\nid"};
            co_await session.send(bad);
        } catch (const boost::system::system_error& e) {
            refused.set_value(e.code());
        }
        co_await session.send("ok");
    });
    auto port = server.start();

    auto [body, complete] = ssekit::test::stream_body(port, get_request("/events"));
    BOOST_TEST(body == "data: ok\n\n");
    auto refusal = refused.get_future();
    BOOST_REQUIRE(refusal.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(refusal.get() == make_error_code(ssekit::error::invalid_field));
}

BOOST_AUTO_TEST_CASE(throwing_handler_reaches_the_hook_and_its_queued_events_are_flushed)
{
    std::promise<std::string> reported;
    ssekit::ServerOptions options;
    options.on_handler_error = [&](const ssekit::Request& request, std::exception_ptr error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            reported.set_value(std::string(request.path()) + ": " + e.what());
        }
    };
    ssekit::test::ThreadedServer server(options);
    server.server().sse("/boom", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("last words");
        throw std::runtime_error("handler failed");
    });
    server.server().get("/alive", [](const ssekit::Request&) { return ssekit::Response::text("yes"); });
    auto port = server.start();

    auto [body, complete] = ssekit::test::stream_body(port, get_request("/boom"));
    BOOST_TEST(complete);
    BOOST_TEST(body == "data: last words\n\n");
    auto report = reported.get_future();
    BOOST_REQUIRE(report.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(report.get() == "/boom: handler failed");

    // Only that session ended: the server still answers.
    asio::io_context io;
    auto alive = run_awaitable(io, ssekit::test::fetch(port, get_request("/alive")));
    BOOST_TEST(alive.body() == "yes");
}

BOOST_AUTO_TEST_CASE(call_exposes_path_params_query_headers_and_last_event_id)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/rooms/{room}", [](ServerSSESession& session) -> asio::awaitable<void> {
        const ssekit::Request& call = session.call();
        std::string summary = std::string(call.method_string()) + " " + call.path() + " room=" +
                              std::string(call.path_param("room").value_or("?")) +
                              " since=" + std::string(call.query("since").value_or("?")) +
                              " agent=" + std::string(call.header("user-agent").value_or("?")) +
                              " last=" + std::string(session.last_event_id().value_or("none"));
        co_await session.send(summary);
    });
    auto port = server.start();

    auto body = ssekit::test::stream_body(
                    port, get_request("/rooms/blue%20room?since=a%26b", {"User-Agent: probe", "Last-Event-ID: 41"}))
                    .body;
    BOOST_TEST(body == "data: GET /rooms/blue room room=blue room since=a&b agent=probe last=41\n\n");
}

BOOST_AUTO_TEST_CASE(typed_values_are_sent_as_json_by_the_route_serializer)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/json", [](ServerSSESession& session) -> asio::awaitable<void> {
        const Customer ada{7, "Ada"};
        co_await session.send(ada);
        const std::vector<int> numbers{1, 2};
        co_await session.send(numbers);
    });
    server.server().sse(
        "/wrapped",
        [](ServerSSESession& session) -> asio::awaitable<void> {
            const Customer bo{8, "Bo"};
            co_await session.send(bo);
        },
        ssekit::SseRouteOptions{.serialize = [](const boost::json::value& v) {
            return "{\"payload\":" + boost::json::serialize(v) + "}";
        }});
    server.server().sse("/custom", [](ServerSSESession& session) -> asio::awaitable<void> {
        const Customer cy{9, "Cy"};
        co_await session.send(cy, [](const Customer& c) { return c.first_name + "#" + std::to_string(c.id); });
    });
    auto port = server.start();

    auto body_of = [&](const char* path) { return ssekit::test::stream_body(port, get_request(path)).body; };
    BOOST_TEST(body_of("/json") == "data: {\"id\":7,\"first_name\":\"Ada\"}\n\ndata: [1,2]\n\n");
    BOOST_TEST(body_of("/wrapped") == "data: {\"payload\":{\"id\":8,\"first_name\":\"Bo\"}}\n\n");
    BOOST_TEST(body_of("/custom") == "data: Cy#9\n\n");
}

BOOST_AUTO_TEST_CASE(fallback_route_streams_any_unrouted_get_path)
{
    ssekit::test::ThreadedServer server;
    server.server().sse([](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("fallback " + session.call().path());
    });
    auto port = server.start();

    std::string raw = raw_response(port, get_request("/any/where"));
    BOOST_TEST(raw.find("data: fallback /any/where\n\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
