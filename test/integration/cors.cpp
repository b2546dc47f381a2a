// CORS over loopback: what a browser page of another origin needs to read an
// SSE stream or a plain response, and the preflight a reconnecting client's
// Last-Event-ID (or a JSON POST) brings; nothing for an origin not allowed.

#include <ssekit/cors.hpp>

#include "../support/http_client.hpp"
#include "../support/print.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"

#include <ssekit/response.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ssekit::CorsOptions;
using ssekit::ServerSSESession;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;

namespace {

constexpr std::string_view app = "http://app.example:8080";

/// A server with an SSE route, a POST route and the given CORS policy.
struct CorsServer {
    explicit CorsServer(CorsOptions policy)
    {
        server.server().cors(std::move(policy));
        server.server().sse("/events", [](ServerSSESession& session) -> asio::awaitable<void> {
            const ssekit::ServerSentEvent hello{.data = "hello"};
            co_await session.send(hello);
        });
        server.server().sse("/refused", [](ServerSSESession& session) -> asio::awaitable<void> {
            session.respond(ssekit::Response::status_only(http::status::forbidden));
            co_return;
        });
        server.server().post("/publish", [](const ssekit::Request&) { return ssekit::Response::text("1\n"); });
        port = server.start();
    }

    ssekit::test::ThreadedServer server;
    std::uint16_t port = 0;
};

/// The response head (and body) of `request`.
http::response<http::string_body> answer(std::uint16_t port, std::string request)
{
    asio::io_context io;
    return run_awaitable(io, ssekit::test::fetch(port, std::move(request)));
}

std::string get(std::string_view target, std::string_view origin)
{
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + std::string(origin) +
           "\r\nConnection: close\r\n\r\n";
}

std::string preflight(std::string_view target, std::string_view origin, std::string_view method,
                      std::string_view headers)
{
    return "OPTIONS " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + std::string(origin) +
           "\r\nAccess-Control-Request-Method: " + std::string(method) +
           "\r\nAccess-Control-Request-Headers: " + std::string(headers) + "\r\nConnection: close\r\n\r\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(cors)

BOOST_AUTO_TEST_CASE(a_stream_for_an_allowed_origin_names_it_and_varies_on_origin)
{
    CorsServer server(CorsOptions{.origins = {std::string(app)}});
    auto response = answer(server.port, get("/events", app));
    BOOST_TEST(response.result() == http::status::ok);
    BOOST_TEST(response["Content-Type"] == "text/event-stream");
    BOOST_TEST(response["Access-Control-Allow-Origin"] == app);
    BOOST_TEST(response["Vary"] == "Origin");
    BOOST_TEST(response["Access-Control-Expose-Headers"] == "X-SSE-Replay");
    BOOST_TEST(response.count("Access-Control-Allow-Credentials") == 0u);
    BOOST_TEST(response.body() == "data: hello\n\n");
}

BOOST_AUTO_TEST_CASE(an_origin_not_allowed_gets_the_response_without_cors_headers)
{
    CorsServer server(CorsOptions{.origins = {std::string(app)}});
    for (std::string_view target : {"/events", "/refused"}) {
        auto response = answer(server.port, get(target, "http://evil.example"));
        BOOST_TEST(response.count("Access-Control-Allow-Origin") == 0u, target);
        BOOST_TEST(response.count("Vary") == 0u, target);
    }
    auto posted = answer(server.port, "POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
                                      "Content-Length: 1\r\nConnection: close\r\n\r\nx");
    BOOST_TEST(posted.result() == http::status::ok);
    BOOST_TEST(posted.count("Access-Control-Allow-Origin") == 0u);
}

BOOST_AUTO_TEST_CASE(with_credentials_the_origin_is_echoed_even_for_any_origin)
{
    CorsServer server(CorsOptions{.origins = {"*"}, .credentials = true});
    auto response = answer(server.port, get("/events", app));
    BOOST_TEST(response["Access-Control-Allow-Origin"] == app);
    BOOST_TEST(response["Access-Control-Allow-Credentials"] == "true");

    CorsServer anyone(CorsOptions{.origins = {"*"}});
    auto open = answer(anyone.port, get("/events", app));
    BOOST_TEST(open["Access-Control-Allow-Origin"] == "*");
}

BOOST_AUTO_TEST_CASE(a_preflight_lists_the_path_s_methods_last_event_id_and_the_allowed_headers)
{
    CorsServer server(CorsOptions{.origins = {std::string(app)}, .allow_headers = {"Content-Type"},
                                  .max_age = std::chrono::seconds(60)});
    auto response = answer(server.port, preflight("/events", app, "GET", "last-event-id"));
    BOOST_TEST(response.result() == http::status::no_content);
    BOOST_TEST(response["Access-Control-Allow-Origin"] == app);
    BOOST_TEST(response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS");
    BOOST_TEST(response["Access-Control-Allow-Headers"] == "Last-Event-ID, Content-Type");
    BOOST_TEST(response["Access-Control-Max-Age"] == "60");
    BOOST_TEST(response["Allow"] == "GET, HEAD, OPTIONS");

    auto post = answer(server.port, preflight("/publish", app, "POST", "content-type"));
    BOOST_TEST(post["Access-Control-Allow-Methods"] == "POST, OPTIONS");

    // Another origin's preflight gets the plain OPTIONS answer: the browser stops there.
    auto refused = answer(server.port, preflight("/events", "http://evil.example", "GET", "last-event-id"));
    BOOST_TEST(refused.result() == http::status::no_content);
    BOOST_TEST(refused.count("Access-Control-Allow-Origin") == 0u);
    BOOST_TEST(refused.count("Access-Control-Allow-Methods") == 0u);
}

BOOST_AUTO_TEST_CASE(a_refused_stream_and_a_plain_response_carry_the_cors_headers_too)
{
    CorsServer server(CorsOptions{.allow = [](std::string_view origin) { return origin.ends_with(".example:8080"); }});
    auto refused = answer(server.port, get("/refused", app));
    BOOST_TEST(refused.result() == http::status::forbidden);
    BOOST_TEST(refused["Access-Control-Allow-Origin"] == app);
    auto posted = answer(server.port, "POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + std::string(app) +
                                          "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
    BOOST_TEST(posted["Access-Control-Allow-Origin"] == app);
    BOOST_TEST(posted["Vary"] == "Origin");
    auto missing = answer(server.port, get("/nowhere", app));
    BOOST_TEST(missing.result() == http::status::not_found);
    BOOST_TEST(missing["Access-Control-Allow-Origin"] == app);
}

BOOST_AUTO_TEST_CASE(a_pattern_s_policy_takes_the_place_of_the_one_for_every_route)
{
    ssekit::test::ThreadedServer server;
    server.server().cors(CorsOptions{.origins = {"*"}});
    server.server().cors("/private/{name}", CorsOptions{.origins = {std::string(app)}});
    server.server().get("/private/{name}", [](const ssekit::Request&) { return ssekit::Response::text("p"); });
    server.server().get("/public", [](const ssekit::Request&) { return ssekit::Response::text("p"); });
    const auto port = server.start();
    BOOST_TEST(answer(port, get("/public", "http://other.example"))["Access-Control-Allow-Origin"] == "*");
    BOOST_TEST(answer(port, get("/private/x", "http://other.example")).count("Access-Control-Allow-Origin") == 0u);
    BOOST_TEST(answer(port, get("/private/x", app))["Access-Control-Allow-Origin"] == app);
}

BOOST_AUTO_TEST_CASE(without_a_policy_or_an_origin_nothing_changes)
{
    ssekit::test::ThreadedServer plain;
    plain.server().get("/", [](const ssekit::Request&) { return ssekit::Response::text("p"); });
    const auto port = plain.start();
    BOOST_TEST(answer(port, get("/", app)).count("Access-Control-Allow-Origin") == 0u);

    CorsServer server(CorsOptions{.origins = {"*"}});
    auto no_origin = answer(server.port, "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    BOOST_TEST(no_origin.count("Access-Control-Allow-Origin") == 0u);
    BOOST_TEST(no_origin.count("Vary") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
