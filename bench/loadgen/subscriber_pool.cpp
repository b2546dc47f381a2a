#include "subscriber_pool.hpp"

#include "monotonic_clock.hpp"
#include "tcp_connect.hpp"

#include <algorithm>
#include <numeric>

namespace ssekit::loadgen {

namespace {

constexpr std::size_t read_buffer_bytes = 64 * 1024;
constexpr std::int64_t timeout_scan_period_ns = 100 * ns_per_ms;

ssekit::ParserOptions parser_options_for(std::size_t payload_bytes)
{
    // Room for the payload plus "data: " and whatever the server adds.
    const std::size_t limit = std::max<std::size_t>(payload_bytes + 64 * 1024, std::size_t{1} << 20);
    return ssekit::ParserOptions{.max_line_bytes = limit, .max_event_bytes = limit};
}

} // namespace

SubscriberPool::SubscriberPool(EpollLoop& loop, const Target& target, std::string request,
                               SubscriberPoolOptions options)
    : SubscriberPool(loop, {SubscribeEndpoint{.target = target, .request = std::move(request)}}, options)
{
}

SubscriberPool::SubscriberPool(EpollLoop& loop, std::vector<SubscribeEndpoint> endpoints,
                               SubscriberPoolOptions options)
    : loop_(loop),
      endpoints_(std::move(endpoints)),
      options_(options),
      parser_options_(parser_options_for(options.payload_bytes)),
      read_buffer_(read_buffer_bytes)
{
    if (options_.sources > 1)
        for (std::uint32_t k = 1; k <= options_.sources; ++k)
            sources_.push_back(loopback_source(static_cast<std::uint8_t>(k)));
    for (std::uint32_t i = 0; i < options_.count; ++i)
        subscribers_.emplace_back(*this, i, options_.publishers);
}

SubscriberPool::~SubscriberPool() = default;

const sockaddr_in* SubscriberPool::source_for(std::uint32_t index) const noexcept
{
    return sources_.empty() ? nullptr : &sources_[index % sources_.size()];
}

void SubscriberPool::tick(std::int64_t now_ns)
{
    now_ns_ = now_ns;
    if (in_flight_ > 0 && now_ns >= next_timeout_scan_ns_) {
        time_out_attempts(now_ns);
        next_timeout_scan_ns_ = now_ns + timeout_scan_period_ns;
    }
    start_connects(now_ns);
}

void SubscriberPool::start_connects(std::int64_t now_ns)
{
    while (in_flight_ < options_.connects_in_flight) {
        std::uint32_t index = 0;
        if (!retries_.empty() && retries_.front().due_ns <= now_ns) {
            index = retries_.front().index;
            retries_.pop_front();
        } else if (next_first_attempt_ < options_.count) {
            index = next_first_attempt_++;
        } else {
            return;
        }
        ++in_flight_;
        subscribers_[index].start_attempt(now_ns); // a failure comes back at once, freeing the slot
    }
}

void SubscriberPool::time_out_attempts(std::int64_t now_ns)
{
    for (Subscriber& subscriber : subscribers_) {
        const auto state = subscriber.state();
        if ((state == Subscriber::State::connecting || state == Subscriber::State::awaiting_head) &&
            now_ns - subscriber.attempt_started_ns() > options_.attempt_timeout_ns)
            subscriber.abandon_attempt("no response head within the attempt timeout");
    }
}

bool SubscriberPool::caught_up(const std::vector<std::uint64_t>& published) const noexcept
{
    const std::uint64_t per_subscriber = std::accumulate(published.begin(), published.end(), std::uint64_t{0});
    return tally_.accounted() - accounted_by_closed_ >= std::uint64_t{streaming_} * per_subscriber;
}

void SubscriberPool::count_missing_as_lost(const std::vector<std::uint64_t>& published)
{
    for (const Subscriber& subscriber : subscribers_)
        tally_.add_lost(subscriber.sequence().missing(published));
}

std::uint32_t SubscriberPool::complete(const std::vector<std::uint64_t>& published) const
{
    return static_cast<std::uint32_t>(std::count_if(subscribers_.begin(), subscribers_.end(), [&](const Subscriber& s) {
        return s.sequence().clean() && s.sequence().missing(published) == 0;
    }));
}

void SubscriberPool::close_all()
{
    for (Subscriber& subscriber : subscribers_) {
        if (subscriber.state() == Subscriber::State::streaming) {
            --streaming_;
            accounted_by_closed_ += subscriber.sequence().accounted();
        }
        subscriber.close();
    }
    retries_.clear();
    in_flight_ = 0;
}

void SubscriberPool::on_streaming(Subscriber&)
{
    --in_flight_;
    ++heads_received_;
    ++streaming_;
}

void SubscriberPool::on_refused(Subscriber& subscriber, const std::string& why)
{
    --in_flight_;
    give_up(subscriber, why);
}

void SubscriberPool::on_attempt_failed(Subscriber& subscriber, const std::string& why)
{
    --in_flight_;
    ++connect_errors_;
    if (subscriber.attempts() >= options_.attempts) {
        give_up(subscriber, why + " (after " + std::to_string(subscriber.attempts()) + " attempts)");
        return;
    }
    const std::int64_t due = now_ns_ + options_.retry_backoff_ns * subscriber.attempts();
    // Keep the queue in due order; backoffs grow, so this is nearly always the back.
    auto at = std::upper_bound(retries_.begin(), retries_.end(), due,
                               [](std::int64_t d, const Retry& r) { return d < r.due_ns; });
    retries_.insert(at, Retry{subscriber.index(), due});
}

void SubscriberPool::on_disconnect(Subscriber& subscriber, const std::string& why)
{
    --streaming_;
    ++disconnects_;
    accounted_by_closed_ += subscriber.sequence().accounted();
    if (first_disconnect_.empty())
        first_disconnect_ = "subscriber " + std::to_string(subscriber.index()) + ": " + why;
}

void SubscriberPool::give_up(Subscriber& subscriber, const std::string& why)
{
    ++given_up_;
    if (first_failure_.empty())
        first_failure_ = "subscriber " + std::to_string(subscriber.index()) + ": " + why;
}

} // namespace ssekit::loadgen
