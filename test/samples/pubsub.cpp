// Smoke test of samples/pubsub: publish over POST, follow over SSE, replay
// after Last-Event-ID, and the /stats counters.

#include "sample_process.hpp"

#include "support/http_client.hpp"
#include "support/run.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace ssekit::test;

namespace {

/// Publishes `body` and returns the id the sample answers (without its "\n").
asio::awaitable<std::string> publish(std::uint16_t port, std::string_view target, std::string_view body)
{
    auto response = co_await fetch(port, post_request(target, body));
    BOOST_TEST(response.result_int() == 200u, response.body());
    std::string id = response.body();
    if (id.ends_with('\n'))
        id.pop_back();
    co_return id;
}

/// GET /stats, parsed.
asio::awaitable<boost::json::value> stats(std::uint16_t port)
{
    // g++ 12: no braced list inside a co_await expression.
    std::string request = get_request("/stats", {"Connection: close"});
    auto response = co_await fetch(port, request);
    BOOST_TEST(response.result_int() == 200u);
    BOOST_TEST(response[http::field::content_type].starts_with("application/json"));
    co_return boost::json::parse(response.body());
}

std::uint64_t topic_counter(const boost::json::value& stats, std::string_view topic, std::string_view counter)
{
    return stats.at("topics").at(topic).at(counter).to_number<std::uint64_t>();
}

/// True if `id` is the topic's own id for `offset`: EPOCH-OFFSET.
bool is_offset_id(const std::string& id, int offset)
{
    const auto dash = id.rfind('-');
    return dash != std::string::npos && dash > 0 && id.substr(dash + 1) == std::to_string(offset);
}

/// A subscriber that sees "one" (offset 1) and "two" (id custom) published, then leaves.
asio::awaitable<void> subscribe_to_two_events_and_leave(std::uint16_t port)
{
    auto subscriber = co_await HttpClient::open(port, get_request("/sub/news"));
    const std::string one = co_await publish(port, "/pub/news", "one");
    BOOST_TEST(is_offset_id(one, 1));
    co_await publish(port, "/pub/news?id=custom", "two");
    auto events = co_await subscriber.read_events(2);
    BOOST_TEST(events[0] == "id: " + one + "\ndata: one");
    BOOST_TEST(events[1] == "id: custom\ndata: two");
}

} // namespace

BOOST_AUTO_TEST_SUITE(pubsub)

BOOST_AUTO_TEST_CASE(a_subscriber_receives_each_published_event_exactly)
{
    SampleProcess sample(sample_path("pubsub"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto subscriber = co_await HttpClient::open(sample.port(), get_request("/sub/news"));
            BOOST_TEST(subscriber.response().result_int() == 200u);
            BOOST_TEST(subscriber.response()[http::field::content_type] == "text/event-stream");

            std::string first = co_await publish(sample.port(), "/pub/news?event=greeting&id=custom", "hello");
            BOOST_TEST(first == "custom");
            std::string second = co_await publish(sample.port(), "/pub/news", "line one\nline two");
            BOOST_TEST(is_offset_id(second, 2));

            auto events = co_await subscriber.read_events(2);
            BOOST_TEST(events[0] == "event: greeting\nid: custom\ndata: hello");
            BOOST_TEST(events[1] == "id: " + second + "\ndata: line one\ndata: line two");

            auto counters = co_await stats(sample.port());
            BOOST_TEST(topic_counter(counters, "news", "subscribers") == 1u);
            BOOST_TEST(topic_counter(counters, "news", "published") == 2u);
            BOOST_TEST(topic_counter(counters, "news", "dropped") == 0u);
            BOOST_TEST(topic_counter(counters, "news", "replay_buffered") == 2u);
            BOOST_TEST(counters.at("connections").to_number<std::uint64_t>() >= 2u); // the subscriber and us
        }());
}

BOOST_AUTO_TEST_CASE(an_id_with_a_line_break_is_answered_400_and_not_published)
{
    SampleProcess sample(sample_path("pubsub"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            auto subscriber = co_await HttpClient::open(sample.port(), get_request("/sub/news"));

            auto refused = co_await fetch(sample.port(), post_request("/pub/news?id=a%0Ab", "hello"));
            BOOST_TEST(refused.result_int() == 400u);

            // The subscriber's next event is the one published after the refusal.
            std::string id = co_await publish(sample.port(), "/pub/news", "after");
            BOOST_TEST(is_offset_id(id, 1));
            auto events = co_await subscriber.read_events(1);
            BOOST_TEST(events[0] == "id: " + id + "\ndata: after");

            auto counters = co_await stats(sample.port());
            BOOST_TEST(topic_counter(counters, "news", "published") == 1u);
        }());
}

