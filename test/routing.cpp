// Tests of routing.hpp: Router::match on paths as they come in the request
// target (percent-encoded, before '?').
#include <ssekit/routing.hpp>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ssekit/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace data = boost::unit_test::data;
namespace http = boost::beast::http;
using Outcome = ssekit::RouteMatch::Outcome;

namespace ssekit {
// Lets BOOST_TEST print both sides of `m.outcome == Outcome::...`.
std::ostream& boost_test_print_type(std::ostream& os, RouteMatch::Outcome outcome)
{
    switch (outcome) {
    case RouteMatch::Outcome::sse:
        return os << "sse";
    case RouteMatch::Outcome::http:
        return os << "http";
    case RouteMatch::Outcome::not_found:
        return os << "not_found";
    case RouteMatch::Outcome::method_not_allowed:
        return os << "method_not_allowed";
    case RouteMatch::Outcome::options:
        return os << "options";
    }
    return os << "Outcome(" << static_cast<int>(outcome) << ")";
}
} // namespace ssekit

namespace {

ssekit::Response text_x(const ssekit::Request&)
{
    return ssekit::Response::text("x");
}

// A coroutine handler, the form Router::route takes.
boost::asio::awaitable<ssekit::Response> text_x_async(const ssekit::Request&)
{
    co_return ssekit::Response::text("x");
}

boost::asio::awaitable<void> empty_stream(ssekit::ServerSSESession&)
{
    co_return;
}

// "[name=value]" per parameter, so BOOST_TEST shows the whole list on failure.
std::string to_text(const ssekit::Params& params)
{
    std::string text;
    for (const auto& [name, value] : params)
        text += "[" + name + "=" + value + "]";
    return text;
}

// Segments must be literals without braces or a whole, non-empty {name}.
const std::vector<std::string> invalid_patterns{
    "",
    "rooms",
    "rooms/{room}",
    "/{}",
    "/rooms/{}",
    "/a{b",
    "/a}b",
    "/{room",
    "/room}",
    "/{room}x",
    "/x{room}",
    "/{{room}}",
};

} // namespace

BOOST_AUTO_TEST_SUITE(router_tests)

BOOST_AUTO_TEST_CASE(literal_path_matches_its_route)
{
    ssekit::Router router;
    router.get("/health", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::get, "/health");
    BOOST_TEST(m.outcome == Outcome::http);
    BOOST_TEST(m.http_handler != nullptr);
    BOOST_TEST(m.sse_handler == nullptr);
    BOOST_TEST(m.path_params.empty());
    BOOST_TEST(m.allow.empty());
}

BOOST_AUTO_TEST_CASE(literal_route_does_not_match_another_path)
{
    ssekit::Router router;
    router.get("/health", text_x);
    BOOST_TEST(router.match(http::verb::get, "/healthz").outcome == Outcome::not_found);
    BOOST_TEST(router.match(http::verb::get, "/health/more").outcome == Outcome::not_found);
    BOOST_TEST(router.match(http::verb::get, "/").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(params_are_captured_in_pattern_order)
{
    ssekit::Router router;
    router.get("/rooms/{room}/events/{id}", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::get, "/rooms/lobby/events/7");
    BOOST_TEST(m.outcome == Outcome::http);
    BOOST_TEST(to_text(m.path_params) == "[room=lobby][id=7]");
}

BOOST_AUTO_TEST_CASE(params_are_percent_decoded)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::get, "/rooms/a%20b");
    BOOST_TEST(m.outcome == Outcome::http);
    BOOST_TEST(to_text(m.path_params) == "[room=a b]");
}

