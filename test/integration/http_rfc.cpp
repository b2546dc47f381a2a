// HTTP/1.1 as RFC 9110 and RFC 9112 ask of the request path: HEAD and
// OPTIONS, absolute-form targets, Host, Expect: 100-continue, transfer
// codings and bare LF in chunked bodies. Checked on the raw bytes, so a body
// that should not be there, or a connection left open, shows.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace data = boost::unit_test::data;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using asio::ip::tcp;
using ssekit::ServerSSESession;
using ssekit::test::run_awaitable;

namespace {

// A raw client that keeps what it read past each head, so that the bytes
// after an answer (a body where none belongs) are seen by the next read.
class RawConnection {
public:
    static asio::awaitable<RawConnection> connect(std::uint16_t port)
    {
        auto client = co_await ssekit::test::HttpClient::connect(port);
        co_return RawConnection(std::move(client.socket()));
    }

    asio::awaitable<void> write(std::string_view bytes)
    {
        co_await asio::async_write(socket_, asio::buffer(bytes), asio::use_awaitable);
    }

    /// The next bytes up to and including the first blank line.
    asio::awaitable<std::string> read_head()
    {
        auto n = co_await asio::async_read_until(socket_, asio::dynamic_buffer(pending_), "\r\n\r\n",
                                                 asio::use_awaitable);
        std::string head = pending_.substr(0, n);
        pending_.erase(0, n);
        co_return head;
    }

    asio::awaitable<std::string> read_bytes(std::size_t count)
    {
        if (pending_.size() < count)
            co_await asio::async_read(socket_, asio::dynamic_buffer(pending_),
                                      asio::transfer_exactly(count - pending_.size()), asio::use_awaitable);
        std::string bytes = pending_.substr(0, count);
        pending_.erase(0, count);
        co_return bytes;
    }

    /// Everything until the server closes the connection.
    asio::awaitable<std::string> read_to_end()
    {
        auto [ec, n] = co_await asio::async_read(socket_, asio::dynamic_buffer(pending_),
                                                 asio::as_tuple(asio::use_awaitable));
        if (ec != asio::error::eof && ec != asio::error::connection_reset)
            throw boost::system::system_error(ec, "read_to_end");
        co_return std::exchange(pending_, {});
    }

private:
    explicit RawConnection(tcp::socket socket) : socket_(std::move(socket)) {}

    tcp::socket socket_;
    std::string pending_;
};

bool contains(std::string_view text, std::string_view part)
{
    return text.find(part) != std::string_view::npos;
}

// A server with plain routes, an SSE route that counts its runs, and small
// limits. The request timeout is long next to a loopback round trip, so an
// answer that only comes with it (408) is a failure, not a slow pass.
struct RfcServer {
    RfcServer()
        : server({.max_body_bytes = 64,
                  .request_timeout = 3s,
                  .on_handler_error = [](const ssekit::Request&, std::exception_ptr) {}})
    {
        ssekit::Server& routes = server.server();
        routes.get("/hello", [](const ssekit::Request&) {
            ssekit::Response response = ssekit::Response::text("hello\n");
            response.headers.emplace_back("X-Route", "hello");
            return response;
        });
        routes.post("/echo", [](const ssekit::Request& request) { return ssekit::Response::text(request.body()); });
        routes.get("/sub/{topic}", [](const ssekit::Request& request) {
            return ssekit::Response::text(std::string(request.path_param("topic").value_or("-")) + " " +
                                          std::string(request.query("y").value_or("-")) + " " +
                                          std::string(request.header("Host").value_or("-")));
        });
        routes.get("/split", [](const ssekit::Request&) {
            ssekit::Response response = ssekit::Response::text("never\n");
            response.headers.emplace_back("X-A", "a\r\nInjected: yes");
            return response;
        });
        routes.get("/bad-name", [](const ssekit::Request&) {
            ssekit::Response response = ssekit::Response::text("never\n");
            response.headers.emplace_back("Bad Name", "v");
            return response;
        });
        routes.get("/framing", [](const ssekit::Request&) {
            ssekit::Response response = ssekit::Response::text("four");
            response.headers.emplace_back("Content-Length", "999");
            response.headers.emplace_back("Transfer-Encoding", "chunked");
            return response;
        });
        routes.sse(
            "/events",
            [this](ServerSSESession& session) -> asio::awaitable<void> {
                ++sse_runs;
                co_await session.send("x");
            },
            {.headers = {{"Access-Control-Allow-Origin", "*"}}});
        port = server.start();
    }

