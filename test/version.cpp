// The version the headers report is meson.build's project version.

#include <ssekit/version.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

BOOST_AUTO_TEST_SUITE(version)

BOOST_AUTO_TEST_CASE(the_headers_report_the_project_version_of_meson_build)
{
    BOOST_TEST(std::string(ssekit::version_string) == SSEKIT_TEST_PROJECT_VERSION);
    const std::string parts = std::to_string(SSEKIT_VERSION_MAJOR) + "." + std::to_string(SSEKIT_VERSION_MINOR) +
                              "." + std::to_string(SSEKIT_VERSION_PATCH);
    BOOST_TEST(parts == SSEKIT_TEST_PROJECT_VERSION);
    BOOST_TEST(SSEKIT_VERSION == SSEKIT_VERSION_MAJOR * 10000 + SSEKIT_VERSION_MINOR * 100 + SSEKIT_VERSION_PATCH);
}

BOOST_AUTO_TEST_SUITE_END()
