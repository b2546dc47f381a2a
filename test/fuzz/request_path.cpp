// Fuzz target: raw bytes as an HTTP request, the way a client's bytes reach a
// handler: Beast's request parser with the server's limits, ssekit::Request
// (the target split by Boost.URL, query percent-decoded), then the Router.
// Any crash, sanitizer report or uncaught exception other than the documented
// system_error of a bad target is a bug; so is a RouteMatch that contradicts
// routing.hpp.
#include <ssekit/request.hpp>
#include <ssekit/response.hpp>
#include <ssekit/routing.hpp>
#include <ssekit/server.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

void check(bool ok, const char* what)
{
    if (!ok) {
        std::fprintf(stderr, "request_path: %s\n", what);
        std::abort();
    }
}

asio::awaitable<void> no_stream(ssekit::ServerSSESession&) { co_return; }

ssekit::Response no_response(const ssekit::Request&) { return ssekit::Response::status_only(http::status::ok); }

asio::awaitable<ssekit::Response> no_response_later(const ssekit::Request&)
{
    co_return ssekit::Response::status_only(http::status::ok);
}

// Literal, parameter and mixed segments; several methods on one path for 405s.
void add_routes(ssekit::Router& router)
{
    router.sse("/events", no_stream);
    router.sse("/rooms/{room}/events", no_stream);
    router.get("/", no_response);
    router.get("/users/{user}/posts/{post}", no_response);
    router.post("/rooms/{room}", no_response);
    router.route(http::verb::delete_, "/rooms/{room}", no_response_later);
    router.route(http::verb::put, "/a b/{x}/c", no_response_later);
}

const ssekit::Router& plain_router()
{
    static const ssekit::Router router = [] {
        ssekit::Router r;
        add_routes(r);
        return r;
    }();
    return router;
}

// The same routes plus the fallback SSE route every other GET goes to.
const ssekit::Router& fallback_router()
{
    static const ssekit::Router router = [] {
        ssekit::Router r;
        add_routes(r);
        r.sse(no_stream);
        return r;
    }();
    return router;
}

// What routing.hpp promises of any match. Kept to what holds whatever the
// method (HEAD, OPTIONS, ...) so that new routing rules do not trip it.
void check_match(const ssekit::RouteMatch& m, bool must_take)
{
    using Outcome = ssekit::RouteMatch::Outcome;
    if (m.outcome == Outcome::sse)
        check(m.sse_handler != nullptr && *m.sse_handler && m.sse_options != nullptr, "sse outcome without its handler");
    if (m.outcome == Outcome::http)
        check(m.http_handler != nullptr, "http outcome without its handler");
    if (m.outcome == Outcome::not_found) {
        check(m.allow.empty(), "not_found with Allow");
        check(!must_take, "a GET missed the fallback route");
    }
    if (m.outcome == Outcome::method_not_allowed)
        check(!m.allow.empty(), "method_not_allowed without Allow");
    for (const auto& [name, value] : m.path_params)
        check(!name.empty() && !value.empty(), "empty path parameter");
}

void use_request(const ssekit::Request& request)
{
    const std::string_view target = request.target();
    const std::string_view encoded_path = target.substr(0, target.find('?'));
    for (const ssekit::Router* router : {&plain_router(), &fallback_router()}) {
        // "A GET that no route takes goes to the fallback SSE route": any
        // origin-form path.
        const bool must_take = router == &fallback_router() && request.method() == http::verb::get &&
                               encoded_path.starts_with('/');
        // The target up to '?', as sent: what an origin-form request is
        // routed on (match decodes it); for other forms just more input.
        check_match(router->match(request.method(), encoded_path), must_take);
        // Any text at all, e.g. an already decoded path, must be safe to match.
        check_match(router->match(request.method(), request.path()), false);
    }

    // query() returns the first value of a name, as query_params() lists them.
    std::optional<std::string_view> first_x;
    for (const auto& [name, value] : request.query_params())
        if (name == "x" && !first_x)
            first_x = value;
    check(request.query("x") == first_x, "query(\"x\") differs from query_params()");
    (void)request.path_param("room");
    (void)request.header("host");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const ssekit::ServerOptions limits;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    parser.eager(true);

    // As http::read does with a socket that has nothing more to give: put()
    // until need_more, which asks for bytes beyond those already offered
    // (calling put() again without them breaks Beast's preconditions), then
    // put_eof(), which wants a parser that got some bytes.
    boost::beast::error_code ec;
    auto input = asio::buffer(data, size);
    while (input.size() > 0 && !parser.is_done()) {
        input += parser.put(input, ec);
        if (ec == http::error::need_more)
            break;
        if (ec)
            return 0;
    }
    if (!parser.is_done()) {
        if (!parser.got_some())
            return 0;
        ec = {};
        parser.put_eof(ec);
        if (ec || !parser.is_done())
            return 0;
    }

    std::optional<ssekit::Request> request;
    try {
        request.emplace(parser.release());
    } catch (const boost::system::system_error&) {
        return 0; // not an origin-form target: the server answers 400
    }
    use_request(*request);
    return 0;
}
