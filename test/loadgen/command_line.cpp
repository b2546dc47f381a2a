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

BOOST_AUTO_TEST_CASE(fanout_takes_head_probes)
{
    auto options = parse_command_line(Args{"fanout", "--url", "http://127.0.0.1:8080", "--subscribers=2000",
                                           "--events", "2000", "--rate", "200", "--probes", "80",
                                           "--probe-interval=0.1"});
    BOOST_TEST(options.probes == 80u);
    BOOST_TEST(options.probe_interval_s == 0.1);
    auto without = parse_command_line(
        Args{"fanout", "--url", "http://127.0.0.1:8080", "--subscribers=1", "--events", "1", "--rate", "1"});
    BOOST_TEST(without.probes == 0u);
}

BOOST_AUTO_TEST_CASE(publish_and_subscribe_urls_default_to_the_url)
{
    auto options = parse_command_line(
        Args{"fanout", "--url", "http://127.0.0.1:8080", "--subscribers=1", "--events", "1", "--rate", "1"});
    BOOST_TEST(options.publish_urls == (std::vector<std::string>{"http://127.0.0.1:8080"}),
               boost::test_tools::per_element());
    BOOST_TEST(options.subscribe_urls == (std::vector<std::string>{"http://127.0.0.1:8080"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(subscribers_spread_over_every_subscribe_url_given)
{
    auto options = parse_command_line(Args{"fanout", "--publish-url", "http://127.0.0.1:8081", "--subscribe-url",
                                           "http://127.0.0.1:8082", "--subscribe-url=http://127.0.0.1:8083",
                                           "--subscribers=1000", "--events", "2000", "--rate", "200"});
    BOOST_TEST(options.publish_urls == (std::vector<std::string>{"http://127.0.0.1:8081"}),
               boost::test_tools::per_element());
    BOOST_TEST(options.subscribe_urls ==
                   (std::vector<std::string>{"http://127.0.0.1:8082", "http://127.0.0.1:8083"}),
               boost::test_tools::per_element());
    // Without --url, the first publish URL stands for the server.
    BOOST_TEST(options.url == "http://127.0.0.1:8081");
}

BOOST_AUTO_TEST_CASE(throughput_publishers_take_several_publish_urls_beside_the_url)
{
    auto options = parse_command_line(Args{"throughput", "--url", "http://127.0.0.1:8081", "--publish-url",
                                           "http://127.0.0.1:8081", "--publish-url", "http://127.0.0.1:8082",
                                           "--subscribers", "10", "--publishers", "4", "--duration", "10"});
    BOOST_TEST(options.url == "http://127.0.0.1:8081");
    BOOST_TEST(options.publish_urls == (std::vector<std::string>{"http://127.0.0.1:8081", "http://127.0.0.1:8082"}),
               boost::test_tools::per_element());
    BOOST_TEST(options.subscribe_urls == (std::vector<std::string>{"http://127.0.0.1:8081"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(replay_reads_the_storm_and_its_live_events)
{
    auto options = parse_command_line(Args{"replay", "--url", "http://127.0.0.1:8080", "--subscribers", "1000",
                                           "--events", "500", "--live-events", "20", "--rate", "20"});
    BOOST_TEST((options.mode == Mode::replay));
    BOOST_TEST(options.subscribers == 1000u);
    BOOST_TEST(options.events == 500u);
    BOOST_TEST(options.live_events == 20u);
    BOOST_TEST(options.rate == 20.0);
    BOOST_TEST(std::string(mode_name(options.mode)) == "replay");
}

BOOST_AUTO_TEST_CASE(logs_reads_its_topics_with_the_default_bound)
{
    auto options = parse_command_line(Args{"logs", "--url", "http://127.0.0.1:8080", "--topics", "100", "--events",
                                           "300", "--payload", "65536", "--server-pid", "12"});
    BOOST_TEST((options.mode == Mode::logs));
    BOOST_TEST(options.topics == 100u);
    BOOST_TEST(options.events == 300u);
    BOOST_TEST(options.payload == 65536u);
    BOOST_TEST(options.log_bound_bytes == 16u * 1024 * 1024);
    auto bounded = parse_command_line(Args{"logs", "--url", "http://127.0.0.1:8080", "--topics", "1", "--events",
                                           "1", "--server-pid", "12", "--log-bound", "1000"});
    BOOST_TEST(bounded.log_bound_bytes == 1000u);
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
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--probes", "0"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--probe-interval", "0.1"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--probes", "3", "--probe-interval", "0"},
                         {"throughput", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--publishers", "1",
                          "--duration", "1", "--probes", "3"},
                         {"replay", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "5", "--rate",
                          "1"},
                         {"replay", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "5",
                          "--live-events", "0", "--rate", "1"},
                         {"fanout", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--live-events", "2"},
                         {"logs", "--url", "http://127.0.0.1:1", "--topics", "2", "--events", "3"},
                         {"logs", "--url", "http://127.0.0.1:1", "--topics", "0", "--events", "3", "--server-pid",
                          "1"},
                         {"logs", "--url", "http://127.0.0.1:1", "--topics", "2", "--events", "3", "--server-pid",
                          "1", "--subscribers", "5"},
                         // Without --url, both --publish-url and --subscribe-url are needed.
                         {"fanout", "--subscribers", "1", "--events", "1", "--rate", "1"},
                         {"fanout", "--publish-url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "1",
                          "--rate", "1"},
                         {"throughput", "--subscribe-url", "http://127.0.0.1:1", "--subscribers", "1",
                          "--publishers", "1", "--duration", "1"},
                         {"fanout", "--publish-url", "http://127.0.0.1:1", "--subscribe-url", "https://127.0.0.1:2",
                          "--subscribers", "1", "--events", "1", "--rate", "1"},
                         {"fanout", "--publish-url", "ftp://127.0.0.1:1", "--subscribe-url", "http://127.0.0.1:2",
                          "--subscribers", "1", "--events", "1", "--rate", "1"},
                         {"fanout", "--publish-url", "http://127.0.0.1:1", "--subscribe-url", "http://127.0.0.1:2",
                          "--subscribe-url", "http://10.0.0.1:3", "--subscribers", "1", "--events", "1", "--rate",
                          "1", "--sources", "2"},
                         // Only the modes that publish while subscribers follow spread them.
                         {"idle", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--server-pid", "1",
                          "--subscribe-url", "http://127.0.0.1:2"},
                         {"replay", "--url", "http://127.0.0.1:1", "--subscribers", "1", "--events", "5",
                          "--live-events", "1", "--rate", "1", "--publish-url", "http://127.0.0.1:2"},
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
    BOOST_TEST(usage.find("replay") != std::string::npos);
    BOOST_TEST(usage.find("logs") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
