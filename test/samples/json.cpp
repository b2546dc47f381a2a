// Smoke test of samples/json: Boost.Describe structs sent as JSON.

#include "sample_process.hpp"

#include "support/http_client.hpp"
#include "support/run.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace ssekit::test;

namespace {

/// Reads /json from `port` to its end and checks every event.
asio::awaitable<void> check_json_stream(std::uint16_t port)
{
    auto client = co_await HttpClient::open(port, get_request("/json"));
    BOOST_TEST(client.response()[http::field::content_type] == "text/event-stream");

    auto events = co_await client.read_events(2);
    BOOST_TEST(events[0] == R"(data: {"id":0,"firstName":"Jet","lastName":"Brains"})");
    BOOST_TEST(events[1] == R"(data: {"id":0,"prices":[100,200]})");
    std::string rest = co_await client.read_body_to_end();
    BOOST_TEST(rest == "");
    BOOST_TEST(client.message_complete());
}

} // namespace

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(sends_a_customer_and_a_product_as_json_then_ends)
{
    SampleProcess sample(sample_path("json"));
    asio::io_context io;
    run_awaitable(io, check_json_stream(sample.port()));
}

BOOST_AUTO_TEST_SUITE_END()
