// Smoke test of samples/chat: room messages reach every member, direct
// messages only their sender and recipient, and a member resuming with
// Last-Event-ID gets the replay through the same filter.

#include "sample_process.hpp"

#include "../support/http_client.hpp"
#include "../support/run.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
using namespace ssekit::test;

namespace {

// String views, not strings: g++ 12 rejects a string literal passed to a
// coroutine's std::string parameter ("array used as initializer").

/// Posts `text` as `user` (to `to`, when given); returns the event's id.
asio::awaitable<std::string> say(std::uint16_t port, std::string_view user, std::string_view text,
                                 std::string_view to = {})
{
    std::string target = "/rooms/lobby/messages?user=" + std::string(user);
    if (!to.empty())
        target += "&to=" + std::string(to);
    co_return co_await post_for_text(port, target, text);
}

asio::awaitable<HttpClient> join(std::uint16_t port, std::string_view user, std::vector<std::string> headers = {})
{
    co_return co_await HttpClient::open(port, get_request("/rooms/lobby?user=" + std::string(user), headers));
}

std::string room_message(const std::string& id, const std::string& from, const std::string& text)
{
    return "event: message\nid: " + id + "\ndata: {\"from\":\"" + from + "\",\"text\":\"" + text + "\"}";
}

std::string direct_message(const std::string& id, const std::string& from, const std::string& to,
                           const std::string& text)
{
    return "event: direct\nid: " + id + "\ndata: {\"from\":\"" + from + "\",\"text\":\"" + text + "\",\"to\":\"" +
           to + "\"}";
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat)

BOOST_AUTO_TEST_CASE(a_direct_message_reaches_only_its_sender_and_recipient_live_and_replayed)
{
    SampleProcess sample(sample_path("chat"));
    const std::uint16_t port = sample.port();
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        HttpClient ann = co_await join(port, "ann");
        HttpClient bob = co_await join(port, "bob");
        HttpClient cat = co_await join(port, "cat");

        const std::string hello = co_await say(port, "ann", "hello all");
        const std::string secret = co_await say(port, "ann", "just you", "bob");
        const std::string bye = co_await say(port, "bob", "bye");
        const std::vector<std::string> all{room_message(hello, "ann", "hello all"),
                                           direct_message(secret, "ann", "bob", "just you"),
                                           room_message(bye, "bob", "bye")};
        BOOST_TEST(co_await ann.read_events(3) == all);
        BOOST_TEST(co_await bob.read_events(3) == all);
        // Cat's next event is "bye": the direct message was never sent to her.
        const std::vector<std::string> without_secret{all[0], all[2]};
        BOOST_TEST(co_await cat.read_events(2) == without_secret);

        // Resuming after "hello all", cat gets "bye" from the log and not
        // the direct message in between; bob gets both.
        std::vector<std::string> resume{"Last-Event-ID: " + hello};
        HttpClient cat_again = co_await join(port, "cat", resume);
        HttpClient bob_again = co_await join(port, "bob", resume);
        const std::string after = co_await say(port, "cat", "back");
        const std::string back = room_message(after, "cat", "back");
        const std::vector<std::string> cat_resumed{all[2], back};
        const std::vector<std::string> bob_resumed{all[1], all[2], back};
        BOOST_TEST(co_await cat_again.read_events(2) == cat_resumed);
        BOOST_TEST(co_await bob_again.read_events(3) == bob_resumed);
    }());
}

BOOST_AUTO_TEST_CASE(bad_names_get_400_and_a_long_text_413)
{
    SampleProcess sample(sample_path("chat"));
    const std::uint16_t port = sample.port();
    const std::vector<std::string> bad_targets{"/rooms/lobby", "/rooms/lobby?user=", "/rooms/lobby?user=a%20b",
                                               "/rooms/" + std::string(65, 'r') + "?user=ann"};
    const std::vector<std::string> close{"Connection: close"};
    asio::io_context io;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        for (const std::string& target : bad_targets) {
            auto stream = co_await fetch(port, get_request(target, close));
            BOOST_TEST(stream.result_int() == 400u, target);
        }
        auto no_user = co_await fetch(port, post_request("/rooms/lobby/messages", "hi"));
        BOOST_TEST(no_user.result_int() == 400u);
        for (std::string_view to : {"b%2Fc", ""}) {
            std::string target = "/rooms/lobby/messages?user=ann&to=" + std::string(to);
            auto bad_to = co_await fetch(port, post_request(target, "hi"));
            BOOST_TEST(bad_to.result_int() == 400u, target);
        }
        auto long_text = co_await fetch(port, post_request("/rooms/lobby/messages?user=ann", std::string(2001, 'x')));
        BOOST_TEST(long_text.result_int() == 413u);
    }());
}

BOOST_AUTO_TEST_SUITE_END()
