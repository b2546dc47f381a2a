// Who is on the other end: Request::peer() is the connection's other end,
// and client_address() the first X-Forwarded-For hop only when the server
// is told it sits behind a proxy.

#include <ssekit/request.hpp>

#include "../support/http_client.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <ssekit/response.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <utility>
#include <string>
#include <vector>

namespace asio = boost::asio;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

/// A server whose one route answers "PEER CLIENT" as it sees them.
struct WhoServer {
    explicit WhoServer(bool behind_proxy) : server(ssekit::ServerOptions{.behind_proxy = behind_proxy})
    {
        server.server().get("/who", [](const ssekit::Request& request) {
            std::ostringstream text;
            text << request.peer() << " " << request.client_address();
            return ssekit::Response::text(text.str());
        });
        port = server.start();
    }

    /// What /who answers to a request with the extra header lines `headers`,
    /// and the local endpoint the request left from.
    std::pair<std::string, std::string> ask(std::vector<std::string> headers)
    {
        headers.emplace_back("Connection: close");
        asio::io_context io;
        return run_awaitable(io, [&]() -> asio::awaitable<std::pair<std::string, std::string>> {
            HttpClient client = co_await HttpClient::open(port, ssekit::test::get_request("/who", headers));
            std::ostringstream local;
            local << client.socket().local_endpoint();
            co_return std::pair{co_await client.read_body_to_end(), local.str()};
        }());
    }

    ssekit::test::ThreadedServer server;
    std::uint16_t port = 0;
};

} // namespace

BOOST_AUTO_TEST_SUITE(client_address)

BOOST_AUTO_TEST_CASE(peer_is_the_connection_s_other_end_and_forwarded_for_is_ignored_by_default)
{
    WhoServer server(false);
    const auto [answer, local] = server.ask({"X-Forwarded-For: 203.0.113.7"});
    BOOST_TEST(answer == local + " 127.0.0.1");
}

BOOST_AUTO_TEST_CASE(behind_a_proxy_the_client_is_the_first_forwarded_hop)
{
    WhoServer server(true);
    BOOST_TEST(server.ask({"X-Forwarded-For: 203.0.113.7, 10.0.0.1"}).first.ends_with(" 203.0.113.7"));
    BOOST_TEST(server.ask({"X-Forwarded-For:  2001:db8::1 ,10.0.0.1"}).first.ends_with(" 2001:db8::1"));
    // Not an address, or no header: the peer, whoever it is.
    BOOST_TEST(server.ask({"X-Forwarded-For: unknown, 10.0.0.1"}).first.ends_with(" 127.0.0.1"));
    BOOST_TEST(server.ask({}).first.ends_with(" 127.0.0.1"));
}

BOOST_AUTO_TEST_SUITE_END()