    // Sends `bytes` on a new connection and reads until the server closes it.
    std::string exchange_until_close(std::string bytes) const
    {
        return ssekit::test::raw_response(port, std::move(bytes));
    }

    std::atomic<int> sse_runs{0};
    ssekit::test::ThreadedServer server;
    std::uint16_t port = 0;
};

std::size_t count_of(std::string_view text, std::string_view part)
{
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1))
        ++count;
    return count;
}

// Chunked bodies whose chunk-size lines or trailers end in a bare LF.
const std::vector<std::string> bare_lf_bodies{
    "5\nhello\n0\n\n",
    "5\r\nhello\r\n0\n\n",
    "5\r\nhello\r\n0\r\nX-Trailer: y\n\n",
    "5\nhello\r\n0\r\n\r\n",
};

struct CodingCase {
    std::string fields;  // the Transfer-Encoding field lines
    unsigned status = 0; // the answer RFC 9112 6.1 and 6.3 ask for
};

std::ostream& operator<<(std::ostream& os, const CodingCase& c)
{
    return os << c.fields << " -> " << c.status;
}

// Chunked must be the final coding, once; a coding we cannot decode in front
// of it is "not implemented".
const std::vector<CodingCase> coding_cases{
    {"Transfer-Encoding: gzip\r\n", 400},
    {"Transfer-Encoding: chunked, gzip\r\n", 400},
    {"Transfer-Encoding: chunked, chunked\r\n", 400},
    {"Transfer-Encoding: identity\r\n", 400},
    {"Transfer-Encoding: \r\n", 400},
    {"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400},
    {"Transfer-Encoding: gzip, chunked\r\n", 501},
    {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 501},
};

// HTTP/1.1 requests whose Host is missing, repeated or not a host[:port].
const std::vector<std::string> bad_host_requests{
    "GET /hello HTTP/1.1\r\n\r\n",
    "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
    "GET /hello HTTP/1.1\r\nHost: a b\r\n\r\n",
    "GET /hello HTTP/1.1\r\nHost: user@a\r\n\r\n",
    "GET /hello HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET http://a/hello HTTP/1.1\r\n\r\n",
};

} // namespace

BOOST_AUTO_TEST_SUITE(http_rfc)

BOOST_AUTO_TEST_CASE(head_on_a_plain_get_route_sends_the_get_head_without_a_body_and_keeps_the_connection)
{
    RfcServer s;
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto connection = co_await RawConnection::connect(s.port);
        co_await connection.write("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        std::string head = co_await connection.read_head();
        co_await connection.write(ssekit::test::get_request("/hello"));
        // A body after the HEAD answer would come before this head.
        std::string get_head = co_await connection.read_head();
        BOOST_TEST(get_head.starts_with("HTTP/1.1 200 OK\r\n"));
        BOOST_TEST(co_await connection.read_bytes(6) == "hello\n");
        BOOST_TEST(head == get_head);
        BOOST_TEST(contains(head, "\r\nContent-Length: 6\r\n"));
        BOOST_TEST(contains(head, "\r\nX-Route: hello\r\n"));
    }());
}

BOOST_AUTO_TEST_CASE(head_on_an_unknown_path_gets_the_404_head_without_a_body)
{
    RfcServer s;
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto connection = co_await RawConnection::connect(s.port);
        co_await connection.write("HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        std::string head = co_await connection.read_head();
        BOOST_TEST(head.starts_with("HTTP/1.1 404 Not Found\r\n"));
        co_await connection.write(ssekit::test::get_request("/hello"));
        BOOST_TEST((co_await connection.read_head()).starts_with("HTTP/1.1 200 OK\r\n"));
    }());
}

