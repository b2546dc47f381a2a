// The hiredis boundary, without a server: commands encoded by
// redisFormatCommandArgv, replies cut by redisReader from bytes that come in
// pieces of any size, and RedisReply's accessors.

#include "redis/redis_command.hpp"
#include "redis/redis_reply_reader.hpp"

#include "print.hpp"

#include <ssekit/redis_error.hpp>
#include "redis/redis_reply.hpp"

#include <boost/system/system_error.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace data = boost::unit_test::data;
using namespace std::string_literals;
using ssekit::redis_error;
using ssekit::detail::RedisCommand;
using ssekit::detail::RedisReply;
using ssekit::detail::RedisReplyReader;

namespace {

/// Every reply in `bytes`, fed `piece` bytes at a time.
std::vector<RedisReply> read_all(const std::string& bytes, std::size_t piece)
{
    RedisReplyReader reader;
    std::vector<RedisReply> replies;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        reader.feed(std::string_view(bytes).substr(at, piece));
        boost::system::error_code ec;
        while (auto reply = reader.next(ec))
            replies.push_back(std::move(*reply));
        BOOST_REQUIRE(!ec);
    }
    return replies;
}

std::string printed(const RedisReply& reply)
{
    std::ostringstream out;
    out << reply;
    return out.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_protocol)

BOOST_AUTO_TEST_CASE(a_command_is_an_array_of_bulk_strings_with_binary_arguments_unchanged)
{
    const std::string value = "a\r\nb\0c"s;
    RedisCommand command{"SET", "key", value};
    BOOST_TEST(command.bytes() == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\na\r\nb\0c\r\n"s);
    BOOST_TEST(command.size() == command.bytes().size());
}

BOOST_AUTO_TEST_CASE(an_empty_argument_is_an_empty_bulk_string)
{
    RedisCommand command{"ECHO", ""};
    BOOST_TEST(command.bytes() == "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(a_command_without_a_name_is_refused_at_the_call)
{
    BOOST_CHECK_THROW(RedisCommand(std::span<const std::string_view>()), std::invalid_argument);
}

// Replies of every type, one after the other, fed in pieces of every size
// from one byte up: a reply split anywhere comes out whole and once.
BOOST_DATA_TEST_CASE(replies_come_out_whole_whatever_pieces_the_bytes_arrive_in, data::xrange(1, 40), piece)
{
    const std::string bytes = "+OK\r\n"
                              "-ERR value is not an integer or out of range\r\n"
                              ":-42\r\n"
                              "$5\r\na\r\n\0b\r\n"s
                              "$-1\r\n"
                              "*-1\r\n"
                              "*0\r\n"
                              "*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n:7\r\n";
    const std::vector<RedisReply> expected{
        RedisReply::make_status("OK"),
        RedisReply::make_error("ERR value is not an integer or out of range"),
        RedisReply::make_integer(-42),
        RedisReply::make_string("a\r\n\0b"s),
        RedisReply(),
        RedisReply(),
        RedisReply::make_array({}),
        RedisReply::make_array({RedisReply::make_array({RedisReply::make_string("1-0"),
                                                        RedisReply::make_array({RedisReply::make_string("f"),
                                                                                RedisReply::make_string("v")})}),
                                RedisReply::make_integer(7)}),
    };
    const auto replies = read_all(bytes, static_cast<std::size_t>(piece));
    BOOST_TEST(replies == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_large_bulk_string_in_many_pieces_is_one_reply)
{
    const std::string value(1024 * 1024, 'x');
    const auto replies = read_all("$" + std::to_string(value.size()) + "\r\n" + value + "\r\n", 16 * 1024);
    BOOST_REQUIRE(replies.size() == 1u);
    BOOST_TEST(replies[0].text().size() == value.size());
    BOOST_TEST((replies[0].text() == value));
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_resp_are_a_protocol_error)
{
    RedisReplyReader reader;
    reader.feed("?what\r\n");
    boost::system::error_code ec;
    BOOST_TEST(!reader.next(ec));
    BOOST_TEST(ec == redis_error::protocol_error);
    BOOST_TEST(!reader.error_text().empty());
}

BOOST_AUTO_TEST_CASE(an_accessor_of_the_wrong_type_throws_unexpected_reply_naming_both_types)
{
    const RedisReply error = RedisReply::make_error("WRONGTYPE Operation against a key holding the wrong kind");
    try {
        (void)error.integer();
        BOOST_FAIL("integer() of an error reply did not throw");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == redis_error::unexpected_reply);
        BOOST_TEST(std::string(e.what()).find("WRONGTYPE") != std::string::npos);
    }
    BOOST_CHECK_THROW((void)RedisReply().text(), boost::system::system_error);
    BOOST_CHECK_THROW((void)RedisReply::make_integer(1).elements(), boost::system::system_error);
    BOOST_TEST(error.text().starts_with("WRONGTYPE"));
}

BOOST_AUTO_TEST_CASE(a_reply_prints_as_redis_cli_would_with_bytes_escaped)
{
    BOOST_TEST(printed(RedisReply()) == "(nil)");
    BOOST_TEST(printed(RedisReply::make_integer(3)) == "(integer) 3");
    BOOST_TEST(printed(RedisReply::make_error("ERR x")) == "(error) ERR x");
    BOOST_TEST(printed(RedisReply::make_array({RedisReply::make_string("a\r\n\0\"b"s), RedisReply::make_status("OK")})) ==
               R"(["a\r\n\x00\"b", OK])");
}

BOOST_AUTO_TEST_SUITE_END()