BOOST_AUTO_TEST_CASE(reconnecting_with_last_event_id_gets_the_rest_then_the_live_stream)
{
    SampleProcess sample(sample_path("pubsub"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            co_await subscribe_to_two_events_and_leave(sample.port());

            // Published while nobody listens.
            const std::string three = co_await publish(sample.port(), "/pub/news", "three");
            const std::string four = co_await publish(sample.port(), "/pub/news", "four");

            std::string reconnect = get_request("/sub/news", {"Last-Event-ID: custom"});
            auto again = co_await HttpClient::open(sample.port(), reconnect);
            auto missed = co_await again.read_events(2);
            BOOST_TEST(missed[0] == "id: " + three + "\ndata: three");
            BOOST_TEST(missed[1] == "id: " + four + "\ndata: four");

            const std::string five = co_await publish(sample.port(), "/pub/news", "five");
            BOOST_TEST(is_offset_id(five, 5));
            auto live = co_await again.read_events(1);
            BOOST_TEST(live[0] == "id: " + five + "\ndata: five");

            // A page's first request passes its id as a query parameter.
            auto by_query =
                co_await HttpClient::open(sample.port(), get_request("/sub/news?last_event_id=" + four));
            auto rest = co_await by_query.read_events(1);
            BOOST_TEST(rest[0] == "id: " + five + "\ndata: five");
        }());
}

BOOST_AUTO_TEST_CASE(an_unknown_last_event_id_gets_a_reset_event_then_the_log)
{
    SampleProcess sample(sample_path("pubsub"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            const std::string one = co_await publish(sample.port(), "/pub/news", "one");

            std::string request = get_request("/sub/news", {"Last-Event-ID: 99"});
            auto subscriber = co_await HttpClient::open(sample.port(), request);
            auto replayed = co_await subscriber.read_events(2);
            BOOST_TEST(replayed[0] == "event: reset\ndata: 99");
            BOOST_TEST(replayed[1] == "id: " + one + "\ndata: one");

            const std::string two = co_await publish(sample.port(), "/pub/news", "two");
            auto live = co_await subscriber.read_events(1);
            BOOST_TEST(live[0] == "id: " + two + "\ndata: two");

            auto counters = co_await stats(sample.port());
            BOOST_TEST(topic_counter(counters, "news", "resets") == 1u);
            BOOST_TEST(topic_counter(counters, "news", "first_offset") == 1u);
            BOOST_TEST(topic_counter(counters, "news", "last_offset") == 2u);
        }());
}

BOOST_AUTO_TEST_CASE(a_topic_name_outside_the_rule_is_refused_400_and_makes_no_topic)
{
    SampleProcess sample(sample_path("pubsub"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            const std::string long_name(65, 'n');
            for (const std::string& name : {std::string("a%20b"), std::string("%C3%A9t%C3%A9"), long_name}) {
                // g++ 12: no braced list inside a co_await expression.
                const std::string request = get_request("/sub/" + name, {"Connection: close"});
                auto subscribed = co_await fetch(sample.port(), request);
                BOOST_TEST(subscribed.result_int() == 400u, name);
                BOOST_TEST(subscribed[http::field::content_type] != "text/event-stream");
                auto posted = co_await fetch(sample.port(), post_request("/pub/" + name, "x"));
                BOOST_TEST(posted.result_int() == 400u, name);
            }
            co_await publish(sample.port(), "/pub/ok-name_1.2", "fine");
            auto counters = co_await stats(sample.port());
            BOOST_TEST(counters.at("topics").as_object().size() == 1u);
            BOOST_TEST(topic_counter(counters, "ok-name_1.2", "published") == 1u);
        }());
}

