// Tests of request.hpp: a Request built from a parsed Beast request.
#include <ssekit/request.hpp>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace data = boost::unit_test::data;
namespace http = boost::beast::http;

namespace {

ssekit::Request::message_type make_message(std::string_view target, http::verb method = http::verb::get,
                                           unsigned version = 11)
{
    ssekit::Request::message_type message{method, target, version};
    message.set(http::field::host, "example.test");
    return message;
}

ssekit::Request make_request(std::string_view target)
{
    return ssekit::Request(make_message(target));
}

// "[name=value]" per parameter, so BOOST_TEST shows the whole list on failure.
std::string to_text(const ssekit::Params& params)
{
    std::string text;
    for (const auto& [name, value] : params)
        text += "[" + name + "=" + value + "]";
    return text;
}

// Targets that are neither origin-form (absolute-path [ "?" query ]) nor
// absolute-form of an http(s) URI (RFC 9112 3.2.1-3.2.2), with valid
// percent-encoding and no fragment.
const std::vector<std::string> invalid_targets{
    "*",            // asterisk-form (OPTIONS only, answered by the server)
    "ftp://x/y",    // absolute-form of another scheme
    "mailto:a@x",   // absolute URI without an authority
    "http:/y",      // http URI without an authority
    "http:///y",    // http URI with an empty host
    "http://u@x/y", // userinfo (RFC 9110 4.2.4)
    "http://x/y#f", // fragment
    "http://x/%zz", // bad percent-encoding in an absolute-form path
    "example.test:443", // authority-form
    "not a target", // no leading '/', spaces
    "%zz",
    "/%zz",         // bad percent-encoding in the path
    "/a%2",         // truncated percent-encoding
    "/a b",         // raw space
    "/a#frag",      // fragment
    "/a?x=%zz",     // bad percent-encoding in the query
    "",
};

} // namespace

BOOST_AUTO_TEST_SUITE(request_tests)

BOOST_AUTO_TEST_CASE(path_is_percent_decoded_and_target_is_raw)
{
    const ssekit::Request request = make_request("/rooms/a%20b/caf%C3%A9?x=1");
    BOOST_TEST(request.path() == "/rooms/a b/caf\xC3\xA9");
    BOOST_TEST(request.target() == "/rooms/a%20b/caf%C3%A9?x=1");
}

BOOST_AUTO_TEST_CASE(root_path)
{
    const ssekit::Request request = make_request("/");
    BOOST_TEST(request.path() == "/");
    BOOST_TEST(request.query_params().empty());
}

BOOST_AUTO_TEST_CASE(query_params_are_decoded_and_kept_in_order)
{
    const ssekit::Request request = make_request("/s?x=1&y=%C3%A9&x=2&flag&plus=a+b&pct=a%2Bb%26c%3Dd");
    BOOST_TEST(to_text(request.query_params()) ==
               "[x=1][y=\xC3\xA9][x=2][flag=][plus=a b][pct=a+b&c=d]");
}

BOOST_AUTO_TEST_CASE(query_returns_the_first_value)
{
    const ssekit::Request request = make_request("/s?x=1&x=2&empty=&flag");
    BOOST_TEST_REQUIRE(request.query("x").has_value());
    BOOST_TEST(*request.query("x") == "1");
    BOOST_TEST_REQUIRE(request.query("empty").has_value());
    BOOST_TEST(request.query("empty")->empty());
    BOOST_TEST_REQUIRE(request.query("flag").has_value());
    BOOST_TEST(request.query("flag")->empty());
}

BOOST_AUTO_TEST_CASE(query_of_a_missing_name_is_nullopt)
{
    const ssekit::Request request = make_request("/s?x=1");
    BOOST_TEST(!request.query("y").has_value());
    BOOST_TEST(!request.query("X").has_value()); // names are case-sensitive
    BOOST_TEST(!make_request("/s").query("x").has_value());
}

BOOST_AUTO_TEST_CASE(query_is_not_part_of_the_path)
{
    const ssekit::Request request = make_request("/a%3Fb?c=d");
    BOOST_TEST(request.path() == "/a?b");
    BOOST_TEST(to_text(request.query_params()) == "[c=d]");
}