BOOST_AUTO_TEST_CASE(head_on_an_sse_route_sends_the_stream_head_without_running_the_handler_and_closes)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(raw == "HTTP/1.1 200 OK\r\n"
                      "Content-Type: text/event-stream\r\n"
                      "Cache-Control: no-store\r\n"
                      "X-Accel-Buffering: no\r\n"
                      "Connection: close\r\n"
                      "Transfer-Encoding: chunked\r\n"
                      "Access-Control-Allow-Origin: *\r\n\r\n");
    BOOST_TEST(s.sse_runs.load() == 0);

    std::string raw_1_0 = s.exchange_until_close("HEAD /events HTTP/1.0\r\n\r\n");
    BOOST_TEST(raw_1_0.starts_with("HTTP/1.0 200 OK\r\n"));
    BOOST_TEST(raw_1_0.ends_with("\r\n\r\n"));
    BOOST_TEST(!contains(raw_1_0, "Transfer-Encoding"));
    BOOST_TEST(s.sse_runs.load() == 0);
}

BOOST_AUTO_TEST_CASE(options_on_a_routed_path_gets_204_with_allow_and_keeps_the_connection)
{
    RfcServer s;
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto connection = co_await RawConnection::connect(s.port);
        co_await connection.write("OPTIONS /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        std::string head = co_await connection.read_head();
        BOOST_TEST(head.starts_with("HTTP/1.1 204 No Content\r\n"));
        BOOST_TEST(contains(head, "\r\nAllow: GET, HEAD, OPTIONS\r\n"));
        BOOST_TEST(!contains(head, "Content-Length"));
        co_await connection.write("OPTIONS /events HTTP/1.1\r\nHost: x\r\n\r\n");
        BOOST_TEST(contains(co_await connection.read_head(), "\r\nAllow: GET, HEAD, OPTIONS\r\n"));
        co_await connection.write(ssekit::test::get_request("/hello"));
        BOOST_TEST((co_await connection.read_head()).starts_with("HTTP/1.1 200 OK\r\n"));
    }());
    BOOST_TEST(s.sse_runs.load() == 0);
}

BOOST_AUTO_TEST_CASE(options_star_gets_204_with_every_method_of_the_server)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 204 No Content\r\n"));
    BOOST_TEST(contains(raw, "\r\nAllow: GET, HEAD, POST, OPTIONS\r\n"));
    BOOST_TEST(raw.ends_with("\r\n\r\n"));
}

BOOST_AUTO_TEST_CASE(options_on_an_unknown_path_gets_404)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("OPTIONS /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 404 Not Found\r\n"));
}

BOOST_AUTO_TEST_CASE(method_not_allowed_lists_head_and_options_in_allow)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("DELETE /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    BOOST_TEST(contains(raw, "\r\nAllow: POST, OPTIONS\r\n"));
}

BOOST_AUTO_TEST_CASE(asterisk_target_of_another_method_gets_400)
{
    RfcServer s;
    BOOST_TEST(s.exchange_until_close("GET * HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 400 "));
}

BOOST_AUTO_TEST_CASE(absolute_form_target_is_routed_on_its_path_and_query_and_its_host_wins)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("GET http://elsewhere:81/sub/x?y=1 HTTP/1.1\r\nHost: x\r\n"
                                             "Connection: close\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST(raw.ends_with("\r\n\r\nx 1 elsewhere:81"));
}