BOOST_AUTO_TEST_CASE(past_the_topic_limit_a_new_name_is_answered_503_with_retry_after)
{
    SampleProcess sample(sample_path("pubsub"));
    asio::io_context io;
    run_awaitable(
        io,
        [&]() -> asio::awaitable<void> {
            // The sample's registry holds 1,024 topics; a log keeps each in use.
            for (int i = 0; i < 1024; ++i)
                co_await publish(sample.port(), "/pub/t" + std::to_string(i), "x");
            auto posted = co_await fetch(sample.port(), post_request("/pub/one-too-many", "x"));
            BOOST_TEST(posted.result_int() == 503u);
            BOOST_TEST(!posted[http::field::retry_after].empty());
            const std::string request = get_request("/sub/one-too-many", {"Connection: close"});
            auto subscribed = co_await fetch(sample.port(), request);
            BOOST_TEST(subscribed.result_int() == 503u);
            BOOST_TEST(!subscribed[http::field::retry_after].empty());
            // A topic in use still works.
            co_await publish(sample.port(), "/pub/t7", "y");
        }());
}

BOOST_AUTO_TEST_CASE(with_a_token_secret_a_subscription_needs_a_token_for_its_topic)
{
    const std::filesystem::path secret =
        std::filesystem::temp_directory_path() / ("ssekit-token-secret-" + std::to_string(::getpid()));
    std::ofstream(secret) << std::string(40, 'k') << "\n";
    SampleProcess sample(sample_path("pubsub"), {"--token-secret", secret.string()});
    std::filesystem::remove(secret);
    const std::uint16_t port = sample.port();
    const std::vector<std::string> close{"Connection: close"};
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        auto no_token = co_await fetch(port, get_request("/sub/news", close));
        BOOST_TEST(no_token.result_int() == 401u);
        BOOST_TEST(no_token[http::field::www_authenticate] == "Bearer realm=\"ssekit\"");

        auto issued = co_await fetch(port, post_request("/token/news?subject=ann", ""));
        BOOST_TEST(issued.result_int() == 200u);
        std::string token = issued.body();
        if (token.ends_with('\n'))
            token.pop_back();
        auto other = co_await fetch(port, post_request("/token/sport", ""));
        std::string sport_token = other.body();
        if (sport_token.ends_with('\n'))
            sport_token.pop_back();

        // A token for another topic, or one changed by a byte.
        auto wrong_topic = co_await fetch(port, get_request("/sub/news?token=" + sport_token, close));
        BOOST_TEST(wrong_topic.result_int() == 403u);
        std::string forged = token;
        forged[5] = forged[5] == 'A' ? 'B' : 'A';
        auto forged_answer = co_await fetch(port, get_request("/sub/news?token=" + forged, close));
        BOOST_TEST(forged_answer.result_int() == 401u);

        // The token opens the stream, from the query or from a cookie.
        HttpClient by_query = co_await HttpClient::open(port, get_request("/sub/news?token=" + token));
        std::vector<std::string> cookie{"Cookie: sse_token=" + token};
        HttpClient by_cookie = co_await HttpClient::open(port, get_request("/sub/news", cookie));
        BOOST_TEST(by_query.response().result_int() == 200u);
        BOOST_TEST(by_cookie.response().result_int() == 200u);
        const std::string id = co_await publish(port, "/pub/news", "for token holders");
        BOOST_TEST((co_await by_query.read_events(1))[0] == "id: " + id + "\ndata: for token holders");
        BOOST_TEST((co_await by_cookie.read_events(1))[0] == "id: " + id + "\ndata: for token holders");
    }());
}

BOOST_AUTO_TEST_CASE(a_token_secret_file_that_is_missing_or_short_is_a_usage_error)
{
    auto missing = run_to_end(sample_path("pubsub"), {"--token-secret", "/nonexistent/ssekit-secret"});
    BOOST_TEST(missing.exit_status == 2);
    BOOST_TEST(missing.output.find("cannot read") != std::string::npos, missing.output);
    const std::filesystem::path secret =
        std::filesystem::temp_directory_path() / ("ssekit-short-secret-" + std::to_string(::getpid()));
    std::ofstream(secret) << "too short";
    auto short_secret = run_to_end(sample_path("pubsub"), {"--token-secret", secret.string()});
    std::filesystem::remove(secret);
    BOOST_TEST(short_secret.exit_status == 2);
    BOOST_TEST(short_secret.output.find("fewer than 32 bytes") != std::string::npos, short_secret.output);
}

BOOST_AUTO_TEST_SUITE_END()
