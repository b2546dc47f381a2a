// SSE routes that answer POST: the request body says what to stream (as
// LLM APIs and MCP's streamable HTTP do), served by ssekit and read by its
// EventSource client, over loopback.

#include <ssekit/client.hpp>

#include "../support/http_client.hpp"
#include "../support/print.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <ssekit/session.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using ssekit::ClientOptions;
using ssekit::EventSource;
using ssekit::ReceivedEvent;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

std::string url(std::uint16_t port, std::string_view path)
{
    return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

/// One event per word of the request body, then the stream ends.
asio::awaitable<void> stream_words(ServerSSESession& session)
{
    std::istringstream words{std::string(session.call().body())};
    for (std::string word; words >> word;) {
        const ServerSentEvent event{.data = word};
        co_await session.send(event);
    }
}

/// Every event until the stream ends for good.
asio::awaitable<std::vector<std::string>> read_all(EventSource& source)
{
    std::vector<std::string> data;
    while (auto event = co_await source.next())
        data.push_back(event->data);
    co_return data;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sse_on_post)

BOOST_AUTO_TEST_CASE(a_post_route_streams_what_the_request_body_asks_for_to_the_client)
{
    ssekit::test::ThreadedServer server;
    std::mutex mutex;
    std::string content_type;
    server.server().sse(http::verb::post, "/generate", [&](ServerSSESession& session) -> asio::awaitable<void> {
        {
            std::lock_guard lock(mutex);
            content_type = session.call().header("Content-Type").value_or("<none>");
        }
        co_await stream_words(session);
    });
    const auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/generate"),
                       ClientOptions{.method = "POST",
                                     .body = "tokens one by one",
                                     .headers = {{"Content-Type", "text/plain"}},
                                     .once = true});
    const auto data = run_awaitable(io, read_all(source));
    BOOST_TEST(data == (std::vector<std::string>{"tokens", "one", "by", "one"}));
    std::lock_guard lock(mutex);
    BOOST_TEST(content_type == "text/plain");
}

BOOST_AUTO_TEST_CASE(a_post_stream_reconnects_with_its_body_and_the_last_event_id)
{
    ssekit::test::ThreadedServer server;
    std::mutex mutex;
    std::vector<std::string> bodies;
    std::vector<std::string> last_ids;
    server.server().sse(http::verb::post, "/job", [&](ServerSSESession& session) -> asio::awaitable<void> {
        std::size_t connection = 0;
        {
            std::lock_guard lock(mutex);
            bodies.emplace_back(session.call().body());
            last_ids.emplace_back(session.last_event_id().value_or("<none>"));
            connection = bodies.size();
        }
        if (connection == 1) {
            const ServerSentEvent retry{.retry = 20ms};
            const ServerSentEvent first{.data = "half done", .id = "1"};
            co_await session.send(retry);
            co_await session.send(first);
            co_return; // dropped: the client comes back
        }
        const ServerSentEvent last{.data = "done", .id = "2"};
        co_await session.send(last);
        // 204 on the next reconnect would end it; `once` is not set, so the
        // test stops reading after this event.
    });
    const auto port = server.start();

    asio::io_context io;
    EventSource source(io.get_executor(), url(port, "/job"),
                       ClientOptions{.method = "POST", .body = R"({"job":7})"});
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto first = co_await source.next();
        auto last = co_await source.next();
        BOOST_REQUIRE(first && last);
        BOOST_TEST(first->data == "half done");
        BOOST_TEST(last->data == "done");
        source.close();
    }());
    std::lock_guard lock(mutex);
    BOOST_TEST(bodies == (std::vector<std::string>{R"({"job":7})", R"({"job":7})"}));
    BOOST_TEST(last_ids == (std::vector<std::string>{"<none>", "1"}));
}

BOOST_AUTO_TEST_CASE(get_and_head_on_a_post_stream_get_405_naming_post)
{
    ssekit::test::ThreadedServer server;
    server.server().sse(http::verb::post, "/generate", stream_words);
    const auto port = server.start();

    const std::vector<std::string> methods{"GET", "HEAD"};
    const std::vector<std::string> both_words{"data: a", "data: b"};
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        for (const std::string& method : methods) {
            const std::string request = method + " /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
            HttpClient client = co_await HttpClient::open(port, request);
            BOOST_TEST(client.response().result() == http::status::method_not_allowed, method);
            BOOST_TEST(client.response()["Allow"] == "POST, OPTIONS", method);
        }
        // A plain POST client (curl -d) gets the stream.
        HttpClient post = co_await HttpClient::open(port, ssekit::test::post_request("/generate", "a b"));
        BOOST_TEST(post.response().result() == http::status::ok);
        BOOST_TEST(post.response()["Content-Type"] == "text/event-stream");
        BOOST_TEST(co_await post.read_events(2) == both_words);
    }());
}

BOOST_AUTO_TEST_CASE(a_body_over_max_body_bytes_gets_413_and_the_handler_never_runs)
{
    ssekit::test::ThreadedServer server(ssekit::ServerOptions{.max_body_bytes = 1024});
    std::atomic<int> handlers{0};
    server.server().sse(http::verb::post, "/generate", [&](ServerSSESession&) -> asio::awaitable<void> {
        ++handlers;
        co_return;
    });
    const auto port = server.start();

    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        HttpClient client =
            co_await HttpClient::open(port, ssekit::test::post_request("/generate", std::string(2048, 'x')));
        BOOST_TEST(client.response().result() == http::status::payload_too_large);
    }());
    BOOST_TEST(handlers == 0);
}

BOOST_AUTO_TEST_CASE(a_client_method_that_is_not_a_word_or_a_framing_header_is_refused_when_made)
{
    asio::io_context io;
    const std::string target = "http://127.0.0.1:1/generate";
    BOOST_CHECK_THROW(EventSource(io.get_executor(), target, ClientOptions{.method = "POST /x"}),
                      std::invalid_argument);
    BOOST_CHECK_THROW(EventSource(io.get_executor(), target, ClientOptions{.method = ""}), std::invalid_argument);
    BOOST_CHECK_THROW(EventSource(io.get_executor(), target,
                                  ClientOptions{.method = "POST", .headers = {{"content-length", "3"}}}),
                      std::invalid_argument);
    BOOST_CHECK_THROW(EventSource(io.get_executor(), target,
                                  ClientOptions{.method = "POST", .headers = {{"Transfer-Encoding", "chunked"}}}),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
