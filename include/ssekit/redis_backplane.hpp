#ifndef SSEKIT_REDIS_BACKPLANE_HPP
#define SSEKIT_REDIS_BACKPLANE_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/event.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace ssekit {

namespace detail {
class Backplane;
}

/** Where the backplane's Redis is and how it keeps topics. */
struct RedisBackplaneOptions {
    /// Redis' host name or address.
    std::string host = "127.0.0.1";
    /// Redis' TCP port.
    std::uint16_t port = 6379;
    /// Put before every key and channel the backplane uses, so that several
    /// applications can share one Redis.
    std::string key_prefix = "ssekit:";
    /// The bounds of every topic's log: in Redis (its stream keeps about
    /// `replay_count` events) and in each server's copy (all three bounds).
    TopicOptions topic_options{};
    /// Topics followed on this server at once.
    std::size_t max_topics = 1024;
    /// Redis forgets a topic nobody published to or followed for this long;
    /// its next publish starts a new epoch (clients resuming get `reset`).
    std::chrono::steady_clock::duration topic_ttl = std::chrono::hours(24);
    /// How often each followed topic's last offset is checked against Redis
    /// (a lost last message is caught up) and a probe goes round.
    std::chrono::steady_clock::duration check_interval = std::chrono::seconds(1);
    /// How long a publish waits for Redis' answer before it fails with
    /// `asio::error::timed_out` (Redis paused, a network that drops packets).
    /// The event may still be published afterwards: a timeout means unknown.
    std::chrono::steady_clock::duration publish_timeout = std::chrono::seconds(5);
    /// The wait before the first new attempt to reach Redis; it doubles
    /// with each failed attempt, up to `reconnect_delay_max`.
    std::chrono::steady_clock::duration reconnect_delay_min = std::chrono::milliseconds(100);
    /// The longest wait between attempts to reach Redis.
    std::chrono::steady_clock::duration reconnect_delay_max = std::chrono::seconds(5);
};

/** Topics shared by several servers through Redis: a publish on any server
    reaches the followers on every server, and a client resumes with
    `Last-Event-ID` on any of them.

    A publish is one Lua script in Redis: it takes the topic's next offset,
    writes the event's bytes (encoded once, by the publishing server) with
    its id `EPOCH-OFFSET` into the topic's stream, and publishes them on the
    topic's channel. Each server subscribes to the channels of the topics it
    has followers for and feeds what arrives to a local `Topic`, which its
    sessions follow as any other. An offset that is not the next one is
    caught up from the stream first; what the stream no longer holds reaches
    the followers as dropped events (their `SlowSubscriberPolicy` applies)
    and resumes from before it get `reset`. A topic whose epoch changed (Redis
    lost its data, or forgot an idle topic) is closed on this server: its
    followers' `follow` returns, and clients reconnecting get `reset`.

    While Redis is unreachable, publishes fail at once and the backplane
    reconnects with backoff, then catches every followed topic up from its
    stream: nothing the stream still holds is lost.

    @par Thread Safety
    Every member function may be called from any thread; the backplane works
    on a strand of the executor given.

    @par Example
    @code
    ssekit::RedisBackplane backplane(server.get_executor(), {.host = "127.0.0.1", .port = 6379});
    server.sse("/sub/{topic}", [&](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        auto topic = co_await backplane.topic(*session.call().path_param("topic"));
        co_await session.follow(*topic);
    });
    server.post("/pub/{topic}", [&](const ssekit::Request& request) -> asio::awaitable<ssekit::Response> {
        ssekit::ServerSentEvent event{.data = request.body()};
        co_return ssekit::Response::text(co_await backplane.publish(*request.path_param("topic"), event) + "\n");
    });
    @endcode
*/
class RedisBackplane {
public:
    /// Starts connecting to Redis, on a strand of `executor`.
    explicit RedisBackplane(boost::asio::any_io_executor executor, RedisBackplaneOptions options = {});
    /// Stops: followed topics close, waiting calls end with `operation_aborted`.
    ~RedisBackplane();
    RedisBackplane(const RedisBackplane&) = delete;
    RedisBackplane& operator=(const RedisBackplane&) = delete;

    /** Publishes `event` on topic `name` for every server.
        @return The event's id, `EPOCH-OFFSET`.
        @throws boost::system::system_error `error::invalid_field` when the
        event cannot be encoded or has an id of its own (the backplane gives
        every event its id); `redis_error::not_connected` or
        `connection_lost` while Redis is out of reach (the event may have
        been published when the connection was lost during the call);
        `asio::error::timed_out` after `publish_timeout` without an answer
        (the event may still be published).
    */
    boost::asio::awaitable<std::string> publish(std::string_view name, const ServerSentEvent& event);

    /** This server's copy of topic `name`, following Redis: follow it with
        `ServerSSESession::follow`. The first call for a topic subscribes to
        its channel and loads its log from the stream before it returns, so
        a `Last-Event-ID` from any server resumes from it.
        @throws std::length_error when `max_topics` topics are followed here;
        boost::system::system_error `redis_error::not_connected` while Redis
        is out of reach.
    */
    boost::asio::awaitable<std::shared_ptr<Topic>> topic(std::string_view name);

    /** The counters of the topics followed on this server now, by name: the
        copies `topic()` returned and Redis feeds. `subscribers`, `dropped`
        and the queues are this server's; `published` and the offsets are
        the topic's, counted by every server's publishes.
    */
    boost::asio::awaitable<std::map<std::string, TopicStats, std::less<>>> stats() const;

    /** True while the backplane delivers: connected to Redis, and its last
        probe (published on a channel of this server's own, every
        `check_interval`) came back through the subscription within three
        intervals. A readiness check for load balancers.
    */
    bool ready() const noexcept;

private:
    std::shared_ptr<detail::Backplane> backplane_;
};

} // namespace ssekit

#endif