BOOST_AUTO_TEST_CASE(header_lookup_is_case_insensitive)
{
    auto message = make_message("/");
    message.set("X-Custom", "value");
    const ssekit::Request request(std::move(message));
    for (const char* name : {"X-Custom", "x-custom", "X-CUSTOM"}) {
        BOOST_TEST_CONTEXT("header " << name)
        {
            BOOST_TEST_REQUIRE(request.header(name).has_value());
            BOOST_TEST(*request.header(name) == "value");
        }
    }
    BOOST_TEST_REQUIRE(request.header("host").has_value());
    BOOST_TEST(*request.header("host") == "example.test");
}

BOOST_AUTO_TEST_CASE(header_returns_the_first_value)
{
    auto message = make_message("/");
    message.insert(http::field::accept, "text/event-stream");
    message.insert(http::field::accept, "text/plain");
    const ssekit::Request request(std::move(message));
    BOOST_TEST_REQUIRE(request.header("accept").has_value());
    BOOST_TEST(*request.header("accept") == "text/event-stream");
}

BOOST_AUTO_TEST_CASE(header_of_a_missing_name_is_nullopt)
{
    const ssekit::Request request = make_request("/");
    BOOST_TEST(!request.header("last-event-id").has_value());
}

BOOST_AUTO_TEST_CASE(body_and_method_come_from_the_message)
{
    auto message = make_message("/publish", http::verb::post);
    message.body() = "payload";
    message.prepare_payload();
    const ssekit::Request request(std::move(message));
    BOOST_TEST(request.body() == "payload");
    BOOST_TEST(request.method() == http::verb::post);
    BOOST_TEST(request.method_string() == "POST");
    BOOST_TEST(request.message().body() == "payload");
}

BOOST_AUTO_TEST_CASE(version_is_ten_times_major_plus_minor)
{
    BOOST_TEST(ssekit::Request(make_message("/", http::verb::get, 11)).version() == 11u);
    BOOST_TEST(ssekit::Request(make_message("/", http::verb::get, 10)).version() == 10u);
}

BOOST_AUTO_TEST_CASE(keep_alive_follows_version_and_connection_header)
{
    BOOST_TEST(ssekit::Request(make_message("/", http::verb::get, 11)).keep_alive());
    BOOST_TEST(!ssekit::Request(make_message("/", http::verb::get, 10)).keep_alive());

    auto close = make_message("/", http::verb::get, 11);
    close.set(http::field::connection, "close");
    BOOST_TEST(!ssekit::Request(std::move(close)).keep_alive());

    auto keep = make_message("/", http::verb::get, 10);
    keep.set(http::field::connection, "keep-alive");
    BOOST_TEST(ssekit::Request(std::move(keep)).keep_alive());
}

BOOST_AUTO_TEST_CASE(path_params_are_empty_until_a_route_matches)
{
    const ssekit::Request request = make_request("/rooms/a");
    BOOST_TEST(request.path_params().empty());
    BOOST_TEST(!request.path_param("room").has_value());
}

BOOST_AUTO_TEST_CASE(absolute_form_target_gives_its_path_and_query)
{
    const ssekit::Request request = make_request("http://elsewhere.test/sub/a%20b?y=1&z=%C3%A9");
    BOOST_TEST(request.path() == "/sub/a b");
    BOOST_TEST(to_text(request.query_params()) == "[y=1][z=\xC3\xA9]");
    BOOST_TEST(request.target() == "http://elsewhere.test/sub/a%20b?y=1&z=%C3%A9");
}

BOOST_AUTO_TEST_CASE(absolute_form_without_a_path_is_the_root)
{
    BOOST_TEST(make_request("http://x.test").path() == "/");
    const ssekit::Request request = make_request("HTTPS://x.test?q=1");
    BOOST_TEST(request.path() == "/");
    BOOST_TEST(to_text(request.query_params()) == "[q=1]");
}

BOOST_AUTO_TEST_CASE(absolute_form_authority_replaces_the_host_header)
{
    // RFC 9112 3.2.2: the origin server ignores Host and uses the target's.
    const ssekit::Request request = make_request("http://other.test:8080/x");
    BOOST_TEST_REQUIRE(request.header("Host").has_value());
    BOOST_TEST(*request.header("Host") == "other.test:8080");
    BOOST_TEST(request.headers().count(http::field::host) == 1u);
}

BOOST_DATA_TEST_CASE(target_that_is_neither_origin_nor_absolute_form_throws_system_error, data::make(invalid_targets),
                     target)
{
    try {
        (void)make_request(target);
        BOOST_FAIL("Request accepted the target");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code().failed());
    }
}

BOOST_AUTO_TEST_SUITE_END()
