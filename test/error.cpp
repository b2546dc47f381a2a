// Tests of error.hpp: ssekit's error codes and their "ssekit" category.
#include <ssekit/error.hpp>

#include "support/print.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <boost/system/system_error.hpp>

#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace data = boost::unit_test::data;

namespace {

const std::vector<ssekit::error> all_errors{
    ssekit::error::session_closed,
    ssekit::error::invalid_field,
    ssekit::error::line_too_long,
    ssekit::error::event_too_large,
    ssekit::error::unexpected_status,
    ssekit::error::unexpected_content_type,
    ssekit::error::unsupported_url,
    ssekit::error::response_started,
    ssekit::error::published_elsewhere,
    ssekit::error::token_invalid,
    ssekit::error::token_expired,
    ssekit::error::token_wrong_topic,
};

} // namespace

BOOST_AUTO_TEST_SUITE(error_tests)

BOOST_AUTO_TEST_CASE(category_is_named_ssekit)
{
    BOOST_TEST(ssekit::ssekit_category().name() == std::string_view("ssekit"));
}

BOOST_AUTO_TEST_CASE(category_is_a_single_object)
{
    BOOST_TEST(&ssekit::ssekit_category() == &ssekit::ssekit_category());
}

BOOST_DATA_TEST_CASE(make_error_code_uses_the_ssekit_category_and_the_enum_value, data::make(all_errors), e)
{
    const boost::system::error_code ec = ssekit::make_error_code(e);
    BOOST_TEST((ec.category() == ssekit::ssekit_category())); // a category does not print
    BOOST_TEST(ec.value() == static_cast<int>(e));
    BOOST_TEST(ec.failed());
    BOOST_TEST(ec == e);
}

BOOST_DATA_TEST_CASE(every_error_has_a_message, data::make(all_errors), e)
{
    BOOST_TEST(!ssekit::make_error_code(e).message().empty());
}

BOOST_AUTO_TEST_CASE(every_error_has_a_distinct_message)
{
    std::set<std::string> messages;
    for (ssekit::error e : all_errors)
        messages.insert(ssekit::make_error_code(e).message());
    BOOST_TEST(messages.size() == all_errors.size());
}

BOOST_AUTO_TEST_CASE(unknown_value_has_a_message_too)
{
    const boost::system::error_code ec(999, ssekit::ssekit_category());
    BOOST_TEST(!ec.message().empty());
}

BOOST_AUTO_TEST_CASE(enum_is_an_error_code_enum)
{
    static_assert(boost::system::is_error_code_enum<ssekit::error>::value);
    static_assert(std::is_convertible_v<ssekit::error, boost::system::error_code>);
}

BOOST_AUTO_TEST_CASE(enum_converts_implicitly_to_error_code)
{
    boost::system::error_code ec = ssekit::error::session_closed;
    BOOST_TEST(ec == ssekit::error::session_closed);
    BOOST_TEST(ec != ssekit::error::invalid_field);
    BOOST_TEST(ec.category().name() == std::string_view("ssekit"));
}

BOOST_AUTO_TEST_CASE(error_code_of_another_category_with_the_same_value_is_not_equal)
{
    const boost::system::error_code generic(static_cast<int>(ssekit::error::session_closed),
                                            boost::system::generic_category());
    BOOST_TEST(generic != ssekit::error::session_closed);
}

BOOST_AUTO_TEST_CASE(system_error_carries_the_code_and_its_message)
{
    const boost::system::system_error e(ssekit::error::session_closed, "send");
    BOOST_TEST(e.code() == ssekit::error::session_closed);
    const std::string what = e.what();
    BOOST_TEST(what.find("send") != std::string::npos);
    BOOST_TEST(what.find(ssekit::make_error_code(ssekit::error::session_closed).message()) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