BOOST_AUTO_TEST_CASE(encoded_slash_stays_inside_one_segment)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::get, "/rooms/a%2Fb");
    BOOST_TEST(m.outcome == Outcome::http);
    BOOST_TEST(to_text(m.path_params) == "[room=a/b]");
    BOOST_TEST(router.match(http::verb::get, "/rooms/a/b").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(literal_segments_match_the_decoded_path)
{
    ssekit::Router router;
    router.get("/caf\xC3\xA9", text_x);
    BOOST_TEST(router.match(http::verb::get, "/caf%C3%A9").outcome == Outcome::http);
}

BOOST_AUTO_TEST_CASE(malformed_percent_encoding_is_not_found)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    BOOST_TEST(router.match(http::verb::get, "/rooms/%zz").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(root_route_matches_only_the_root)
{
    ssekit::Router router;
    router.get("/", text_x);
    BOOST_TEST(router.match(http::verb::get, "/").outcome == Outcome::http);
    BOOST_TEST(router.match(http::verb::get, "/x").outcome == Outcome::not_found);
    BOOST_TEST(router.match(http::verb::get, "").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(trailing_slash_path_does_not_match_the_pattern_without_it)
{
    ssekit::Router router;
    router.get("/rooms", text_x);
    BOOST_TEST(router.match(http::verb::get, "/rooms/").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(param_does_not_match_an_empty_segment)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    router.get("/rooms/{room}/events", text_x);
    BOOST_TEST(router.match(http::verb::get, "/rooms/").outcome == Outcome::not_found);
    BOOST_TEST(router.match(http::verb::get, "/rooms//events").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(routes_are_tried_in_the_order_they_were_added)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    router.get("/rooms/lobby", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::get, "/rooms/lobby");
    BOOST_TEST(m.outcome == Outcome::http);
    BOOST_TEST(to_text(m.path_params) == "[room=lobby]");
}

BOOST_AUTO_TEST_CASE(unknown_path_is_not_found)
{
    ssekit::Router router;
    router.get("/a", text_x);
    router.sse("/events", empty_stream);
    const ssekit::RouteMatch m = router.match(http::verb::get, "/b");
    BOOST_TEST(m.outcome == Outcome::not_found);
    BOOST_TEST(m.http_handler == nullptr);
    BOOST_TEST(m.sse_handler == nullptr);
    BOOST_TEST(m.allow.empty());
}

BOOST_AUTO_TEST_CASE(other_method_is_method_not_allowed_with_allow_listing_the_methods)
{
    ssekit::Router router;
    router.get("/messages", text_x);
    router.post("/messages", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::put, "/messages");
    BOOST_TEST(m.outcome == Outcome::method_not_allowed);
    BOOST_TEST(m.allow == "GET, HEAD, POST, OPTIONS");
    BOOST_TEST(m.http_handler == nullptr);
    BOOST_TEST(m.sse_handler == nullptr);
}

BOOST_AUTO_TEST_CASE(allow_lists_methods_of_every_pattern_matching_the_path_once)
{
    ssekit::Router router;
    router.post("/rooms/{room}", text_x);
    router.get("/rooms/{room}", text_x);
    router.post("/rooms/lobby", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::delete_, "/rooms/lobby");
    BOOST_TEST(m.outcome == Outcome::method_not_allowed);
    BOOST_TEST(m.allow == "POST, GET, HEAD, OPTIONS");
}

BOOST_AUTO_TEST_CASE(route_takes_any_method)
{
    ssekit::Router router;
    router.route(http::verb::put, "/items/{id}", text_x_async);
    const ssekit::RouteMatch m = router.match(http::verb::put, "/items/3");
    BOOST_TEST(m.outcome == Outcome::http);
    BOOST_TEST(to_text(m.path_params) == "[id=3]");
    BOOST_TEST(router.match(http::verb::get, "/items/3").allow == "PUT, OPTIONS");
}

BOOST_AUTO_TEST_CASE(sse_route_answers_get)
{
    ssekit::Router router;
    router.sse("/rooms/{room}/events", [](ssekit::ServerSSESession&) -> boost::asio::awaitable<void> { co_return; });
    const ssekit::RouteMatch m = router.match(http::verb::get, "/rooms/r1/events");
    BOOST_TEST(m.outcome == Outcome::sse);
    BOOST_TEST(m.sse_handler != nullptr);
    BOOST_TEST(m.sse_options != nullptr);
    BOOST_TEST(m.http_handler == nullptr);
    BOOST_TEST(to_text(m.path_params) == "[room=r1]");
}

BOOST_AUTO_TEST_CASE(sse_route_keeps_its_options)
{
    ssekit::Router router;
    router.sse("/events", empty_stream, {.headers = {{"Access-Control-Allow-Origin", "*"}}});
    const ssekit::RouteMatch m = router.match(http::verb::get, "/events");
    BOOST_TEST_REQUIRE(m.sse_options != nullptr);
    BOOST_TEST(to_text(m.sse_options->headers) == "[Access-Control-Allow-Origin=*]");
}

BOOST_AUTO_TEST_CASE(post_to_sse_route_is_method_not_allowed_with_allow_get)
{
    ssekit::Router router;
    router.sse("/events", empty_stream);
    const ssekit::RouteMatch m = router.match(http::verb::post, "/events");
    BOOST_TEST(m.outcome == Outcome::method_not_allowed);
    BOOST_TEST(m.allow == "GET, HEAD, OPTIONS");
}

BOOST_AUTO_TEST_CASE(sse_route_added_for_post_answers_post_and_lists_only_post)
{
    ssekit::Router router;
    router.sse(http::verb::post, "/generate", empty_stream);
    BOOST_TEST(router.match(http::verb::post, "/generate").outcome == Outcome::sse);
    auto get = router.match(http::verb::get, "/generate");
    BOOST_TEST(get.outcome == Outcome::method_not_allowed);
    BOOST_TEST(get.allow == "POST, OPTIONS");
    BOOST_TEST(router.match(http::verb::head, "/generate").outcome == Outcome::method_not_allowed);
}

BOOST_AUTO_TEST_CASE(sse_routes_for_get_and_post_on_one_path_are_two_routes)
{
    ssekit::Router router;
    router.sse(http::verb::get, "/generate", empty_stream);
    router.sse(http::verb::post, "/generate", empty_stream);
    BOOST_TEST(router.match(http::verb::get, "/generate").outcome == Outcome::sse);
    BOOST_TEST(router.match(http::verb::post, "/generate").outcome == Outcome::sse);
    BOOST_CHECK_THROW(router.sse(http::verb::post, "/generate", empty_stream), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(sse_route_for_another_method_than_get_or_post_throws_invalid_argument)
{
    ssekit::Router router;
    BOOST_CHECK_THROW(router.sse(http::verb::put, "/generate", empty_stream), std::invalid_argument);
    BOOST_CHECK_THROW(router.sse(http::verb::delete_, "/generate", empty_stream), std::invalid_argument);
    BOOST_CHECK_THROW(router.sse(http::verb::head, "/generate", empty_stream), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(fallback_sse_catches_any_unrouted_get_path)
{
    ssekit::Router router;
    router.get("/", text_x);
    router.sse(empty_stream);
    for (const char* path : {"/anything", "/a/b/c", "/rooms/", "/x%20y"}) {
        BOOST_TEST_CONTEXT("path " << path)
        {
            const ssekit::RouteMatch m = router.match(http::verb::get, path);
            BOOST_TEST(m.outcome == Outcome::sse);
            BOOST_TEST(m.sse_handler != nullptr);
            BOOST_TEST(m.sse_options != nullptr);
            BOOST_TEST(m.path_params.empty());
        }
    }
    BOOST_TEST(router.match(http::verb::get, "/").outcome == Outcome::http);
}

BOOST_AUTO_TEST_CASE(fallback_sse_makes_unrouted_post_method_not_allowed_with_allow_get)
{
    ssekit::Router router;
    router.sse(empty_stream);
    const ssekit::RouteMatch m = router.match(http::verb::post, "/anything");
    BOOST_TEST(m.outcome == Outcome::method_not_allowed);
    BOOST_TEST(m.allow == "GET, HEAD, OPTIONS");
}

BOOST_AUTO_TEST_CASE(fallback_sse_leaves_routed_post_to_its_handler)
{
    ssekit::Router router;
    router.post("/publish", text_x);
    router.sse(empty_stream);
    BOOST_TEST(router.match(http::verb::post, "/publish").outcome == Outcome::http);
}

BOOST_AUTO_TEST_CASE(head_takes_the_get_route_of_the_path)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    router.sse("/events/{topic}", empty_stream);
    const ssekit::RouteMatch plain = router.match(http::verb::head, "/rooms/a");
    BOOST_TEST(plain.outcome == Outcome::http);
    BOOST_TEST(plain.http_handler == router.match(http::verb::get, "/rooms/a").http_handler);
    BOOST_TEST(to_text(plain.path_params) == "[room=a]");
    const ssekit::RouteMatch stream = router.match(http::verb::head, "/events/t");
    BOOST_TEST(stream.outcome == Outcome::sse);
    BOOST_TEST(stream.sse_handler != nullptr);
    BOOST_TEST(stream.sse_options != nullptr);
    BOOST_TEST(to_text(stream.path_params) == "[topic=t]");
    BOOST_TEST(router.match(http::verb::head, "/nowhere").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(head_route_of_its_own_comes_before_the_get_route)
{
    ssekit::Router router;
    router.get("/a", text_x);
    router.route(http::verb::head, "/a", text_x_async);
    const ssekit::RouteMatch m = router.match(http::verb::head, "/a");
    BOOST_TEST(m.outcome == Outcome::http);
    BOOST_TEST(m.http_handler != router.match(http::verb::get, "/a").http_handler);
    BOOST_TEST(router.match(http::verb::put, "/a").allow == "GET, HEAD, OPTIONS");
}

BOOST_AUTO_TEST_CASE(head_on_an_unrouted_path_takes_the_fallback_sse_route)
{
    ssekit::Router router;
    router.post("/publish", text_x);
    router.sse(empty_stream);
    BOOST_TEST(router.match(http::verb::head, "/anything").outcome == Outcome::sse);
    BOOST_TEST(router.match(http::verb::head, "/publish").outcome == Outcome::sse);
}

BOOST_AUTO_TEST_CASE(options_on_a_routed_path_lists_its_methods_with_head_and_options)
{
    ssekit::Router router;
    router.get("/messages", text_x);
    router.post("/messages", text_x);
    router.sse("/events", empty_stream);
    const ssekit::RouteMatch m = router.match(http::verb::options, "/messages");
    BOOST_TEST(m.outcome == Outcome::options);
    BOOST_TEST(m.allow == "GET, HEAD, POST, OPTIONS");
    BOOST_TEST(m.http_handler == nullptr);
    BOOST_TEST(m.sse_handler == nullptr);
    BOOST_TEST(router.match(http::verb::options, "/events").allow == "GET, HEAD, OPTIONS");
}

BOOST_AUTO_TEST_CASE(options_on_an_unknown_path_is_not_found)
{
    ssekit::Router router;
    router.get("/a", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::options, "/b");
    BOOST_TEST(m.outcome == Outcome::not_found);
    BOOST_TEST(m.allow.empty());
}

BOOST_AUTO_TEST_CASE(options_route_of_its_own_takes_options)
{
    ssekit::Router router;
    router.get("/a", text_x);
    router.route(http::verb::options, "/a", text_x_async);
    BOOST_TEST(router.match(http::verb::options, "/a").outcome == Outcome::http);
    BOOST_TEST(router.match(http::verb::put, "/a").allow == "GET, HEAD, OPTIONS");
}

BOOST_AUTO_TEST_CASE(options_star_lists_every_method_the_server_routes)
{
    ssekit::Router router;
    router.post("/publish", text_x);
    router.get("/", text_x);
    router.route(http::verb::delete_, "/items/{id}", text_x_async);
    router.post("/other", text_x);
    const ssekit::RouteMatch m = router.match(http::verb::options, "*");
    BOOST_TEST(m.outcome == Outcome::options);
    BOOST_TEST(m.allow == "POST, GET, HEAD, DELETE, OPTIONS");
    BOOST_TEST(router.match(http::verb::get, "*").outcome == Outcome::not_found);
}

BOOST_AUTO_TEST_CASE(options_star_of_a_server_without_routes_allows_options)
{
    ssekit::Router router;
    BOOST_TEST(router.match(http::verb::options, "*").allow == "OPTIONS");
    router.sse(empty_stream);
    BOOST_TEST(router.match(http::verb::options, "*").allow == "GET, HEAD, OPTIONS");
}

BOOST_DATA_TEST_CASE(invalid_pattern_throws_invalid_argument, data::make(invalid_patterns), pattern)
{
    ssekit::Router router;
    BOOST_CHECK_THROW(router.get(pattern, text_x), std::invalid_argument);
    BOOST_CHECK_THROW(router.sse(pattern, empty_stream), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(duplicate_method_and_pattern_throws_invalid_argument)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    BOOST_CHECK_THROW(router.get("/rooms/{room}", text_x), std::invalid_argument);
    // An SSE route is a GET route.
    BOOST_CHECK_THROW(router.sse("/rooms/{room}", empty_stream), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(same_pattern_with_another_method_is_not_a_duplicate)
{
    ssekit::Router router;
    router.get("/rooms/{room}", text_x);
    BOOST_CHECK_NO_THROW(router.post("/rooms/{room}", text_x));
    BOOST_CHECK_NO_THROW(router.route(http::verb::delete_, "/rooms/{room}", text_x_async));
}

BOOST_AUTO_TEST_SUITE_END()
