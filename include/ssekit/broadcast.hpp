#ifndef SSEKIT_BROADCAST_HPP
#define SSEKIT_BROADCAST_HPP

#include <ssekit/event.hpp>
#include <ssekit/published_event.hpp>

#include <boost/asio/any_io_executor.hpp>

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
#include <utility>

namespace ssekit {
namespace detail {
struct TopicState;
struct TopicAccess;
}

/** Replay settings of a topic: the bounds of its log of recent events. */
struct TopicOptions {
    /// Events kept for replay to clients that reconnect with `Last-Event-ID`.
    std::size_t replay_count = 1024;
    /// Bytes the kept events may hold: their encoding plus their fields (see
    /// `TopicStats::replay_buffered_bytes`). An event larger than this is
    /// delivered live but not kept.
    std::size_t replay_bytes = 16 * 1024 * 1024;
    /// Events older than this leave the log: on the next publish, join or
    /// `stats()`, and on their own when the topic has an executor.
    std::chrono::steady_clock::duration replay_age = std::chrono::minutes(5);
};

/** What happens to a subscriber whose queue is full when an event arrives.
    A publish never waits for it. */
enum class SlowSubscriberPolicy {
    /// Drop the oldest queued events and tell the client with an event named
    /// `dropped` whose data is how many were dropped.
    drop_oldest,
    /// Close the stream; the browser reconnects with `Last-Event-ID` and
    /// catches up from the topic's log.
    disconnect,
};

/** How one session follows a topic. */
struct FollowOptions {
    /// What happens when this subscriber's queue is full.
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
    /// Sends, before anything else this follow queues (the `reset` notice,
    /// the replay, live events), an event holding only `id:`: the topic's
    /// position this follow starts from, `EPOCH-OFFSET`. That is the topic's
    /// last id (`EPOCH-0` before its first publish) when nothing is
    /// replayed, else the id just before the first replayed event. When
    /// `follow()` is the first thing the handler does, it comes right after
    /// the response head, so the client holds a resume cursor from its first
    /// byte: one that leaves before any event comes back with a
    /// `Last-Event-ID` that misses nothing. Browsers dispatch no event for
    /// it; they only keep the id.
    bool prime = false;
};

/** Counters of a topic, read with `Topic::stats()`. */
struct TopicStats {
    std::size_t subscribers = 0;       ///< sessions following the topic now
    std::uint64_t published = 0;       ///< events published since the topic was made
    std::uint64_t dropped = 0;         ///< events dropped for slow subscribers
    std::uint64_t disconnected = 0;    ///< slow subscribers closed by policy
    std::uint64_t resets = 0;          ///< followers told `reset`: their `Last-Event-ID` was not in the log
    std::size_t replay_buffered = 0;   ///< events in the log now
    /// Bytes the log holds now, counted against `TopicOptions::replay_bytes`.
    std::size_t replay_buffered_bytes = 0;
    std::uint64_t first_offset = 0;    ///< offset of the oldest event in the log; 0 when it is empty
    std::uint64_t last_offset = 0;     ///< offset of the last event published; 0 before the first
    std::string epoch;                 ///< this topic's epoch: the part of its ids before the `-`
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
    decides.

    The topic keeps a log of its last events, bounded by `TopicOptions`. An
    event without an id gets `EPOCH-OFFSET`: the topic's epoch, a token
    drawn when the topic is made (so it differs after a restart), and the
    event's offset in the log (1, 2, 3, ...). A client reconnecting with
    `Last-Event-ID` gets every event after that id, then the live stream,
    with no gap and no duplicate. An id the log cannot place (another epoch,
    an offset no longer kept, an unknown id) gets an event named `reset`
    (and `X-SSE-Replay: reset` when it is the first thing of the stream),
    then every event the log still holds: events may be missing before
    those, never after. An id the publisher gave is found by comparison, the
    newest match first: the publisher keeps its ids unique.

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
    /// A topic whose log loses events by age on publish, join and `stats()`.
    explicit Topic(TopicOptions options = {});
    /// A topic whose log also loses events by age on its own, on a timer
    /// that runs on `executor` (`Server::get_executor()`, say): an idle
    /// topic gives its memory back.
    explicit Topic(boost::asio::any_io_executor executor, TopicOptions options = {});
    ~Topic();
    Topic(const Topic&) = delete;
    Topic& operator=(const Topic&) = delete;

    /** Publishes `event` to every subscriber and the topic's log.

        @return The event's id: its own, or `EPOCH-OFFSET` when it has none.
        @throws boost::system::system_error `error::invalid_field` if the
        event cannot be encoded (`validate_event`), which includes an id no
        client could send back unchanged as `Last-Event-ID`: one with a
        control character other than a tab, a space or tab at either end, or
        bytes that are not valid UTF-8. Nothing is published then: no
        subscriber, no replay and no counter sees it, and it takes no
        offset. `error::session_closed` after `close()`.
    */
    std::string publish(const ServerSentEvent& event);

    /// Ends every follower's `follow` and refuses later publishes.
    void close();

    /// A snapshot of the topic's counters.
    TopicStats stats() const;

    /// The shared state, for ServerSSESession::follow.
    const std::shared_ptr<detail::TopicState>& state() const noexcept { return state_; }

private:
    friend struct detail::TopicAccess;
    explicit Topic(std::shared_ptr<detail::TopicState> state) noexcept : state_(std::move(state)) {}

    std::shared_ptr<detail::TopicState> state_;
};

/** Named topics, made on first use and dropped when unused: `/sub/{topic}`
    style endpoints.

    A topic leaves the registry once it has no subscriber, its log is empty
    (its events aged out, or none came) and nobody holds a pointer that
    `topic()` gave; so `max_topics` bounds the topics in use, not the names
    ever seen. A name used again later gets a new topic with a new epoch:
    a client resuming with an id of the old one gets `reset`.

    @par Thread Safety
    Every member function may be called from any thread.

    @par Example
    @code
    ssekit::TopicRegistry topics(server.get_executor());
    server.sse("/sub/{topic}", [&topics](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
        auto topic = topics.topic(*session.call().path_param("topic"));
        co_await session.follow(*topic);
    });
    @endcode
*/
class TopicRegistry {
public:
    /// Topics whose logs lose events by age on publish, join and `stats()`;
    /// at most `max_topics` in use at once.
    explicit TopicRegistry(TopicOptions options = {}, std::size_t max_topics = 1024);
    /// Topics whose logs also lose events by age on their own, on timers
    /// that run on `executor`.
    explicit TopicRegistry(boost::asio::any_io_executor executor, TopicOptions options = {},
                           std::size_t max_topics = 1024);

    /** The topic named `name`, made if needed; hold the pointer while you
        use the topic.
        @throws std::length_error when `max_topics` topics are in use and
        `name` is not one of them.
    */
    std::shared_ptr<Topic> topic(std::string_view name);

    /// The topic named `name` if one is in use, else null; makes none (for
    /// a route that subscribes only to topics that exist).
    std::shared_ptr<Topic> find(std::string_view name) const;

    /// Counters of every topic in use, by name.
    std::map<std::string, TopicStats, std::less<>> stats() const;

private:
    /// Drops the topics nobody uses; call under mutex_.
    void drop_unused() const;

    const std::optional<boost::asio::any_io_executor> executor_;
    const TopicOptions options_;
    const std::size_t max_topics_;
    mutable std::mutex mutex_;
    // Unused topics are dropped on the way, even by the const members.
    mutable std::map<std::string, std::shared_ptr<Topic>, std::less<>> topics_;
};

} // namespace ssekit

#endif
