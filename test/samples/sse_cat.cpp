// Smoke test of samples/sse-cat: the client sample subscribed to the events
// sample, one JSON line per event.

#include "sample_process.hpp"

#include "support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace bp = boost::process;
using namespace ssekit::test;

namespace {

std::string events_url(const SampleProcess& server)
{
    return "http://127.0.0.1:" + std::to_string(server.port()) + "/events";
}

} // namespace

BOOST_AUTO_TEST_SUITE(sse_cat)

BOOST_AUTO_TEST_CASE(once_prints_each_event_as_a_json_line_then_exits_0)
{
    SampleProcess server(sample_path("events"));
    auto result = run_to_end(sample_path("sse_cat"), {"--once", events_url(server)}, std::chrono::seconds(30));
    BOOST_TEST(result.exit_status == 0, result.output);
    auto lines = lines_of(result.output);
    BOOST_REQUIRE(lines.size() == 6u);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto json = boost::json::parse(lines[i]);
        boost::json::object expected{{"event", "message"}, {"id", ""}, {"data", "this is SSE #" + std::to_string(i)}};
        BOOST_TEST(boost::json::serialize(json) == boost::json::serialize(expected));
    }
}

BOOST_AUTO_TEST_CASE(exits_0_on_sigterm_while_waiting_for_events)
{
    SampleProcess server(sample_path("events"));
    asio::io_context io;
    bp::async_pipe output(io);
    bp::child child(sample_path("sse_cat"), std::vector<std::string>{events_url(server)}, bp::std_out > output);

    // The first event proves it is subscribed; the next is a second away.
    std::string buffer;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        co_await asio::async_read_until(output, asio::dynamic_buffer(buffer), '\n', asio::use_awaitable);
    }());
    BOOST_TEST(buffer.starts_with(R"({"event":"message","id":"","data":"this is SSE #0"})"), buffer);

    ::kill(child.id(), SIGTERM);
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        co_await asio::async_read(output, asio::dynamic_buffer(buffer), asio::as_tuple(asio::use_awaitable));
    }());
    child.wait();
    BOOST_TEST(child.exit_code() == 0);
}

BOOST_AUTO_TEST_CASE(prints_usage_and_exits_2_on_bad_arguments)
{
    for (std::vector<std::string> args : {std::vector<std::string>{}, {"--verbose", "http://127.0.0.1:1/"},
                                          {"https://127.0.0.1/"}, {"http://127.0.0.1:1/", "--header", "no colon"}}) {
        auto result = run_to_end(sample_path("sse_cat"), args);
        BOOST_TEST(result.exit_status == 2, result.output);
        BOOST_TEST(result.output.find("usage: sample-sse-cat URL") != std::string::npos, result.output);
    }
}

BOOST_AUTO_TEST_SUITE_END()
