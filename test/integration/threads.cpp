// Many threads at once over real loopback sockets: publishers on threads of
// their own into a server on run(4), subscribers coming and going while
// events flow, and stop() in the middle of publishing. Bounded in count and
// time; built to be run under ThreadSanitizer (./dev test --sanitize=thread).
//
// Boost.Test is not thread-safe: the publisher and client threads only
// record what happened; the test's own thread checks it after joining them.

#include <ssekit/ssekit.hpp>

#include "../support/http_client.hpp"
#include "../support/print.hpp"
#include "../support/run.hpp"
#include "../support/threaded_server.hpp"
#include "../support/topic_ids.hpp"
#include "../support/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using ssekit::ServerSentEvent;
using ssekit::ServerSSESession;
using ssekit::test::get_request;
using ssekit::test::HttpClient;
using ssekit::test::run_awaitable;
using ssekit::test::wait_until;

namespace {

constexpr std::size_t server_threads = 4;

std::string describe(std::exception_ptr error)
{
    if (!error)
        return "no exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

// A server on its own threads whose /topic follows `topic` with `options`.
struct TopicServer {
    explicit TopicServer(ssekit::Topic& topic, ssekit::FollowOptions options = {})
    {
        server.server().sse("/topic", [&topic, options](ServerSSESession& session) -> asio::awaitable<void> {
            co_await session.follow(topic, options);
        });
    }

    ssekit::test::ThreadedServer server;
};

// Index of the first event of `got` that differs from `expected`, or "" when
// they are equal.
std::string first_difference(const std::vector<std::string>& got, const std::vector<std::string>& expected)
{
    for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i)
        if (got[i] != expected[i])
            return "event " + std::to_string(i) + " is \"" + got[i] + "\", expected \"" + expected[i] + "\"";
    if (got.size() != expected.size())
        return std::to_string(got.size()) + " events, expected " + std::to_string(expected.size());
    return "";
}

// A client that follows /topic for a moment, then leaves in one of the ways
// clients leave: `n` picks which.
asio::awaitable<void> come_and_go(std::uint16_t port, int n)
{
    auto client = co_await HttpClient::open(port, get_request("/topic"));
    switch (n % 4) {
    case 0: // reads a few events and hangs up
        co_await client.read_events(3);
        client.close();
        break;
    case 1: // reads one event and resets the connection
        co_await client.read_events(1);
        client.socket().set_option(asio::socket_base::linger(true, 0));
        client.socket().close();
        break;
    case 2: // hangs up before the first event
        client.close();
        break;
    default: // reads a few events; the socket closes as the client goes out of scope
        co_await client.read_events(3);
        break;
    }
}

// Clients `first`, `first + step`, ... below `end` come and go one after
// another; counts those that did as planned and describes the others.
asio::awaitable<void> churn(std::uint16_t port, int first, int step, int end, int& came_and_went,
                            std::vector<std::string>& failures)
{
    for (int n = first; n < end; n += step) {
        try {
            co_await come_and_go(port, n);
            ++came_and_went;
        } catch (...) {
            failures.push_back("client " + std::to_string(n) + ": " + describe(std::current_exception()));
        }
    }
}

// Follows /topic until the server ends the stream.
asio::awaitable<void> follow_to_the_end(std::uint16_t port)
{
    auto client = co_await HttpClient::open(port, get_request("/topic"));
    co_await client.read_body_to_end();
}

// A hang past this point would leave threads the test cannot join: end the
// process with a message rather than wait for Meson's timeout.
void require_ready_within(std::future<void>& future, clock_type::duration limit, const char* what)
{
    if (future.wait_for(limit) == std::future_status::ready)
        return;
    std::fprintf(stderr, "threads: %s did not happen within %lld ms\n", what,
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()));
    std::fflush(nullptr);
    std::_Exit(EXIT_FAILURE);
}

} // namespace

BOOST_AUTO_TEST_SUITE(threads)

