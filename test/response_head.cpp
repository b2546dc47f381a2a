// Tests of lib/response_head.hpp: the one writer of every response head the
// server sends (plain answers, refusals, SSE streams, HEAD and OPTIONS).
#include "../lib/response_head.hpp"

#include <ssekit/error.hpp>

#include "support/print.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <boost/beast/http/status.hpp>
#include <boost/system/system_error.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace data = boost::unit_test::data;
namespace http = boost::beast::http;
using ssekit::detail::render_response_head;
using ssekit::detail::sse_stream_headers;

namespace {

// "[name=value]" per header, so BOOST_TEST shows the whole list on failure.
std::string to_text(const ssekit::Params& params)
{
    std::string text;
    for (const auto& [name, value] : params)
        text += "[" + name + "=" + value + "]";
    return text;
}

struct Header {
    std::string name;
    std::string value;
};

std::ostream& operator<<(std::ostream& os, const Header& header)
{
    return os << '"' << header.name << "\": \"" << header.value << '"';
}

// Headers that would split the head or are not RFC 9110 field names.
const std::vector<Header> invalid_headers{
    {"", "v"},
    {"Bad Name", "v"},
    {"Bad:Name", "v"},
    {"(x)", "v"},
    {"X-\xC3\xA9", "v"},
    {"X-A\r", "v"},
    {"X-A\n", "v"},
    {std::string("X-A\0", 4), "v"},
    {"X-A", "v\r\nInjected: yes"},
    {"X-A", "v\r"},
    {"X-A", "v\n"},
    {"X-A", std::string("v\0w", 3)},
};

} // namespace

BOOST_AUTO_TEST_SUITE(response_head_tests)

BOOST_AUTO_TEST_CASE(head_is_status_line_then_headers_in_order_then_a_blank_line)
{
    const ssekit::Params headers{{"Server", "ssekit"}, {"X-B", "2"}, {"X-A", "1"}, {"X-A", "again"}};
    BOOST_TEST(render_response_head(http::status::not_found, 11, headers) ==
               "HTTP/1.1 404 Not Found\r\nServer: ssekit\r\nX-B: 2\r\nX-A: 1\r\nX-A: again\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(http_1_0_requests_get_an_http_1_0_status_line)
{
    BOOST_TEST(render_response_head(http::status::ok, 10, {}) == "HTTP/1.0 200 OK\r\n\r\n");
    BOOST_TEST(render_response_head(http::status::continue_, 11, {}) == "HTTP/1.1 100 Continue\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(token_characters_and_visible_values_are_written_as_given)
{
    const ssekit::Params headers{{"!#$%&'*+-.^_`|~09azAZ", "a \t\"quoted\" \xC3\xA9 ;,="}, {"X-Empty", ""}};
    BOOST_TEST(render_response_head(http::status::ok, 11, headers) ==
               "HTTP/1.1 200 OK\r\n!#$%&'*+-.^_`|~09azAZ: a \t\"quoted\" \xC3\xA9 ;,=\r\nX-Empty: \r\n\r\n");
}

BOOST_DATA_TEST_CASE(invalid_name_or_value_throws_invalid_field, data::make(invalid_headers), header)
{
    const ssekit::Params headers{{"Server", "ssekit"}, {header.name, header.value}};
    try {
        (void)render_response_head(http::status::ok, 11, headers);
        BOOST_FAIL("the head was rendered");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == ssekit::error::invalid_field);
    }
}

BOOST_AUTO_TEST_CASE(status_that_is_not_three_digits_throws_invalid_field)
{
    for (unsigned code : {0u, 42u, 99u, 1000u}) {
        BOOST_TEST_CONTEXT("status " << code)
        {
            try {
                (void)render_response_head(static_cast<http::status>(code), 11, {});
                BOOST_FAIL("the head was rendered");
            } catch (const boost::system::system_error& e) {
                BOOST_TEST(e.code() == ssekit::error::invalid_field);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(sse_stream_headers_for_http_1_1_are_chunked_then_the_route_headers)
{
    const ssekit::SseRouteOptions route{.headers = {{"Access-Control-Allow-Origin", "*"}, {"X-Room", "a"}}};
    BOOST_TEST(to_text(sse_stream_headers(route, 11)) ==
               "[Content-Type=text/event-stream][Cache-Control=no-store][X-Accel-Buffering=no]"
               "[Connection=close][Transfer-Encoding=chunked][Access-Control-Allow-Origin=*][X-Room=a]");
}

BOOST_AUTO_TEST_CASE(sse_stream_headers_for_http_1_0_are_delimited_by_the_close)
{
    BOOST_TEST(to_text(sse_stream_headers({}, 10)) ==
               "[Content-Type=text/event-stream][Cache-Control=no-store][X-Accel-Buffering=no][Connection=close]");
}

BOOST_AUTO_TEST_CASE(sse_stream_head_matches_what_streams_have_always_sent)
{
    BOOST_TEST(render_response_head(http::status::ok, 11, sse_stream_headers({}, 11)) ==
               "HTTP/1.1 200 OK\r\n"
               "Content-Type: text/event-stream\r\n"
               "Cache-Control: no-store\r\n"
               "X-Accel-Buffering: no\r\n"
               "Connection: close\r\n"
               "Transfer-Encoding: chunked\r\n\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
