// A handler decides before its stream starts: it may answer a plain status
// instead (refusal), add headers, or fail with a 500; the head goes out
// only once it starts the stream.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/print.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::raw_response;
using ssekit::test::run_awaitable;

BOOST_AUTO_TEST_SUITE(stream_refusal)

BOOST_AUTO_TEST_CASE(a_handler_refuses_with_401_and_its_headers_then_the_connection_closes)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/private", [](ServerSSESession& session) -> asio::awaitable<void> {
        if (!session.call().header("Authorization")) {
            ssekit::Response refusal = ssekit::Response::status_only(http::status::unauthorized);
            refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
            session.respond(refusal);
            co_return;
        }
        co_await session.send("secret");
    });
    auto port = server.start();

    std::string raw = raw_response(port, get_request("/private"));
    BOOST_TEST(raw.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
    BOOST_TEST(raw.find("\r\nWWW-Authenticate: Bearer\r\n") != std::string::npos);
    BOOST_TEST(raw.find("\r\nConnection: close\r\n") != std::string::npos);
    BOOST_TEST(raw.find("text/event-stream") == std::string::npos);
    BOOST_TEST(raw.ends_with("\r\n\r\n401 Unauthorized\n"));

    std::string allowed = raw_response(port, get_request("/private", {"Authorization: Bearer x"}));
    BOOST_TEST(allowed.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST(allowed.find("data: secret\n\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_refusal_decided_after_an_asynchronous_lookup_still_replaces_the_stream)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/rooms/{room}", [](ServerSSESession& session) -> asio::awaitable<void> {
        co_await ssekit::delay(30ms); // the room lookup
        if (session.call().path_param("room") != "lobby") {
            session.respond(ssekit::Response::status_only(http::status::not_found));
            co_return;
        }
        co_await session.send("welcome");
    });
    auto port = server.start();

    BOOST_TEST(raw_response(port, get_request("/rooms/nowhere")).starts_with("HTTP/1.1 404 Not Found\r\n"));
    BOOST_TEST(raw_response(port, get_request("/rooms/lobby")).starts_with("HTTP/1.1 200 OK\r\n"));
}

BOOST_AUTO_TEST_CASE(a_204_refusal_has_no_body)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/done", [](ServerSSESession& session) -> asio::awaitable<void> {
        session.respond(ssekit::Response::status_only(http::status::no_content));
        co_return;
    });
    auto port = server.start();
    std::string raw = raw_response(port, get_request("/done"));
    BOOST_TEST(raw.starts_with("HTTP/1.1 204 No Content\r\n"));
    BOOST_TEST(raw.ends_with("\r\n\r\n"));
    BOOST_TEST(raw.find("Content-Length") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_handler_that_throws_before_the_head_gets_500)
{
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.on_handler_error = [](auto&&...) {}});
    server.server().sse("/broken", [](ServerSSESession&) -> asio::awaitable<void> {
        co_await ssekit::delay(1ms);
        throw std::runtime_error("lookup failed");
    });
    auto port = server.start();
    std::string raw = raw_response(port, get_request("/broken"));
    BOOST_TEST(raw.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    BOOST_TEST(raw.find("text/event-stream") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_filter_that_throws_during_the_replay_gets_500_without_the_replayed_events)
{
    ssekit::Topic topic;
    for (int i = 0; i < 3; ++i) {
        ssekit::ServerSentEvent event{.data = "replayed " + std::to_string(i)};
        topic.publish(event);
    }
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.on_handler_error = [](auto&&...) {}});
    server.server().sse("/replay", [&](ServerSSESession& session) -> asio::awaitable<void> {
        ssekit::FollowOptions options{.filter = [](const ssekit::PublishedEvent& event) -> bool {
            if (event.offset() == 3)
                throw std::runtime_error("filter failed");
            return true;
        }};
        co_await session.follow(topic, options);
    });
    auto port = server.start();
    // Offset 0: before the first event, so the whole log is replayed.
    std::string raw = raw_response(port, get_request("/replay", {"Last-Event-ID: " + topic.stats().epoch + "-0"}));
    BOOST_TEST(raw.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    BOOST_TEST(raw.find("replayed") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(headers_added_before_the_head_go_out_with_it)
{
    ssekit::test::ThreadedServer server;
    server.server().sse("/tagged", [](ServerSSESession& session) -> asio::awaitable<void> {
        session.add_header("X-Room", "lobby");
        co_await session.send("hi");
    });
    auto port = server.start();
    std::string raw = raw_response(port, get_request("/tagged"));
    BOOST_TEST(raw.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST(raw.find("\r\nX-Room: lobby\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(headers_and_refusals_after_the_head_or_with_line_breaks_are_refused_at_the_call)
{
    std::promise<std::vector<boost::system::error_code>> codes;
    ssekit::test::ThreadedServer server;
    server.server().sse("/late", [&](ServerSSESession& session) -> asio::awaitable<void> {
        std::vector<boost::system::error_code> seen;
        auto attempt = [&](auto call) {
            try {
                call();
                seen.emplace_back();
            } catch (const boost::system::system_error& e) {
                seen.push_back(e.code());
            }
        };
        attempt([&] { session.add_header("X-Split", "a\r\nSet-Cookie: b"); });
        attempt([&] { session.add_header("Bad Name", "x"); });
        co_await session.send("started");
        attempt([&] { session.add_header("X-Late", "x"); });
        attempt([&] { session.respond(ssekit::Response::status_only(http::status::forbidden)); });
        codes.set_value(seen);
    });
    auto port = server.start();
    std::string raw = raw_response(port, get_request("/late"));
    BOOST_TEST(raw.find("Set-Cookie") == std::string::npos);
    BOOST_TEST(raw.find("data: started\n\n") != std::string::npos);
    auto future = codes.get_future();
    BOOST_REQUIRE(future.wait_for(5s) == std::future_status::ready);
    auto seen = future.get();
    BOOST_REQUIRE(seen.size() == 4u);
    BOOST_TEST(seen[0] == ssekit::error::invalid_field);
    BOOST_TEST(seen[1] == ssekit::error::invalid_field);
    BOOST_TEST(seen[2] == ssekit::error::response_started);
    BOOST_TEST(seen[3] == ssekit::error::response_started);
}

BOOST_AUTO_TEST_CASE(flush_headers_opens_the_stream_before_any_event)
{
    ssekit::test::ThreadedServer server;
    std::promise<void> head_read;
    server.server().sse("/slow", [&](ServerSSESession& session) -> asio::awaitable<void> {
        session.flush_headers();
        co_await ssekit::delay(1h); // the client leaves first
    });
    auto port = server.start();
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto client = co_await HttpClient::open(port, get_request("/slow"));
        BOOST_TEST(client.response().result() == http::status::ok);
    }());
}

BOOST_AUTO_TEST_SUITE_END()