BOOST_AUTO_TEST_CASE(four_publisher_threads_reach_twenty_subscribers_exactly_once_in_publisher_order)
{
    constexpr int publishers = 4;
    constexpr int per_publisher = 200;
    constexpr int subscribers = 20;
    constexpr int total = publishers * per_publisher;
    ssekit::Topic topic({.replay_count = 16});
    // Room for every event: this is about delivery, not about the slow-subscriber policy.
    TopicServer s(topic, {.max_queued_events = 2 * total});
    const auto port = s.server.start(server_threads);

    asio::io_context io;
    std::vector<std::unique_ptr<HttpClient>> clients;
    run_awaitable(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < subscribers; ++i)
            clients.push_back(std::make_unique<HttpClient>(co_await HttpClient::open(port, get_request("/topic"))));
        const bool subscribed =
            co_await ssekit::test::eventually([&] { return topic.stats().subscribers == subscribers; });
        BOOST_REQUIRE(subscribed);
    }());

    // Subscribers read while the publishers publish.
    std::vector<std::vector<std::string>> received(subscribers);
    std::vector<std::string> read_errors;
    int done = 0;
    for (int i = 0; i < subscribers; ++i)
        asio::co_spawn(io, clients[static_cast<std::size_t>(i)]->read_events(total),
                       [&, i](std::exception_ptr error, std::vector<std::string> events) {
                           if (error)
                               read_errors.push_back("subscriber " + std::to_string(i) + ": " + describe(error));
                           else
                               received[static_cast<std::size_t>(i)] = std::move(events);
                           ++done;
                       });

    // Each publisher records the id each publish returned (its own vector,
    // read after the join).
    std::vector<std::vector<std::string>> ids(publishers);
    std::vector<std::exception_ptr> publish_errors(publishers);
    std::latch start(publishers);
    std::vector<std::jthread> publishing;
    for (int p = 0; p < publishers; ++p)
        publishing.emplace_back([&, p] {
            auto& mine = ids[static_cast<std::size_t>(p)];
            start.arrive_and_wait(); // all at once
            try {
                for (int seq = 0; seq < per_publisher; ++seq) {
                    const ServerSentEvent event{.data = std::to_string(p) + " " + std::to_string(seq)};
                    mine.push_back(topic.publish(event));
                }
            } catch (...) {
                publish_errors[static_cast<std::size_t>(p)] = std::current_exception();
            }
        });

    const auto deadline = clock_type::now() + 60s;
    io.restart();
    while (done < subscribers && clock_type::now() < deadline)
        io.run_one_until(deadline);
    publishing.clear(); // joins
    BOOST_REQUIRE(done == subscribers);

    for (int p = 0; p < publishers; ++p)
        BOOST_REQUIRE_MESSAGE(!publish_errors[static_cast<std::size_t>(p)],
                              "publisher " << p << ": " << describe(publish_errors[static_cast<std::size_t>(p)]));
    // What the publishers were told fixes what every subscriber must see:
    // event `id` carries the data of the publish that returned `id`.
    // Ids are EPOCH-OFFSET, one epoch for the topic.
    const std::string epoch = topic.stats().epoch + "-";
    const auto offset_of = [&](const std::string& id) {
        BOOST_REQUIRE_MESSAGE(id.starts_with(epoch), "id " << id << " outside epoch " << epoch);
        return static_cast<int>(ssekit::test::offset_of(id));
    };
    std::vector<std::string> expected(total);
    for (int p = 0; p < publishers; ++p) {
        const auto& mine = ids[static_cast<std::size_t>(p)];
        BOOST_REQUIRE(mine.size() == static_cast<std::size_t>(per_publisher));
        for (int seq = 0; seq < per_publisher; ++seq) {
            const int offset = offset_of(mine[static_cast<std::size_t>(seq)]);
            BOOST_REQUIRE_MESSAGE(offset >= 1 && offset <= total, "publisher " << p << " got offset " << offset);
            if (seq > 0)
                BOOST_TEST(offset > offset_of(mine[static_cast<std::size_t>(seq - 1)]),
                           "publisher " << p << " ids in order");
            auto& slot = expected[static_cast<std::size_t>(offset - 1)];
            BOOST_TEST(slot.empty(), "offset " << offset << " returned twice");
            slot = "id: " + mine[static_cast<std::size_t>(seq)] + "\ndata: " + std::to_string(p) + " " +
                   std::to_string(seq);
        }
    }

    BOOST_TEST(read_errors.empty());
    for (const auto& error : read_errors)
        BOOST_TEST_MESSAGE(error);
    for (int i = 0; i < subscribers; ++i)
        BOOST_TEST(first_difference(received[static_cast<std::size_t>(i)], expected) == "", "subscriber " << i);
    const auto stats = topic.stats();
    BOOST_TEST(stats.published == static_cast<std::uint64_t>(total));
    BOOST_TEST(stats.dropped == 0u);
}

