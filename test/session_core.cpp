// The session engine over an in-memory transport (test/support/test_transport.hpp):
// the test plays the peer byte by byte, so writes split anywhere, a stalled
// peer and a peer leaving are deterministic, with no sockets and no sleeps.

#include "session_core.hpp"

#include "support/test_transport.hpp"

#include <ssekit/delay.hpp>
#include <ssekit/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using ssekit::test::TestPeer;
using ssekit::test::TestTransport;

namespace {

const std::string sse_head_1_1 = "HTTP/1.1 200 OK\r\n"
                                 "Content-Type: text/event-stream\r\n"
                                 "Cache-Control: no-store\r\n"
                                 "X-Accel-Buffering: no\r\n"
                                 "Connection: close\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n";

// The body of `response` as an HTTP client reads it: Beast's parser undoes
// the chunking. `complete`: the response ended where its framing says, with
// nothing after it.
std::string parsed_body(const std::string& response, bool& complete)
{
    complete = false;
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    boost::system::error_code ec;
    std::size_t used = 0;
    while (used < response.size() && !parser.is_done()) {
        used += parser.put(asio::buffer(response.data() + used, response.size() - used), ec);
        if (ec == http::error::need_more)
            break;
        if (ec)
            return "<bad framing: " + ec.message() + ">";
    }
    complete = parser.is_done() && used == response.size();
    return parser.get().body();
}

asio::awaitable<void> send_numbered(ssekit::ServerSSESession& session, int count)
{
    for (int i = 0; i < count; ++i)
        co_await session.send("event " + std::to_string(i));
}

std::string numbered_events(int count)
{
    std::string out;
    for (int i = 0; i < count; ++i)
        out += "data: event " + std::to_string(i) + "\n\n";
    return out;
}

/// One SSE route, one session over a TestTransport, one io_context.
struct SessionFixture {
    asio::io_context context;
    std::shared_ptr<TestPeer> peer = std::make_shared<TestPeer>(context);
    ssekit::ServerOptions options;
    std::shared_ptr<ssekit::detail::ServerShared> shared;
    ssekit::SseRouteOptions route;
    ssekit::SseHandler handler;

    void start(ssekit::SseHandler h, unsigned version = 11, bool writes_need_waiting = false,
               std::size_t write_size = 0)
    {
        handler = std::move(h);
        shared = std::make_shared<ssekit::detail::ServerShared>(options);
        shared->connection_count = 1; // as the acceptor counts it
        ssekit::RouteMatch match;
        match.outcome = ssekit::RouteMatch::Outcome::sse;
        match.sse_handler = &handler;
        match.sse_options = &route;
        ssekit::Request::message_type message{http::verb::get, "/events", version};
        message.set(http::field::host, "example.test");
        ssekit::detail::SessionCore::start<TestTransport>(ssekit::Request(std::move(message)), match, shared, peer,
                                                          writes_need_waiting, write_size);
    }

    /// Runs until nothing is left to do: the session ended and was freed.
    bool run_to_end()
    {
        context.run_for(10s);
        return context.stopped() && shared->connection_count == 0;
    }

    std::string body(bool& complete) const
    {
        const std::string all = peer->received();
        BOOST_REQUIRE_MESSAGE(all.starts_with(sse_head_1_1), "head: " << all.substr(0, 200));
        return parsed_body(all, complete);
    }

