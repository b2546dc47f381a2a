#ifndef SSEKIT_BENCH_LOADGEN_SUBSCRIBER_POOL_HPP
#define SSEKIT_BENCH_LOADGEN_SUBSCRIBER_POOL_HPP

// N subscribers of one topic: connects them a few hundred at a time (so the
// server's accept backlog never overflows), retries failed attempts, and
// keeps the totals of what they received.

#include "delivery_tally.hpp"
#include "epoll_loop.hpp"
#include "subscriber.hpp"
#include "target.hpp"

#include <ssekit/event_stream_parser.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace ssekit::loadgen {

/// A server the subscribers follow the topic on, and the request they send it.
struct SubscribeEndpoint {
    Target target{};
    std::string request{};
};

struct SubscriberPoolOptions {
    std::uint32_t count{};
    /// Publisher ids 0..publishers-1 are counted; others are unparsed.
    std::uint32_t publishers{1};
    /// Bind subscriber i to 127.0.0.(1 + i % sources) when above 1.
    std::uint32_t sources{1};
    /// Connects started but without their response head yet, at most.
    std::uint32_t connects_in_flight{256};
    /// Attempts per subscriber, the first included.
    unsigned attempts{4};
    /// An attempt without a response head after this long fails.
    std::int64_t attempt_timeout_ns{10'000'000'000};
    /// Wait before retry k (k = 1, 2, ...) is k times this.
    std::int64_t retry_backoff_ns{100'000'000};
    /// The largest payload expected: sizes the event parser's limits.
    std::size_t payload_bytes{64};
};

class SubscriberPool {
public:
    SubscriberPool(EpollLoop& loop, const Target& target, std::string request, SubscriberPoolOptions options);
    /// Subscriber i connects to endpoints[i % endpoints.size()] (not empty).
    SubscriberPool(EpollLoop& loop, std::vector<SubscribeEndpoint> endpoints, SubscriberPoolOptions options);
    ~SubscriberPool();

    SubscriberPool(const SubscriberPool&) = delete;
    SubscriberPool& operator=(const SubscriberPool&) = delete;

    /// Starts connects as slots free up and retries as they come due, and
    /// times out slow attempts. Call after every EpollLoop::run_once.
    void tick(std::int64_t now_ns);

    std::uint32_t size() const noexcept { return options_.count; }
    /// Subscribers that got their 200 head, ever.
    std::uint32_t heads_received() const noexcept { return heads_received_; }
    /// Subscribers streaming now.
    std::uint32_t streaming() const noexcept { return streaming_; }
    /// Subscribers given up on (out of attempts, or refused): the run cannot go on.
    std::uint32_t given_up() const noexcept { return given_up_; }
    /// Why the first one was given up on.
    const std::string& first_failure() const noexcept { return first_failure_; }
    /// Failed connect attempts (each retry that was needed counts).
    std::uint64_t connect_errors() const noexcept { return connect_errors_; }
    /// Streams that ended after their head.
    std::uint64_t disconnects() const noexcept { return disconnects_; }
    const std::string& first_disconnect() const noexcept { return first_disconnect_; }
    /// Subscribers that received a warm-up event.
    std::uint32_t warmed_up() const noexcept { return warmed_up_; }

    const DeliveryTally& tally() const noexcept { return tally_; }

    /** Whether every streaming subscriber has every event of `published`
        (counts per publisher id), received or known lost.
    */
    bool caught_up(const std::vector<std::uint64_t>& published) const noexcept;

    /// Counts every event of `published` a subscriber never got as lost. Once, at the end.
    void count_missing_as_lost(const std::vector<std::uint64_t>& published);

    /// Subscribers that got every event of `published` exactly once, in order, and nothing else.
    std::uint32_t complete(const std::vector<std::uint64_t>& published) const;

    /// See DeliveryTally::expect_replay.
    void expect_replay(std::uint64_t last_replayed_seq, std::int64_t since_ns) noexcept
    {
        tally_.expect_replay(last_replayed_seq, since_ns);
    }

    /// Called with every event any subscriber receives, after it was counted.
    using EventObserver = std::function<void(const ssekit::ReceivedEvent&)>;
    void observe_events(EventObserver observer) { observer_ = std::move(observer); }

    /// Closes every connection (no disconnects counted).
    void close_all();

private:
    friend class Subscriber;

    struct Retry {
        std::uint32_t index;
        std::int64_t due_ns;
    };

    const sockaddr_in* source_for(std::uint32_t index) const noexcept;
    const SubscribeEndpoint& endpoint_for(std::uint32_t index) const noexcept
    {
        return endpoints_[index % endpoints_.size()];
    }
    void start_connects(std::int64_t now_ns);
    void time_out_attempts(std::int64_t now_ns);

    // From the subscribers.
    void on_streaming(Subscriber& subscriber);
    void on_refused(Subscriber& subscriber, const std::string& why);
    void on_attempt_failed(Subscriber& subscriber, const std::string& why);
    void on_disconnect(Subscriber& subscriber, const std::string& why);
    void give_up(Subscriber& subscriber, const std::string& why);

    EpollLoop& loop_;
    const std::vector<SubscribeEndpoint> endpoints_;
    const SubscriberPoolOptions options_;
    const ssekit::ParserOptions parser_options_;
    std::vector<sockaddr_in> sources_;
    std::vector<char> read_buffer_; // every subscriber reads into it, one at a time
    std::deque<Subscriber> subscribers_; // a deque: never moves them (epoll holds their addresses)
    std::deque<Retry> retries_;
    DeliveryTally tally_;
    EventObserver observer_;
    std::uint32_t next_first_attempt_ = 0;
    std::uint32_t in_flight_ = 0;
    std::uint32_t heads_received_ = 0;
    std::uint32_t streaming_ = 0;
    std::uint32_t given_up_ = 0;
    std::uint32_t warmed_up_ = 0;
    std::uint64_t connect_errors_ = 0;
    std::uint64_t disconnects_ = 0;
    std::uint64_t accounted_by_closed_ = 0; // tally_.accounted() of streams that ended
    std::int64_t next_timeout_scan_ns_ = 0;
    std::int64_t now_ns_ = 0; // of the last tick: when retries are due
    std::string first_failure_;
    std::string first_disconnect_;
};

} // namespace ssekit::loadgen

#endif
