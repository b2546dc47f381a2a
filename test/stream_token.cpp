// Tests of stream_token.hpp: tokens that open streams, signed with
// HMAC-SHA256, and refused when forged, expired or for another topic.
#include <ssekit/stream_token.hpp>

#include "support/print.hpp"

#include <ssekit/error.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace http = boost::beast::http;
using namespace std::chrono_literals;
using ssekit::StreamTokens;

namespace {

const std::string secret(32, 's');

ssekit::Request request_with(std::string_view target, std::string_view cookie = {})
{
    ssekit::Request::message_type message{http::verb::get, target, 11};
    message.set(http::field::host, "example.com");
    if (!cookie.empty())
        message.set(http::field::cookie, cookie);
    return ssekit::Request(std::move(message));
}

/// `token` with the character at `at` changed.
std::string altered(std::string token, std::size_t at)
{
    token[at] = token[at] == 'A' ? 'B' : 'A';
    return token;
}

} // namespace

BOOST_AUTO_TEST_SUITE(stream_token)

BOOST_AUTO_TEST_CASE(a_token_opens_its_topic_for_its_subject_until_it_expires)
{
    const StreamTokens tokens(secret);
    const auto before = std::chrono::system_clock::now();
    const std::string token = tokens.issue("news", "user-7", 60s);
    BOOST_TEST(token.starts_with("v1."));
    boost::system::error_code ec;
    const ssekit::StreamTokenClaims claims = tokens.verify(token, "news", ec);
    BOOST_TEST(!ec);
    BOOST_TEST(claims.topic == "news");
    BOOST_TEST(claims.subject == "user-7");
    BOOST_TEST((claims.expires > before + 58s && claims.expires <= before + 61s));

    tokens.verify(token, "news", claims.expires - 1s, ec);
    BOOST_TEST(!ec);
    tokens.verify(token, "news", claims.expires, ec);
    BOOST_TEST(ec == ssekit::error::token_expired);
}

BOOST_AUTO_TEST_CASE(a_token_for_another_topic_is_refused)
{
    const StreamTokens tokens(secret);
    boost::system::error_code ec;
    const ssekit::StreamTokenClaims claims = tokens.verify(tokens.issue("news", "u", 60s), "sport", ec);
    BOOST_TEST(ec == ssekit::error::token_wrong_topic);
    BOOST_TEST(claims.subject.empty());
}

BOOST_AUTO_TEST_CASE(a_changed_byte_anywhere_or_another_secret_makes_it_invalid)
{
    const StreamTokens tokens(secret);
    const std::string token = tokens.issue("news", "u", 60s);
    boost::system::error_code ec;
    for (std::size_t at = 3; at < token.size(); ++at) {
        if (token[at] == '.')
            continue;
        tokens.verify(altered(token, at), "news", ec);
        BOOST_TEST(ec == ssekit::error::token_invalid, "changed at " << at);
    }
    // The signature's last character carries two unused bits: setting them
    // spells the same bytes another way, which is refused too.
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string loose = token;
    const std::size_t value = alphabet.find(loose.back());
    BOOST_REQUIRE(value != std::string::npos);
    BOOST_TEST((value & 3u) == 0u); // 32 bytes: 43 characters, the last with 2 unused bits
    loose.back() = alphabet[value | 1u];
    tokens.verify(loose, "news", ec);
    BOOST_TEST(ec == ssekit::error::token_invalid);

    const StreamTokens others(std::string(32, 'o'));
    others.verify(token, "news", ec);
    BOOST_TEST(ec == ssekit::error::token_invalid);
}

BOOST_AUTO_TEST_CASE(malformed_tokens_are_invalid_not_errors)
{
    const StreamTokens tokens(secret);
    const std::string token = tokens.issue("news", "u", 60s);
    const std::string payload = token.substr(3, token.find('.', 3) - 3);
    const std::vector<std::string> malformed{std::string(),
                                             "v1.",
                                             "v1..",
                                             "v2." + token.substr(3),
                                             token.substr(0, token.find('.', 3)),
                                             "v1." + payload + ".",
                                             "v1." + payload + ".***",
                                             "v1." + payload + ".=",
                                             token + "x",
                                             token + ".x"};
    for (const std::string& bad : malformed) {
        boost::system::error_code ec;
        tokens.verify(bad, "news", ec);
        BOOST_TEST(ec == ssekit::error::token_invalid, "'" << bad << "'");
    }
}

BOOST_AUTO_TEST_CASE(a_short_secret_or_a_lifetime_that_is_not_positive_is_refused)
{
    BOOST_CHECK_THROW(StreamTokens(std::string(31, 's')), std::invalid_argument);
    const StreamTokens tokens(secret);
    BOOST_CHECK_THROW(tokens.issue("news", "u", 0s), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_request_carries_its_token_in_the_query_or_in_a_cookie)
{
    BOOST_TEST(StreamTokens::from_request(request_with("/sub/news?token=abc.def")).value_or("") == "abc.def");
    BOOST_TEST(StreamTokens::from_request(request_with("/sub/news", "theme=dark; sse_token=xyz; lang=en"))
                   .value_or("") == "xyz");
    BOOST_TEST(StreamTokens::from_request(request_with("/sub/news", "sse_token=first"), "other").has_value() == false);
    BOOST_TEST(StreamTokens::from_request(request_with("/sub/news", "my_sse_token=no")).has_value() == false);
    // The query wins: the page chose it for this request.
    BOOST_TEST(StreamTokens::from_request(request_with("/sub/news?token=q", "sse_token=c")).value_or("") == "q");
}

BOOST_AUTO_TEST_SUITE_END()
