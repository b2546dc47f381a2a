#include "backplane.hpp"

#include "../topic_log.hpp"
#include "../topic_state.hpp"

#include <ssekit/redis_error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <iostream>
#include <stdexcept>

namespace asio = boost::asio;

namespace ssekit::detail {

namespace {

using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;

[[noreturn]] void throw_not_connected(const char* where)
{
    throw boost::system::system_error(redis_error::not_connected, where);
}

std::size_t received_bytes(const ReceivedEvent& received) noexcept
{
    return received.event->encoded().size() + received.epoch.size();
}

} // namespace

Backplane::Backplane(asio::any_io_executor executor, RedisBackplaneOptions options)
    : executor_(executor), strand_(asio::make_strand(executor)), options_(std::move(options)),
      server_id_(new_epoch() + new_epoch()), probe_channel_(options_.key_prefix + "probe:" + server_id_),
      topic_channel_prefix_(topic_channel_prefix(options_.key_prefix)), retry_timer_(strand_)
{
}

void Backplane::start()
{
    asio::co_spawn(strand_, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

void Backplane::stop()
{
    asio::dispatch(strand_, [self = shared_from_this()] {
        self->stopping_ = true;
        self->connected_ = false;
        // Destroying the connections ends every command and receive waiting on them.
        self->commands_.reset();
        self->subscriber_.reset();
        self->retry_timer_.cancel();
        for (auto& [name, mirror] : self->mirrors_) {
            if (mirror->topic)
                mirror->topic->close();
            mirror->loaded.cancel();
        }
        self->mirrors_.clear();
    });
}

bool Backplane::ready() const noexcept
{
    if (!connected_)
        return false;
    const auto seen = clock::time_point(clock::duration(last_probe_seen_.load()));
    return clock::now() - seen < 3 * options_.check_interval;
}

RedisSubscriberOptions Backplane::subscriber_options() const
{
    // Room for a whole log's worth of events waiting to be taken.
    return RedisSubscriberOptions{.max_queued_bytes = std::max<std::size_t>(options_.topic_options.replay_bytes,
                                                                            16 * 1024 * 1024)};
}

void Backplane::report(std::string_view what, std::string_view why) const
{
    if (!stopping_)
        std::cerr << "ssekit: Redis backplane at " << options_.host << ':' << options_.port << ": " << what << ": "
                  << why << '\n';
}

// Connect, work until the connection fails, wait, again; until stop().
asio::awaitable<void> Backplane::run()
{
    auto delay = options_.reconnect_delay_min;
    while (!stopping_) {
        try {
            co_await connect();
            delay = options_.reconnect_delay_min;
            connected_ = true;
            // What was published while this server was not listening.
            for (auto& [name, mirror] : mirrors_)
                if (mirror->state && !mirror->busy)
                    start_catch_up(name, *mirror, false);
            try {
                co_await (receive_messages() || check_periodically());
            } catch (const asio::multiple_exceptions& both) { // the second is the cancellation of the other
                std::rethrow_exception(both.first_exception());
            }
        } catch (const boost::system::system_error& e) {
            report("connection to Redis failed", e.code().message());
        } catch (const std::exception& e) { // what Redis sent made no sense
            report("connection to Redis dropped", e.what());
        }
        connected_ = false;
        commands_.reset();
        subscriber_.reset();
        if (stopping_)
            break;
        retry_timer_.expires_after(delay);
        co_await retry_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        delay = std::min(delay * 2, options_.reconnect_delay_max);
    }
}

asio::awaitable<void> Backplane::connect()
{
    commands_ = std::make_unique<RedisConnection>(strand_);
    subscriber_ = std::make_unique<RedisSubscriber>(strand_, subscriber_options());
    co_await commands_->connect(options_.host, options_.port);
    co_await subscriber_->connect(options_.host, options_.port);
    RedisReply sha = co_await commands_->command("SCRIPT", "LOAD", publish_script);
    if (!sha.is_string())
        throw boost::system::system_error(redis_error::unexpected_reply, "SCRIPT LOAD of the publish script");
    script_sha_ = sha.take_text();
    co_await subscriber_->subscribe(probe_channel_);
    // Names first: mirrors may come and go while the subscriptions are confirmed.
    std::vector<std::string> names;
    for (const auto& [name, mirror] : mirrors_)
        names.push_back(name);
    for (const std::string& name : names)
        if (mirrors_.contains(name) && subscriber_)
            co_await subscriber_->subscribe(topic_channel_prefix_ + name);
}

asio::awaitable<void> Backplane::receive_messages()
{
    for (;;) {
        if (!subscriber_)
            throw_not_connected("ssekit::RedisBackplane");
        on_message(co_await subscriber_->receive());
    }
}

asio::awaitable<void> Backplane::check_periodically()
{
    asio::steady_timer timer(strand_);
    for (;;) {
        if (!commands_)
            throw_not_connected("ssekit::RedisBackplane");
        // The probe goes out on the command connection and comes back on the
        // subscription: both work, or ready() turns false.
        co_await commands_->command("PUBLISH", probe_channel_, server_id_);
        co_await check_topics();
        drop_unused();
        timer.expires_after(options_.check_interval);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

// Each followed topic's top against Redis: a last message lost on the way is
// caught up, an epoch that changed is taken, and the keys are kept alive.
asio::awaitable<void> Backplane::check_topics()
{
    std::vector<std::string> names;
    for (const auto& [name, mirror] : mirrors_)
        if (mirror->state)
            names.push_back(name);
    const std::string ttl = std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.topic_ttl).count());
    for (const std::string& name : names) {
        if (!commands_)
            throw_not_connected("ssekit::RedisBackplane");
        const TopicKeys keys(options_.key_prefix, name);
        commands_->async_command(RedisCommand("PEXPIRE", keys.meta, ttl), asio::detached);
        commands_->async_command(RedisCommand("PEXPIRE", keys.log, ttl), asio::detached);
        RedisReply top = co_await commands_->command("HMGET", keys.meta, "epoch", "offset");
        auto found = mirrors_.find(name);
        if (found == mirrors_.end() || found->second->busy || !top.is_array() || top.elements().size() != 2 ||
            !top.elements()[0].is_string() || !top.elements()[1].is_string())
            continue;
        Mirror& mirror = *found->second;
        const std::string& epoch = top.elements()[0].text();
        const std::uint64_t offset = read_offset(top.elements()[1]).value_or(0);
        if (epoch != mirror.epoch || offset > mirror.last_offset)
            start_catch_up(name, mirror, epoch != mirror.epoch);
    }
}

void Backplane::drop_unused()
{
    for (auto it = mirrors_.begin(); it != mirrors_.end();) {
        Mirror& mirror = *it->second;
        // Its log is in Redis: a later follower loads it again.
        const bool unused =
            mirror.state && !mirror.busy && mirror.topic.use_count() == 1 && !mirror.state->has_subscribers();
        if (!unused) {
            ++it;
            continue;
        }
        mirror.topic->close();
        if (subscriber_ && subscriber_->is_open())
            asio::co_spawn(strand_, subscriber_->unsubscribe(topic_channel_prefix_ + it->first), asio::detached);
        it = mirrors_.erase(it);
    }
}

void Backplane::on_message(RedisMessage message)
{
    if (message.channel == probe_channel_) {
        last_probe_seen_ = clock::now().time_since_epoch().count();
        return;
    }
    if (!message.channel.starts_with(topic_channel_prefix_))
        return;
    const std::string name = message.channel.substr(topic_channel_prefix_.size());
    auto found = mirrors_.find(name);
    if (found == mirrors_.end())
        return; // unsubscribed meanwhile
    std::optional<ReceivedEvent> received = read_event(std::move(message.payload), clock::now());
    if (!received) {
        report("ignored a message that is not an event, on channel", message.channel);
        return;
    }
    apply(name, *found->second, std::move(*received));
}

void Backplane::apply(const std::string& name, Mirror& mirror, ReceivedEvent received)
{
    if (mirror.busy) {
        // Bounded like the log: past it, the catch-up that runs reads the rest from the stream.
        const std::size_t bytes = received_bytes(received);
        if (mirror.pending_bytes + bytes <= options_.topic_options.replay_bytes) {
            mirror.pending_bytes += bytes;
            mirror.pending.push_back(std::move(received));
        }
        return;
    }
    if (mirror.epoch.empty() && mirror.last_offset == 0) { // the topic's first events
        mirror.epoch = received.epoch;
        mirror.state->restart_log(mirror.epoch, 0);
    }
    if (received.epoch != mirror.epoch) {
        start_catch_up(name, mirror, true);
        return;
    }
    const std::uint64_t offset = received.event->offset();
    if (offset <= mirror.last_offset)
        return; // caught up already
    if (offset == mirror.last_offset + 1) {
        mirror.last_offset = offset;
        mirror.state->feed(std::move(received.event));
        return;
    }
    // A gap: what is missing is in the stream, unless trimmed away.
    start_catch_up(name, mirror, false);
}

void Backplane::start_catch_up(const std::string& name, Mirror& mirror, bool reload)
{
    mirror.busy = true;
    asio::co_spawn(
        strand_, [self = shared_from_this(), name, reload] { return self->catch_up(name, reload); }, asio::detached);
}

asio::awaitable<void> Backplane::catch_up(std::string name, bool reload)
{
    const TopicKeys keys(options_.key_prefix, name);
    try {
        if (!commands_)
            throw_not_connected("ssekit::RedisBackplane");
        auto found = mirrors_.find(name);
        if (found == mirrors_.end())
            co_return;
        std::string epoch;
        if (reload) {
            RedisReply meta = co_await commands_->command("HGET", keys.meta, "epoch");
            epoch = meta.is_string() ? meta.take_text() : std::string();
        }
        const std::string after =
            reload ? std::string("-") : "(" + std::to_string(found->second->last_offset) + "-0";
        RedisReply entries = co_await commands_->command("XRANGE", keys.log, after, "+");
        found = mirrors_.find(name);
        if (found == mirrors_.end())
            co_return;
        Mirror& mirror = *found->second;
        std::vector<ReceivedEvent> events =
            read_stream_entries(std::move(entries), std::chrono::system_clock::now(), clock::now());
        if (reload && !epoch.empty() && epoch != mirror.epoch)
            rebase(mirror, epoch, 0);
        std::erase_if(events, [&](const ReceivedEvent& e) { return e.epoch != mirror.epoch; });
        feed(mirror, std::move(events));
        mirror.busy = false;
        std::vector<ReceivedEvent> waiting = std::move(mirror.pending);
        mirror.pending.clear();
        mirror.pending_bytes = 0;
        if (reload) // what Redis holds decides the epoch: events of another one are stale
            std::erase_if(waiting, [&](const ReceivedEvent& e) { return e.epoch != mirror.epoch; });
        for (ReceivedEvent& received : waiting)
            apply(name, mirror, std::move(received));
    } catch (const boost::system::system_error&) {
        // The connection failed: the reconnect catches every mirror up.
        if (auto found = mirrors_.find(name); found != mirrors_.end()) {
            found->second->busy = false;
            found->second->pending.clear();
            found->second->pending_bytes = 0;
        }
    }
}

void Backplane::feed(Mirror& mirror, std::vector<ReceivedEvent> events)
{
    for (ReceivedEvent& received : events) {
        const std::uint64_t offset = received.event->offset();
        if (offset <= mirror.last_offset)
            continue;
        // Past a gap the stream no longer holds, the state restarts its log.
        mirror.last_offset = offset;
        mirror.state->feed(std::move(received.event));
    }
}

void Backplane::rebase(Mirror& mirror, std::string epoch, std::uint64_t last_offset)
{
    if (mirror.topic && !mirror.epoch.empty())
        mirror.topic->close(); // followers of the old epoch end; they come back and get reset
    mirror.epoch = std::move(epoch);
    mirror.last_offset = last_offset;
    mirror.state = std::make_shared<TopicState>(options_.topic_options, executor_, mirror.epoch, last_offset);
    mirror.topic = TopicAccess::make(mirror.state);
}

asio::awaitable<std::string> Backplane::publish(std::string name, ServerSentEvent event)
{
    if (!connected_ || !commands_)
        throw_not_connected("ssekit::RedisBackplane::publish");
    const TopicKeys keys(options_.key_prefix, name);
    const PublishLimits limits{
        .stream_entries = options_.topic_options.replay_count,
        .ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.topic_ttl)};
    RedisCommand command =
        publish_command(script_sha_, keys, event, new_epoch(), limits, std::chrono::system_clock::now());
    RedisReply reply = co_await commands_->command(std::move(command));
    if (reply.is_error() && reply.text().starts_with("NOSCRIPT")) {
        // Redis lost its script cache (SCRIPT FLUSH, a restart behind a proxy): load it again.
        if (!commands_)
            throw_not_connected("ssekit::RedisBackplane::publish");
        RedisReply sha = co_await commands_->command("SCRIPT", "LOAD", publish_script);
        if (!sha.is_string() || !commands_)
            throw boost::system::system_error(redis_error::unexpected_reply, "SCRIPT LOAD of the publish script");
        script_sha_ = sha.take_text();
        reply = co_await commands_->command(
            publish_command(script_sha_, keys, event, new_epoch(), limits, std::chrono::system_clock::now()));
    }
    const LogPosition position = read_publish_reply(reply);
    co_return position.epoch + '-' + std::to_string(position.offset);
}

asio::awaitable<std::shared_ptr<Topic>> Backplane::topic(std::string name)
{
    auto found = mirrors_.find(name);
    if (found != mirrors_.end()) {
        if (!found->second->state) { // its first load runs: wait for it
            co_await found->second->loaded.async_wait(asio::as_tuple(asio::use_awaitable));
            found = mirrors_.find(name);
        }
        if (found == mirrors_.end() || !found->second->state)
            throw_not_connected("ssekit::RedisBackplane::topic");
        co_return found->second->topic;
    }
    if (!connected_ || !subscriber_ || !commands_)
        throw_not_connected("ssekit::RedisBackplane::topic");
    if (mirrors_.size() >= options_.max_topics) {
        drop_unused();
        if (mirrors_.size() >= options_.max_topics)
            throw std::length_error("ssekit::RedisBackplane::topic: max_topics topics are followed");
    }
    Mirror& mirror = *mirrors_.emplace(name, std::make_unique<Mirror>(strand_)).first->second;
    mirror.busy = true;
    mirror.loaded.expires_at(clock::time_point::max());
    const TopicKeys keys(options_.key_prefix, name);
    try {
        // Subscribed first: what is published from here on arrives, and waits
        // in `pending` until the log is read.
        co_await subscriber_->subscribe(keys.channel);
        if (!commands_)
            throw_not_connected("ssekit::RedisBackplane::topic");
        RedisReply meta = co_await commands_->command("HMGET", keys.meta, "epoch", "offset");
        if (!commands_)
            throw_not_connected("ssekit::RedisBackplane::topic");
        RedisReply tail = co_await commands_->command("XREVRANGE", keys.log, "+", "-", "COUNT",
                                                      std::to_string(options_.topic_options.replay_count));
        found = mirrors_.find(name);
        if (found == mirrors_.end() || found->second.get() != &mirror)
            throw_not_connected("ssekit::RedisBackplane::topic");
        std::string epoch;
        std::uint64_t offset = 0;
        if (meta.is_array() && meta.elements().size() == 2 && meta.elements()[0].is_string() &&
            meta.elements()[1].is_string()) {
            epoch = meta.elements()[0].text();
            offset = read_offset(meta.elements()[1]).value_or(0);
        }
        std::vector<ReceivedEvent> events =
            read_stream_entries(std::move(tail), std::chrono::system_clock::now(), clock::now());
        std::erase_if(events, [&](const ReceivedEvent& e) { return e.epoch != epoch; });
        // The log starts just before the oldest event the stream holds.
        const std::uint64_t before = events.empty() ? offset : events.front().event->offset() - 1;
        rebase(mirror, epoch, before);
        feed(mirror, std::move(events));
    } catch (...) {
        if (auto it = mirrors_.find(name); it != mirrors_.end() && it->second.get() == &mirror) {
            mirror.loaded.cancel();
            mirrors_.erase(it);
        }
        throw;
    }
    mirror.busy = false;
    mirror.loaded.cancel();
    std::vector<ReceivedEvent> waiting = std::move(mirror.pending);
    mirror.pending.clear();
    mirror.pending_bytes = 0;
    for (ReceivedEvent& received : waiting)
        apply(name, mirror, std::move(received));
    co_return mirror.topic;
}

} // namespace ssekit::detail
