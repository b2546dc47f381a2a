// Tests of bench/loadgen/proc_stats.hpp: reading /proc for the server's
// memory and CPU.
#include "proc_stats.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

using namespace ssekit::loadgen;

BOOST_AUTO_TEST_SUITE(proc_stats)

BOOST_AUTO_TEST_CASE(vm_rss_is_read_in_bytes)
{
    const auto rss = parse_vm_rss_bytes("Name:\tx\nVmPeak:\t  900 kB\nVmRSS:\t    1234 kB\nVmData: 5 kB\n");
    BOOST_TEST_REQUIRE(rss.has_value());
    BOOST_TEST(*rss == 1234u * 1024u);
    BOOST_TEST(!parse_vm_rss_bytes("Name:\tkthreadd\nState:\tS\n").has_value());
}

BOOST_AUTO_TEST_CASE(stat_fields_are_read_after_a_name_with_spaces_and_parens)
{
    const auto stat = parse_proc_stat(
        "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 12345 1000 10 18446744073709551615");
    BOOST_TEST_REQUIRE(stat.has_value());
    BOOST_TEST(stat->ppid == 17);
    BOOST_TEST(stat->utime_ticks == 250u);
    BOOST_TEST(stat->stime_ticks == 75u);
    BOOST_TEST(!parse_proc_stat("4242 (x) S 1 2").has_value());
}

BOOST_AUTO_TEST_CASE(this_process_has_memory_and_is_its_own_tree)
{
    const int self = static_cast<int>(::getpid());
    const auto usage = read_process_tree_usage({self});
    BOOST_TEST(usage.processes >= 1u);
    BOOST_TEST(usage.rss_bytes > 0u);
    BOOST_TEST(process_tree({self}).front() == self);
}

BOOST_AUTO_TEST_CASE(a_child_process_is_in_the_tree)
{
    const pid_t child = ::fork();
    BOOST_TEST_REQUIRE(child >= 0);
    if (child == 0) {
        ::pause(); // until the test kills it
        ::_exit(0);
    }
    const auto tree = process_tree({static_cast<int>(::getpid())});
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    BOOST_TEST((std::find(tree.begin(), tree.end(), static_cast<int>(child)) != tree.end()));
}

BOOST_AUTO_TEST_CASE(a_missing_process_is_an_error)
{
    BOOST_CHECK_THROW(read_process_tree_usage({0}), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