    /// The peer got the whole chunked response of send_numbered(count).
    void expect_numbered_stream(int count) const
    {
        bool complete = false;
        BOOST_TEST(body(complete) == numbered_events(count));
        BOOST_TEST(complete);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(session_core)

BOOST_FIXTURE_TEST_CASE(a_handler_s_events_and_the_end_reach_the_peer_as_one_chunked_response, SessionFixture)
{
    start([](ssekit::ServerSSESession& session) { return send_numbered(session, 3); });
    BOOST_REQUIRE(run_to_end());
    expect_numbered_stream(3);
    BOOST_TEST(peer->output_ended());
}

BOOST_FIXTURE_TEST_CASE(a_stream_written_one_byte_at_a_time_arrives_unchanged, SessionFixture)
{
    start([](ssekit::ServerSSESession& session) { return send_numbered(session, 20); }, 11, false, 1);
    BOOST_REQUIRE(run_to_end());
    expect_numbered_stream(20);
}

BOOST_FIXTURE_TEST_CASE(a_transport_that_always_waits_to_write_delivers_the_same_bytes, SessionFixture)
{
    // What a TLS stream does: no write completes at once.
    start([](ssekit::ServerSSESession& session) { return send_numbered(session, 20); }, 11, true, 5);
    BOOST_REQUIRE(run_to_end());
    expect_numbered_stream(20);
}

BOOST_FIXTURE_TEST_CASE(a_peer_taking_a_few_bytes_at_a_time_gets_every_event_in_order, SessionFixture)
{
    peer->stall();
    start([](ssekit::ServerSSESession& session) { return send_numbered(session, 50); });
    int rounds = 0;
    while (!context.stopped() && rounds < 100'000) {
        context.poll();
        peer->take(7); // splits heads, size lines and events anywhere
        ++rounds;
    }
    BOOST_REQUIRE(context.stopped());
    BOOST_TEST(shared->connection_count == 0u);
    expect_numbered_stream(50);
}

BOOST_FIXTURE_TEST_CASE(sends_wait_for_a_stalled_peer_and_the_queue_stays_within_its_bound, SessionFixture)
{
    options.max_queued_bytes = 1000;
    peer->stall();
    int sent = 0;
    std::size_t most_queued = 0;
    const std::string payload(90, 'x'); // 98 bytes encoded
    start([&](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        for (; sent < 100; ++sent) {
            co_await session.send(payload);
            most_queued = std::max(most_queued, session.queued_bytes());
        }
    });
    context.poll();
    BOOST_TEST(sent > 0);
    BOOST_TEST(sent < 100); // the handler waits in send()
    BOOST_TEST(most_queued <= options.max_queued_bytes);
    BOOST_TEST(peer->received().empty());

    peer->take(TestPeer::unlimited);
    BOOST_REQUIRE(run_to_end());
    BOOST_TEST(sent == 100);
    bool complete = false;
    const std::string body_bytes = body(complete);
    BOOST_TEST(complete);
    BOOST_TEST(body_bytes.size() == 100 * (payload.size() + 8));
}

BOOST_FIXTURE_TEST_CASE(a_peer_that_takes_nothing_for_the_write_timeout_is_dropped, SessionFixture)
{
    options.sse_write_timeout = 50ms;
    peer->stall();
    boost::system::error_code send_error;
    start([&](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        try {
            const std::string payload(4000, 'x');
            for (;;)
                co_await session.send(payload);
        } catch (const boost::system::system_error& e) {
            send_error = e.code();
        }
    });
    BOOST_REQUIRE(run_to_end());
    BOOST_TEST(send_error == asio::error::operation_aborted);
    BOOST_TEST(peer->received().empty());
    BOOST_TEST(!peer->output_ended());
}

BOOST_FIXTURE_TEST_CASE(the_peer_leaving_cancels_a_plain_timer_wait_in_the_handler, SessionFixture)
{
    boost::system::error_code wait_result;
    bool handler_returned = false;
    start([&](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.send("hello");
        asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        wait_result = ec;
        handler_returned = true;
    });
    context.poll();
    BOOST_TEST(!handler_returned);
    peer->leave();
    BOOST_REQUIRE(run_to_end());
    BOOST_TEST(handler_returned);
    BOOST_TEST(wait_result == asio::error::operation_aborted);
    BOOST_TEST(!peer->output_ended()); // nobody to finish the response for
}

BOOST_FIXTURE_TEST_CASE(a_refused_stream_is_a_plain_response_and_the_end, SessionFixture)
{
    start([](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        ssekit::Response refusal = ssekit::Response::text("who are you?\n", http::status::unauthorized);
        refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
        session.respond(std::move(refusal));
        co_return;
    });
    BOOST_REQUIRE(run_to_end());
    const std::string all = peer->received();
    BOOST_TEST(all.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
    BOOST_TEST(all.find("WWW-Authenticate: Bearer\r\n") != std::string::npos);
    BOOST_TEST(all.find("Transfer-Encoding") == std::string::npos);
    BOOST_TEST(all.ends_with("\r\n\r\nwho are you?\n"));
    BOOST_TEST(peer->output_ended());
}

BOOST_FIXTURE_TEST_CASE(an_http_1_0_client_gets_the_events_unframed_until_the_end, SessionFixture)
{
    start([](ssekit::ServerSSESession& session) { return send_numbered(session, 3); }, 10);
    BOOST_REQUIRE(run_to_end());
    const std::string all = peer->received();
    const auto body_start = all.find("\r\n\r\n");
    BOOST_REQUIRE(body_start != std::string::npos);
    BOOST_TEST(all.starts_with("HTTP/1.0 200 OK\r\n"));
    BOOST_TEST(all.find("Transfer-Encoding") == std::string::npos);
    BOOST_TEST(all.substr(body_start + 4) == numbered_events(3));
    BOOST_TEST(peer->output_ended());
}

BOOST_FIXTURE_TEST_CASE(a_handler_that_throws_before_the_head_gets_a_500_not_a_stream, SessionFixture)
{
    int reported = 0;
    options.on_handler_error = [&](const ssekit::Request&, std::exception_ptr) { ++reported; };
    start([](ssekit::ServerSSESession&) -> asio::awaitable<void> {
        throw std::runtime_error("no such room");
        co_return;
    });
    BOOST_REQUIRE(run_to_end());
    BOOST_TEST(peer->received().starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    BOOST_TEST(reported == 1);
}

BOOST_AUTO_TEST_SUITE_END()