BOOST_AUTO_TEST_CASE(two_hundred_subscribers_coming_and_going_while_threads_publish_all_leave_and_free_their_connections)
{
    constexpr int connections = 200;
    constexpr int at_once = 8;
    constexpr int publishers = 2;
    ssekit::Topic topic({.replay_count = 64});
    TopicServer s(topic);
    const auto port = s.server.start(server_threads);

    // Publishing goes on at a steady pace (bursts of 4 events about every
    // millisecond per publisher) until the churn is over: enough for every
    // client to get its few events soon, without flooding two shared cores.
    std::atomic<std::uint64_t> published{0};
    std::vector<std::exception_ptr> publish_errors(publishers);
    std::vector<std::jthread> publishing;
    for (int p = 0; p < publishers; ++p)
        publishing.emplace_back([&, p](std::stop_token stop) {
            std::mutex mutex;
            std::condition_variable_any pace;
            std::unique_lock lock(mutex);
            try {
                for (int burst = 0;; ++burst) {
                    for (int i = 0; i < 4; ++i) {
                        const ServerSentEvent event{.data = std::to_string(p) + " " + std::to_string(burst)};
                        topic.publish(event);
                        ++published;
                    }
                    pace.wait_for(lock, stop, 1ms, [] { return false; });
                    if (stop.stop_requested())
                        return;
                }
            } catch (...) {
                publish_errors[static_cast<std::size_t>(p)] = std::current_exception();
            }
        });

    asio::io_context io;
    int came_and_went = 0;
    int workers_done = 0;
    std::vector<std::string> failures;
    const auto churn_started = clock_type::now();
    for (int w = 0; w < at_once; ++w)
        asio::co_spawn(io, churn(port, w, at_once, connections, came_and_went, failures),
                       [&](std::exception_ptr) { ++workers_done; });
    const auto deadline = clock_type::now() + 60s;
    while (workers_done < at_once && clock_type::now() < deadline)
        io.run_one_until(deadline);
    const auto churn_took = clock_type::now() - churn_started;
    for (auto& publisher : publishing)
        publisher.request_stop();
    publishing.clear(); // joins
    BOOST_TEST_MESSAGE(connections << " connections came and went in "
                                   << std::chrono::duration_cast<std::chrono::milliseconds>(churn_took).count()
                                   << " ms, " << published.load() << " events published");

    BOOST_TEST(workers_done == at_once);
    BOOST_TEST(came_and_went == connections);
    for (const auto& failure : failures)
        BOOST_TEST_MESSAGE(failure);
    for (int p = 0; p < publishers; ++p)
        BOOST_TEST(!publish_errors[static_cast<std::size_t>(p)],
                   "publisher " << p << ": " << describe(publish_errors[static_cast<std::size_t>(p)]));

    // Every session left the topic and every connection was freed.
    BOOST_TEST(wait_until([&] { return topic.stats().subscribers == 0 && s.server.server().connection_count() == 0; }));
    BOOST_TEST(topic.stats().subscribers == 0u);
    BOOST_TEST(s.server.server().connection_count() == 0u);
}

