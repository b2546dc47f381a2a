#ifndef SSEKIT_BROADCAST_HPP
#define SSEKIT_BROADCAST_HPP

#include <ssekit/event.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit {
namespace detail {
struct TopicState;
}

/** Replay settings of a topic. */
struct TopicOptions {
    /// Events kept for replay to clients that reconnect with `Last-Event-ID`.
    std::size_t replay_count = 1024;
    /// Events older than this leave the replay buffer.
    std::chrono::steady_clock::duration replay_age = std::chrono::minutes(5);
};

/** What happens to a subscriber whose queue is full when an event arrives.
    A publish never waits for it. */
enum class SlowSubscriberPolicy {
    /// Drop the oldest queued events and tell the client with an event named
    /// `dropped` whose data is how many were dropped.
    drop_oldest,
    /// Close the stream; the browser reconnects with `Last-Event-ID` and
    /// catches up from the replay buffer.
    disconnect,
};

/** A published event: what a follow filter sees. */
struct PublishedEvent {
    ServerSentEvent event;   ///< with its `id` set
    std::string encoded;     ///< the wire bytes, shared by every subscriber
    std::uint64_t sequence;  ///< the topic's counter: 1, 2, 3, ...
    std::chrono::steady_clock::time_point published_at;
};

/** How one session follows a topic. */
struct FollowOptions {
    SlowSubscriberPolicy policy = SlowSubscriberPolicy::drop_oldest;
    /// Events this subscriber may hold queued (bytes are bounded by
    /// `ServerOptions::max_queued_bytes`).
    std::size_t max_queued_events = 1024;
    /// Only events for which this returns true are sent; empty: all. It runs
    /// on the subscriber's thread; if it throws, that subscriber's session
    /// ends and the exception goes to `ServerOptions::on_handler_error`.
    std::function<bool(const PublishedEvent&)> filter{};
    /// Replay after this id instead of the request's `Last-Event-ID` header or
    /// `last_event_id` query parameter.
    std::optional<std::string> since{};
};

/** Counters of a topic, read with `Topic::stats()`. */
struct TopicStats {
    std::size_t subscribers = 0;
    std::uint64_t published = 0;
    std::uint64_t dropped = 0;         ///< events dropped for slow subscribers
    std::uint64_t disconnected = 0;    ///< slow subscribers closed by policy
    std::size_t replay_buffered = 0;   ///< events in the replay buffer now
    std::size_t bytes_queued = 0;      ///< bytes waiting in subscribers' queues now
    /// Executors (server threads, or strands on a user's executor) the
    /// subscribers are spread over: a publish posts once to each.
    std::size_t shards = 0;
};

/** One stream of events published once and sent to every session that
    follows it (`ServerSSESession::follow`).

    A publish encodes the event once into an immutable, reference-counted
    buffer; every subscriber's queue holds a reference to it. It posts once
    per thread that has subscribers (not once per subscriber), and never
    waits for a slow subscriber: the subscriber's `SlowSubscriberPolicy`
    decides. The last events are kept for replay: a client reconnecting
    with `Last-Event-ID` gets every event after that id, then the live
    stream, with no gap and no duplicate; an id no longer in the buffer gets
    an event named `reset` first.

    @par Thread Safety
    Every member function may be called from any thread. Subscribers hold
    the topic's state, so destroying a `Topic` while sessions follow it is
    safe: it closes the topic and their `follow` returns.

    @par Example
    @code
    ssekit::Topic news;
    server.sse("/news", [&news](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.follow(news);
    });
    server.post("/news", [&news](const ssekit::Request& request) {
        ssekit::ServerSentEvent event{.data = request.body()};
        return ssekit::Response::text(news.publish(event) + "\n");
    });
    @endcode
*/
class Topic {
public:
    explicit Topic(TopicOptions options = {});
    ~Topic();
    Topic(const Topic&) = delete;
    Topic& operator=(const Topic&) = delete;

    /** Publishes `event` to every subscriber and the replay buffer.

        @return The event's id: its own, or the topic's sequence number when
        it has none.
        @throws boost::system::system_error `error::invalid_field` if the
        event cannot be encoded (`validate_event`), which includes an id no
        client could send back unchanged as `Last-Event-ID`: one with a
        control character other than a tab, a space or tab at either end, or
        bytes that are not valid UTF-8. Nothing is published then: no
        subscriber, no replay and no counter sees it, and it takes no sequence
        number. `error::session_closed` after `close()`.
    */
    std::string publish(const ServerSentEvent& event);

    /// Ends every follower's `follow` and refuses later publishes.
    void close();

    TopicStats stats() const;

    /// The shared state, for ServerSSESession::follow.
    const std::shared_ptr<detail::TopicState>& state() const noexcept { return state_; }

private:
    std::shared_ptr<detail::TopicState> state_;
};

/** Named topics, created on first use: `/sub/{topic}` style endpoints.

    @par Thread Safety
    Every member function may be called from any thread. A topic, once
    created, lives as long as the registry, so the reference stays valid.

    @par Example
    @code
    ssekit::TopicRegistry topics;
    server.sse("/sub/{topic}", [&topics](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        co_await session.follow(topics.topic(*session.call().path_param("topic")));
    });
    @endcode
*/
class TopicRegistry {
public:
    /// `max_topics` bounds memory: `topic()` refuses more.
    explicit TopicRegistry(TopicOptions options = {}, std::size_t max_topics = 1024);

    /** The topic named `name`, created if needed.
        @throws std::length_error when `max_topics` exist and `name` is new.
    */
    Topic& topic(std::string_view name);

    /// Counters of every topic, by name.
    std::map<std::string, TopicStats, std::less<>> stats() const;

private:
    const TopicOptions options_;
    const std::size_t max_topics_;
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
};

} // namespace ssekit

#endif
