// Tests of bench/loadgen/log_stats.hpp: sample-pubsub's /stats summed over
// one run's topics.
#include "log_stats.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace ssekit::loadgen;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(log_stats)

BOOST_AUTO_TEST_CASE(only_the_topics_with_the_prefix_are_summed)
{
    const std::string stats = R"({"connections":3,"topics":{
        "run7.0":{"subscribers":0,"published":300,"replay_buffered":128,"replay_buffered_bytes":16700000},
        "run7.1":{"subscribers":0,"published":300,"replay_buffered":127,"replay_buffered_bytes":16600000},
        "other":{"subscribers":2,"published":9,"replay_buffered":9,"replay_buffered_bytes":900}}})";
    const LogTotals totals = sum_topic_logs(stats, "run7.");
    BOOST_TEST(totals.topics == 2u);
    BOOST_TEST(totals.events == 255u);
    BOOST_TEST(totals.bytes == 33'300'000u);
}

BOOST_AUTO_TEST_CASE(no_matching_topic_sums_to_zero)
{
    const LogTotals totals = sum_topic_logs(R"({"connections":1,"topics":{}})", "run7.");
    BOOST_TEST(totals.topics == 0u);
    BOOST_TEST(totals.bytes == 0u);
}

BOOST_DATA_TEST_CASE(what_is_not_a_stats_document_is_refused,
                     data::make(std::vector<std::string>{
                         "", "not json", "[]", R"({"connections":1})", R"({"topics":[]})",
                         R"({"topics":{"run7.0":3}})",
                         R"({"topics":{"run7.0":{"replay_buffered":1}}})",
                         R"({"topics":{"run7.0":{"replay_buffered":1,"replay_buffered_bytes":"10"}}})",
                     }),
                     stats)
{
    BOOST_CHECK_THROW(sum_topic_logs(stats, "run7."), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
