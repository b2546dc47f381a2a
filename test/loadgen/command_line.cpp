// Tests of bench/loadgen/command_line.hpp: what each mode takes and needs.
#include "command_line.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace ssekit::loadgen;
namespace data = boost::unit_test::data;

using Args = std::vector<std::string>;

// Each case prints its own failure: the argument list is in the test's data.
BOOST_TEST_DONT_PRINT_LOG_VALUE(Args)

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(fanout_reads_its_options_with_defaults)
{
    auto options = parse_command_line(Args{"fanout", "--url", "http://127.0.0.1:8080", "--subscribers=100",
                                           "--events", "2000", "--rate", "500", "--server-pid", "12",
                                           "--server-pid", "13"});
    BOOST_TEST((options.mode == Mode::fanout));
    BOOST_TEST(options.url == "http://127.0.0.1:8080");
    BOOST_TEST(options.subscribers == 100u);
    BOOST_TEST(options.events == 2000u);
    BOOST_TEST(options.rate == 500.0);
    BOOST_TEST(options.payload == 64u);
    BOOST_TEST(options.sources == 1u);
    BOOST_TEST(options.server_pids == (std::vector<int>{12, 13}), boost::test_tools::per_element());
    BOOST_TEST(options.drain_timeout_s == 10.0);
    BOOST_TEST(options.topic.empty());
}

BOOST_AUTO_TEST_CASE(sources_default_to_one_per_2500_subscribers_above_1000)
{
    BOOST_TEST(default_sources(1) == 1u);
    BOOST_TEST(default_sources(1000) == 1u);
    BOOST_TEST(default_sources(1001) == 1u);
    BOOST_TEST(default_sources(2501) == 2u);
    BOOST_TEST(default_sources(10'000) == 4u);
    auto options = parse_command_line(
        Args{"idle", "--url", "http://localhost:1", "--subscribers", "5000", "--server-pid", "1"});
    BOOST_TEST(options.sources == 2u);
}

BOOST_AUTO_TEST_CASE(help_is_asked_for_anywhere)
{
    BOOST_TEST(parse_command_line(Args{"fanout", "--help"}).help);
    BOOST_TEST(parse_command_line(Args{"-h"}).help);
}

BOOST_DATA_TEST_CASE(bad_command_lines_are_usage_errors,
                     data::make(std::vector<Args>{
                         {},
                         {"flood"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1"},
                         {"idle", "--url", "http://127.0.0.1:1", "--subscribers", "1"},
                         {"idle", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--server-pid", "1",
                          "--events", "3"},
                         {"throughput", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--publishers", "0",
                          "--duration", "1"},
                         {"throughput", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--publishers",
                          "10000", "--duration", "1"},
                         {"fanout", "--url", "https://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1"},
                         {"fanout", "--url", "http://example.com", "--subscribers", "1", "--events", "1", "--rate",
                          "1"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "0", "--events", "1", "--rate",
                          "1"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "0"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--payload", "45"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--topic", "a/b"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--subscribers", "2",
                          "--events", "1", "--rate", "1"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate"},
                         {"fanout", "--url", "http://10.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--sources", "2"},
                     }),
                     args)
{
    BOOST_CHECK_THROW(parse_command_line(args), UsageError);
}

BOOST_AUTO_TEST_CASE(the_usage_text_names_every_mode)
{
    const std::string usage = usage_text();
    BOOST_TEST(usage.find("fanout") != std::string::npos);
    BOOST_TEST(usage.find("throughput") != std::string::npos);
    BOOST_TEST(usage.find("idle") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
