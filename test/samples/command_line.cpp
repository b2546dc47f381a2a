// What every sample shares: its command line and a clean stop on signals.

#include "sample_process.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <string>

namespace data = boost::unit_test::data;
using namespace ssekit::test;

namespace {

const char* const sample_names[] = {"events", "heartbeat", "json", "demo"};

} // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_DATA_TEST_CASE(prints_the_listening_address_first, data::make(sample_names), name)
{
    SampleProcess sample(sample_path(name));
    BOOST_TEST(sample.first_line() == "listening on http://127.0.0.1:" + std::to_string(sample.port()));
}

BOOST_DATA_TEST_CASE(exits_0_on_sigterm, data::make(sample_names), name)
{
    SampleProcess sample(sample_path(name));
    BOOST_TEST(sample.stop(SIGTERM) == 0);
}

BOOST_DATA_TEST_CASE(exits_0_on_sigint, data::make(sample_names), name)
{
    SampleProcess sample(sample_path(name));
    BOOST_TEST(sample.stop(SIGINT) == 0);
}

BOOST_DATA_TEST_CASE(prints_usage_and_exits_2_on_a_bad_port, data::make(sample_names), name)
{
    auto result = run_to_end(sample_path(name), {"--port", "notanumber"});
    BOOST_TEST(result.exit_status == 2);
    BOOST_TEST(result.output.find("usage: sample-" + std::string(name)) != std::string::npos, result.output);
    BOOST_TEST(result.output.find("notanumber") != std::string::npos, result.output);
}

BOOST_DATA_TEST_CASE(prints_usage_and_exits_2_on_an_unknown_argument, data::make(sample_names), name)
{
    auto result = run_to_end(sample_path(name), {"--verbose"});
    BOOST_TEST(result.exit_status == 2);
    BOOST_TEST(result.output.find("usage: sample-" + std::string(name)) != std::string::npos, result.output);
}

BOOST_DATA_TEST_CASE(help_prints_usage_and_exits_0, data::make(sample_names), name)
{
    auto result = run_to_end(sample_path(name), {"--help"});
    BOOST_TEST(result.exit_status == 0);
    BOOST_TEST(result.output.find("--port PORT") != std::string::npos, result.output);
}

BOOST_AUTO_TEST_SUITE_END()
