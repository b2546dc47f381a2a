// Tests of bench/loadgen/payload.hpp: the fixed-size body every publish
// carries, and reading it back.
#include "payload.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ssekit::loadgen;
namespace data = boost::unit_test::data;

namespace ssekit::loadgen {

std::ostream& boost_test_print_type(std::ostream& os, const PayloadStamp& s)
{
    return os << "{" << s.publisher << " " << s.seq << " " << s.send_ns << "}";
}

} // namespace ssekit::loadgen

BOOST_AUTO_TEST_SUITE(payload)

BOOST_AUTO_TEST_CASE(a_payload_is_the_stamp_padded_with_x)
{
    const auto body = format_payload({.publisher = 3, .seq = 17, .send_ns = 123456789}, 64);
    BOOST_TEST(body.size() == 64u);
    BOOST_TEST(body == "3 17 123456789 " + std::string(64 - 15, 'x'));
}

BOOST_AUTO_TEST_CASE(append_payload_keeps_what_was_there)
{
    std::string request = "head\r\n\r\n";
    append_payload(request, {.publisher = 0, .seq = 0, .send_ns = 1}, 50);
    BOOST_TEST(request.size() == 58u);
    BOOST_TEST(request.starts_with("head\r\n\r\n0 0 1 xxx"));
}

const std::vector<PayloadStamp> stamps{
    {.publisher = 0, .seq = 0, .send_ns = 0},
    {.publisher = 1, .seq = 1, .send_ns = 1'000'000'000},
    {.publisher = 9998, .seq = 123'456, .send_ns = 98'765'432'101'234},
    {.publisher = warm_up_publisher, .seq = 2, .send_ns = 5},
    {.publisher = max_publisher,
     .seq = std::numeric_limits<std::uint64_t>::max(),
     .send_ns = std::numeric_limits<std::int64_t>::max()},
};

BOOST_DATA_TEST_CASE(every_stamp_reads_back_at_every_size, data::make(stamps) * data::make({46, 47, 64, 1000}),
                     stamp, size)
{
    const auto body = format_payload(stamp, static_cast<std::size_t>(size));
    BOOST_TEST(body.size() == static_cast<std::size_t>(size));
    BOOST_TEST(body.find('\n') == std::string::npos);
    auto parsed = parse_payload(body);
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(*parsed == stamp);
}

BOOST_AUTO_TEST_CASE(sizes_below_the_minimum_are_refused)
{
    BOOST_CHECK_THROW(format_payload({}, min_payload_bytes - 1), std::invalid_argument);
    BOOST_CHECK_THROW(format_payload({.publisher = max_publisher + 1}, 64), std::invalid_argument);
    BOOST_CHECK_THROW(format_payload({.send_ns = -1}, 64), std::invalid_argument);
}

BOOST_DATA_TEST_CASE(bodies_that_are_not_payloads_do_not_parse,
                     data::make(std::vector<std::string>{
                         "", "hello", "1 2 3", "1 2 3 y", "1 2 3 xxy", "a 2 3 ", "1  2 3 ", " 1 2 3 ", "-1 2 3 ",
                         "+1 2 3 ", "1 2 -3 ", "10000 1 1 ", "1 2 3\nxx", "1 2 99999999999999999999 ",
                         "1 2 9223372036854775808 "}),
                     body)
{
    BOOST_TEST(!parse_payload(body).has_value());
}

BOOST_AUTO_TEST_CASE(a_payload_without_padding_parses)
{
    auto parsed = parse_payload("7 8 9 ");
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(*parsed == (PayloadStamp{.publisher = 7, .seq = 8, .send_ns = 9}));
}

BOOST_AUTO_TEST_SUITE_END()
