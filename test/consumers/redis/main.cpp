// A program built against an installed ssekit that has the Redis backplane.
// It serves GET /sub/{topic} from the backplane's topics on a free port of
// 127.0.0.1, publishes through the backplane to the Redis on 127.0.0.1 and
// the port given, and reads the event back with ssekit's own client over
// HTTP: it exits with 0 when the event read is the one published.
//
//   $ redis-server --port 6390 --save '' --appendonly no &
//   $ ./app 6390

#include <ssekit/features.hpp>

#if !SSEKIT_HAS_REDIS_BACKPLANE
#error "this ssekit was built without the Redis backplane (configure it with hiredis installed)"
#endif

#include <ssekit/redis_backplane.hpp>
#include <ssekit/ssekit.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

namespace {

/// What the subscriber read, and the id the publish returned.
struct Outcome {
    std::string received_id;
    std::string received_data;
    std::string published_id;
};

/// Waits until `condition` holds, looking every few milliseconds; the
/// program's deadline bounds the wait.
template <typename Condition>
asio::awaitable<void> wait_until(Condition condition)
{
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!condition()) {
        timer.expires_after(10ms);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

/// The first event of `url`, resuming after `last_event_id`.
asio::awaitable<ssekit::ReceivedEvent> first_event(std::string url, std::string last_event_id)
{
    ssekit::ClientOptions options;
    options.once = true; // a refused connection fails the run instead of retrying
    options.last_event_id = std::move(last_event_id);
    ssekit::EventSource source(co_await asio::this_coro::executor, url, options);
    std::optional<ssekit::ReceivedEvent> event = co_await source.next();
    if (!event)
        throw std::runtime_error("the stream ended without an event");
    co_return std::move(*event);
}

/// Publishes `data` on `topic` once the route's session follows it, so the
/// event goes through Redis' channel to the subscriber, not from the log.
asio::awaitable<std::string> publish_when_followed(ssekit::RedisBackplane& backplane, std::shared_ptr<ssekit::Topic> topic,
                                                   std::string data)
{
    co_await wait_until([&] { return topic->stats().subscribers > 0; });
    const ssekit::ServerSentEvent event{.data = std::move(data)};
    co_return co_await backplane.publish("news", event);
}

asio::awaitable<Outcome> publish_and_receive(ssekit::RedisBackplane& backplane, std::string url)
{
    co_await wait_until([&] { return backplane.ready(); });
    // A first event gives the subscriber an id to resume after: whether the
    // second event is published before or after it has joined, it reads it.
    const ssekit::ServerSentEvent first{.data = "first"};
    const std::string first_id = co_await backplane.publish("news", first);
    std::shared_ptr<ssekit::Topic> topic = co_await backplane.topic("news");

    auto [received, published_id] =
        co_await (first_event(url, first_id) && publish_when_followed(backplane, topic, std::string("second")));
    co_return Outcome{received.id, received.data, published_id};
}

} // namespace

int main(int argc, char** argv)
{
    const int redis_port = argc == 2 ? std::atoi(argv[1]) : 0;
    if (redis_port <= 0 || redis_port > 65535) {
        std::cerr << "usage: app REDIS_PORT (a redis-server on 127.0.0.1)\n";
        return 2;
    }

    asio::io_context io;
    ssekit::Server server(io.get_executor());
    ssekit::RedisBackplaneOptions options;
    options.port = static_cast<std::uint16_t>(redis_port);
    options.check_interval = 100ms; // ready() sooner than with the default second
    std::optional<ssekit::RedisBackplane> backplane;
    backplane.emplace(io.get_executor(), options);
    server.sse("/sub/{topic}", [&](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        auto topic = co_await backplane->topic(*session.call().path_param("topic"));
        co_await session.follow(*topic);
    });
    const auto port = server.listen("127.0.0.1", 0).port();

    int status = EXIT_FAILURE;
    asio::steady_timer deadline(io, 20s);
    deadline.async_wait([&](boost::system::error_code ec) {
        if (!ec) {
            std::cerr << "no event through Redis within 20 s (backplane ready: " << backplane->ready() << ")\n";
            io.stop();
        }
    });

    asio::co_spawn(io, publish_and_receive(*backplane, "http://127.0.0.1:" + std::to_string(port) + "/sub/news"),
                   [&](std::exception_ptr error, Outcome outcome) {
                       if (error) {
                           try {
                               std::rethrow_exception(error);
                           } catch (const std::exception& e) {
                               std::cerr << "failed: " << e.what() << "\n";
                           }
                       } else if (outcome.received_data != "second" || outcome.received_id != outcome.published_id) {
                           std::cerr << "got id " << outcome.received_id << " data " << outcome.received_data
                                     << ", expected id " << outcome.published_id << " data second\n";
                       } else {
                           status = EXIT_SUCCESS;
                       }
                       deadline.cancel();
                       // The backplane first: its topics close, so the session following one ends.
                       backplane.reset();
                       server.stop();
                   });
    io.run();
    return status;
}