BOOST_AUTO_TEST_CASE(stop_while_threads_publish_returns_from_run_and_publishers_see_only_success_or_session_closed)
{
    constexpr int subscribers = 20;
    constexpr int publishers = 4;
    ssekit::Topic topic({.replay_count = 64});
    std::optional<ssekit::Server> server(std::in_place);
    server->sse("/topic", [&topic](ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.follow(topic);
    });
    const auto port = server->listen("127.0.0.1", 0).port();
    std::promise<void> run_returned;
    auto returned = run_returned.get_future();
    std::thread runner([&] {
        try {
            server->run(server_threads);
            run_returned.set_value();
        } catch (...) {
            run_returned.set_exception(std::current_exception());
        }
    });

    // The subscribers read on a thread of their own until the server ends
    // their streams.
    asio::io_context client_io;
    std::atomic<int> streams_ended{0};
    std::vector<std::string> client_failures; // the client thread's; read after its join
    for (int i = 0; i < subscribers; ++i)
        asio::co_spawn(client_io, follow_to_the_end(port), [&](std::exception_ptr error) {
            if (error)
                client_failures.push_back(describe(error));
            ++streams_ended;
        });
    std::thread client_thread([&] { client_io.run(); });
    BOOST_TEST(wait_until([&] { return topic.stats().subscribers == subscribers; }, 20s));

    // Publishers publish flat out until the topic refuses; a publish may
    // succeed or fail with session_closed, nothing else.
    struct Outcome {
        std::uint64_t published = 0;
        bool refused_as_closed = false;
        std::string unexpected;
    };
    std::vector<Outcome> outcomes(publishers);
    std::vector<std::jthread> publishing;
    for (int p = 0; p < publishers; ++p)
        publishing.emplace_back([&topic, &outcome = outcomes[static_cast<std::size_t>(p)], p] {
            const auto give_up = clock_type::now() + 60s;
            try {
                for (std::uint64_t seq = 0;; ++seq) {
                    const ServerSentEvent event{.data = std::to_string(p) + " " + std::to_string(seq)};
                    topic.publish(event);
                    ++outcome.published;
                    if (seq % 256 == 0 && clock_type::now() > give_up) {
                        outcome.unexpected = "still publishing after 60 s";
                        return;
                    }
                }
            } catch (const boost::system::system_error& e) {
                if (e.code() == ssekit::error::session_closed)
                    outcome.refused_as_closed = true;
                else
                    outcome.unexpected = e.what();
            } catch (...) {
                outcome.unexpected = describe(std::current_exception());
            }
        });
    BOOST_TEST(wait_until([&] { return topic.stats().published >= 400; }, 20s));

    const auto stop_at = clock_type::now();
    server->stop(); // from a thread that is neither a server thread nor a publisher
    require_ready_within(returned, 20s, "run() returning after stop()");
    BOOST_TEST_MESSAGE("run() returned "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - stop_at).count()
                       << " ms after stop()");
    runner.join();
    BOOST_CHECK_NO_THROW(returned.get());
    BOOST_TEST(server->connection_count() == 0u);
    BOOST_TEST(wait_until([&] { return topic.stats().subscribers == 0; }));
    BOOST_TEST(wait_until([&] { return streams_ended.load() == subscribers; }));

    // The server goes while the publishers go on; only then does the topic
    // refuse them.
    server.reset();
    topic.close();
    publishing.clear(); // joins
    client_io.stop();   // (already out of work unless a stream never ended)
    client_thread.join();

    std::uint64_t published = 0;
    for (int p = 0; p < publishers; ++p) {
        const auto& outcome = outcomes[static_cast<std::size_t>(p)];
        BOOST_TEST(outcome.unexpected == "", "publisher " << p);
        BOOST_TEST(outcome.refused_as_closed, "publisher " << p);
        published += outcome.published;
    }
    BOOST_TEST(published == topic.stats().published);
    BOOST_TEST(streams_ended.load() == subscribers);
    BOOST_TEST(client_failures.empty());
    for (const auto& failure : client_failures)
        BOOST_TEST_MESSAGE(failure);
}

BOOST_AUTO_TEST_SUITE_END()
