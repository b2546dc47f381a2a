// Tests of bench/loadgen/target.hpp: the URL read and the requests sent.
#include "target.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace ssekit::loadgen;

BOOST_AUTO_TEST_SUITE(target)

BOOST_AUTO_TEST_CASE(a_subscription_asks_for_an_event_stream)
{
    const std::string request = subscribe_request(parse_target("http://127.0.0.1:8080/sse/"), "news");
    BOOST_TEST(request.starts_with("GET /sse/sub/news HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"), request);
    BOOST_TEST(request.find("Accept: text/event-stream\r\n") != std::string::npos, request);
    BOOST_TEST(request.find("Last-Event-ID") == std::string::npos, request);
    BOOST_TEST(request.ends_with("\r\n\r\n"), request);
}

BOOST_AUTO_TEST_CASE(a_resuming_subscription_sends_its_last_event_id)
{
    const std::string request = subscribe_request(parse_target("http://localhost:1"), "news", "1700000000:0");
    BOOST_TEST(request.find("\r\nLast-Event-ID: 1700000000:0\r\n") != std::string::npos, request);
    BOOST_TEST(request.ends_with("\r\n\r\n"), request);
    BOOST_TEST(request.find("\r\n\r\n") == request.size() - 4, request);
}

BOOST_AUTO_TEST_CASE(a_url_that_is_not_plain_http_on_ipv4_is_refused)
{
    BOOST_CHECK_THROW(parse_target("https://127.0.0.1:1"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_target("http://example.com"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_target("http://127.0.0.1:0"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