BOOST_DATA_TEST_CASE(request_with_a_missing_repeated_or_invalid_host_gets_400_and_close,
                     data::make(bad_host_requests), request)
{
    RfcServer s;
    std::string raw = s.exchange_until_close(request);
    BOOST_TEST(raw.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    BOOST_TEST(contains(raw, "\r\nConnection: close\r\n"));
}

BOOST_AUTO_TEST_CASE(http_1_0_request_without_host_is_served)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("GET /hello HTTP/1.0\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.0 200 OK\r\n"));
    BOOST_TEST(raw.ends_with("\r\n\r\nhello\n"));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_to_an_unknown_path_gets_404_without_100_and_close)
{
    RfcServer s;
    // The body never comes: the client waits for the 100, as RFC 9110 10.1.1 lets it.
    std::string raw = s.exchange_until_close(
        "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 404 Not Found\r\n"));
    BOOST_TEST(contains(raw, "\r\nConnection: close\r\n"));
    BOOST_TEST(!contains(raw, "100 Continue"));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_with_the_wrong_method_gets_405_without_100_and_close)
{
    RfcServer s;
    std::string raw = s.exchange_until_close(
        "PUT /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    BOOST_TEST(contains(raw, "\r\nAllow: GET, HEAD, OPTIONS\r\n"));
    BOOST_TEST(!contains(raw, "100 Continue"));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_with_a_body_over_the_limit_gets_413_without_100)
{
    RfcServer s;
    std::string raw = s.exchange_until_close(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\nExpect: 100-continue\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 413 Payload Too Large\r\n"));
    BOOST_TEST(!contains(raw, "100 Continue"));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_from_an_http_1_0_client_is_ignored)
{
    RfcServer s;
    std::string raw =
        s.exchange_until_close("POST /echo HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nxyz");
    BOOST_TEST(raw.starts_with("HTTP/1.0 200 OK\r\n"));
    BOOST_TEST(raw.ends_with("\r\n\r\nxyz"));
}

BOOST_DATA_TEST_CASE(chunked_body_with_bare_lf_line_ends_gets_400_and_close, data::make(bare_lf_bodies), body)
{
    RfcServer s;
    std::string raw =
        s.exchange_until_close("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    BOOST_TEST(raw.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    BOOST_TEST(count_of(raw, "HTTP/1.1 ") == 1u);
}

BOOST_AUTO_TEST_CASE(chunked_body_with_crlf_line_ends_and_a_trailer_reaches_the_handler)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                             "Connection: close\r\n\r\n"
                                             "5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nX-Trailer: y\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST(raw.ends_with("\r\n\r\nhello!"));
}

BOOST_DATA_TEST_CASE(transfer_coding_other_than_a_final_chunked_gets_400_or_501_and_close,
                     data::make(coding_cases), coding)
{
    RfcServer s;
    std::string raw = s.exchange_until_close("POST /echo HTTP/1.1\r\nHost: x\r\n" + coding.fields +
                                             "\r\n5\r\nhello\r\n0\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 " + std::to_string(coding.status) + " "));
    BOOST_TEST(contains(raw, "\r\nConnection: close\r\n"));
    BOOST_TEST(count_of(raw, "HTTP/1.1 ") == 1u);
}

BOOST_AUTO_TEST_CASE(transfer_encoding_from_an_http_1_0_client_gets_400)
{
    // RFC 9112 6.1: HTTP/1.0 has no transfer codings; its framing is faulty.
    RfcServer s;
    std::string raw = s.exchange_until_close("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                                             "5\r\nhello\r\n0\r\n\r\n");
    BOOST_TEST(raw.starts_with("HTTP/1.1 400 Bad Request\r\n"));
}

BOOST_AUTO_TEST_CASE(handler_header_that_is_not_a_valid_field_gets_500_and_nothing_of_it_is_sent)
{
    RfcServer s;
    std::string split = s.exchange_until_close(ssekit::test::get_request("/split"));
    BOOST_TEST(split.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    BOOST_TEST(!contains(split, "Injected"));
    std::string bad_name = s.exchange_until_close(ssekit::test::get_request("/bad-name"));
    BOOST_TEST(bad_name.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    BOOST_TEST(!contains(bad_name, "Bad Name"));
}

BOOST_AUTO_TEST_CASE(handler_framing_headers_give_way_to_the_real_length)
{
    RfcServer s;
    std::string raw = s.exchange_until_close(ssekit::test::get_request("/framing", {"Connection: close"}));
    BOOST_TEST(raw.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST(contains(raw, "\r\nContent-Length: 4\r\n"));
    BOOST_TEST(!contains(raw, "999"));
    BOOST_TEST(!contains(raw, "Transfer-Encoding"));
    BOOST_TEST(raw.ends_with("\r\n\r\nfour"));
}

BOOST_AUTO_TEST_SUITE_END()
