#include "backplane.hpp"

#include "../topic_log.hpp"

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
#include <utility>

namespace asio = boost::asio;

namespace ssekit::detail {

namespace {

using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;

[[noreturn]] void throw_not_connected(const char* where)
{
    throw boost::system::system_error(redis_error::not_connected, where);
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
        for (auto& [name, followed] : self->followed_)
            followed->mirror.close();
        self->followed_.clear(); // wakes those waiting for a load
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

// Once per outage: the attempts that follow fail the same way.
void Backplane::report_down(std::string_view why)
{
    if (!std::exchange(reported_down_, true))
        report("Redis is out of reach, retrying", why);
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
            if (std::exchange(reported_down_, false))
                report("connected to Redis again", "catching up");
            // What was published while this server was not listening.
            for (auto& [name, followed] : followed_)
                if (followed->mirror.loaded() && !followed->mirror.reading()) {
                    followed->mirror.begin_read();
                    start_read(name, TopicMirror::Read::catch_up);
                }
            try {
                co_await (receive_messages() || check_periodically());
            } catch (const asio::multiple_exceptions& both) { // the second is the cancellation of the other
                std::rethrow_exception(both.first_exception());
            }
        } catch (const boost::system::system_error& e) {
            report_down(e.code().message());
        } catch (const std::exception& e) { // what Redis sent made no sense
            report_down(e.what());
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
    // Names first: topics may come and go while the subscriptions are confirmed.
    std::vector<std::string> names;
    for (const auto& [name, followed] : followed_)
        names.push_back(name);
    for (const std::string& name : names)
        if (followed_.contains(name) && subscriber_)
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
        // The probe goes out on the command connection and comes back on the
        // subscription: both work, or ready() turns false.
        co_await commands("ssekit::RedisBackplane").command("PUBLISH", probe_channel_, server_id_);
        co_await check_topics();
        drop_unused();
        timer.expires_after(options_.check_interval);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

// Each followed topic's top against Redis, in one script: a last message
// lost on the way is caught up, an epoch that changed is taken, and the
// topic's keys are kept alive while this server follows it.
asio::awaitable<void> Backplane::check_topics()
{
    std::vector<std::string> names;
    for (const auto& [name, followed] : followed_)
        if (followed->mirror.loaded())
            names.push_back(name);
    if (names.empty() || !commands_)
        co_return;
    const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.topic_ttl);
    const RedisReply reply = co_await commands_->command(check_command(options_.key_prefix, names, ttl));
    const std::vector<TopicTop> tops = read_check_reply(reply, names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto found = followed_.find(names[i]);
        if (found == followed_.end() || tops[i].epoch.empty())
            continue; // gone here, or not in Redis (until its next publish)
        TopicMirror& mirror = found->second->mirror;
        if (mirror.reading())
            continue;
        if (tops[i].epoch != mirror.epoch()) {
            mirror.begin_read();
            start_read(names[i], TopicMirror::Read::reload);
        } else if (tops[i].offset > mirror.last_offset()) {
            mirror.begin_read();
            start_read(names[i], TopicMirror::Read::catch_up);
        }
    }
}

void Backplane::drop_unused()
{
    for (auto it = followed_.begin(); it != followed_.end();) {
        if (!it->second->mirror.unused()) {
            ++it;
            continue;
        }
        // Its log is in Redis: a later follower loads it again.
        it->second->mirror.close();
        if (subscriber_ && subscriber_->is_open())
            asio::co_spawn(strand_, subscriber_->unsubscribe(topic_channel_prefix_ + it->first), asio::detached);
        it = followed_.erase(it);
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
    auto found = followed_.find(name);
    if (found == followed_.end())
        return; // unsubscribed meanwhile
    std::optional<ReceivedEvent> received = read_event(std::move(message.payload), clock::now());
    if (!received) {
        report("ignored a message that is not an event, on channel", message.channel);
        return;
    }
    start_read(name, found->second->mirror.on_live(std::move(*received)));
}

void Backplane::start_read(const std::string& name, TopicMirror::Read read)
{
    if (read == TopicMirror::Read::nothing)
        return;
    asio::co_spawn(
        strand_, [self = shared_from_this(), name, read] { return self->read_stream(name, read); }, asio::detached);
}

asio::awaitable<void> Backplane::read_stream(std::string name, TopicMirror::Read read)
{
    const TopicKeys keys(options_.key_prefix, name);
    try {
        auto found = followed_.find(name);
        if (found == followed_.end())
            co_return;
        std::string epoch;
        std::string after = "-"; // a reload reads all the stream holds
        if (read == TopicMirror::Read::reload) {
            RedisReply meta = co_await commands("ssekit::RedisBackplane").command("HGET", keys.meta, "epoch");
            epoch = meta.is_string() ? meta.take_text() : std::string();
        } else {
            after = "(" + std::to_string(found->second->mirror.last_offset()) + "-0";
        }
        RedisReply entries = co_await commands("ssekit::RedisBackplane").command("XRANGE", keys.log, after, "+");
        found = followed_.find(name);
        if (found == followed_.end())
            co_return;
        std::vector<ReceivedEvent> events =
            read_stream_entries(std::move(entries), std::chrono::system_clock::now(), clock::now());
        start_read(name, found->second->mirror.end_read(read, std::move(epoch), std::move(events)));
    } catch (const boost::system::system_error&) {
        // Redis went away: the reconnect catches every topic up.
        if (auto found = followed_.find(name); found != followed_.end())
            found->second->mirror.abandon_read();
    }
}

RedisConnection& Backplane::commands(const char* where) const
{
    if (!commands_)
        throw_not_connected(where);
    return *commands_;
}

asio::awaitable<RedisReply> Backplane::command_until(RedisCommand command, clock::time_point deadline)
{
    RedisConnection& connection = commands("ssekit::RedisBackplane::publish");
    asio::steady_timer timer(strand_, deadline);
    // The command's wait is cancelled when the timer wins; the connection
    // still reads its reply, so later commands get theirs.
    auto first = co_await (connection.command(std::move(command)) || timer.async_wait(asio::use_awaitable));
    if (first.index() == 1)
        throw boost::system::system_error(asio::error::timed_out,
                                          "ssekit::RedisBackplane::publish: no answer from Redis in time");
    co_return std::get<0>(std::move(first));
}

asio::awaitable<std::string> Backplane::publish(std::string name, ServerSentEvent event)
{
    if (!connected_ || !commands_)
        throw_not_connected("ssekit::RedisBackplane::publish");
    const TopicKeys keys(options_.key_prefix, name);
    const PublishLimits limits{
        .stream_entries = options_.topic_options.replay_count,
        .ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.topic_ttl)};
    const auto deadline = clock::now() + options_.publish_timeout;
    RedisReply reply = co_await command_until(
        publish_command(script_sha_, keys, event, new_epoch(), limits, std::chrono::system_clock::now()), deadline);
    if (reply.is_error() && reply.text().starts_with("NOSCRIPT")) {
        // Redis lost its script cache (SCRIPT FLUSH, a failover): load it again.
        RedisReply sha = co_await command_until(RedisCommand("SCRIPT", "LOAD", publish_script), deadline);
        if (!sha.is_string())
            throw boost::system::system_error(redis_error::unexpected_reply, "SCRIPT LOAD of the publish script");
        script_sha_ = sha.take_text();
        reply = co_await command_until(
            publish_command(script_sha_, keys, event, new_epoch(), limits, std::chrono::system_clock::now()),
            deadline);
    }
    const LogPosition position = read_publish_reply(reply);
    co_return position.epoch + '-' + std::to_string(position.offset);
}

asio::awaitable<std::shared_ptr<Topic>> Backplane::topic(std::string name)
{
    if (auto found = followed_.find(name); found != followed_.end()) {
        if (!found->second->mirror.loaded()) { // its first load runs: wait for it
            co_await found->second->loaded.async_wait(asio::as_tuple(asio::use_awaitable));
            found = followed_.find(name);
        }
        if (found == followed_.end() || !found->second->mirror.loaded())
            throw_not_connected("ssekit::RedisBackplane::topic");
        co_return found->second->mirror.topic();
    }
    if (!connected_ || !subscriber_ || !commands_)
        throw_not_connected("ssekit::RedisBackplane::topic");
    if (followed_.size() >= options_.max_topics) {
        drop_unused();
        if (followed_.size() >= options_.max_topics)
            throw std::length_error("ssekit::RedisBackplane::topic: max_topics topics are followed");
    }
    Followed& followed =
        *followed_.emplace(name, std::make_unique<Followed>(options_.topic_options, executor_)).first->second;
    try {
        co_await load(name, followed);
    } catch (...) {
        if (auto it = followed_.find(name); it != followed_.end() && it->second.get() == &followed) {
            followed.loaded.cancel();
            followed_.erase(it);
        }
        throw;
    }
    followed.loaded.cancel();
    co_return followed.mirror.topic();
}

asio::awaitable<std::map<std::string, TopicStats, std::less<>>> Backplane::stats() const
{
    std::map<std::string, TopicStats, std::less<>> by_name;
    for (const auto& [name, followed] : followed_)
        if (followed->mirror.loaded())
            by_name.emplace(name, followed->mirror.topic()->stats());
    co_return by_name;
}

asio::awaitable<void> Backplane::load(std::string name, Followed& followed)
{
    const TopicKeys keys(options_.key_prefix, name);
    // Subscribed first: what is published from here on arrives, and waits
    // in the mirror until the log is read.
    co_await subscriber_->subscribe(keys.channel);
    constexpr const char* where = "ssekit::RedisBackplane::topic";
    RedisReply meta = co_await commands(where).command("HMGET", keys.meta, "epoch", "offset");
    RedisReply tail = co_await commands(where).command("XREVRANGE", keys.log, "+", "-", "COUNT",
                                                       std::to_string(options_.topic_options.replay_count));
    auto found = followed_.find(name);
    if (found == followed_.end() || found->second.get() != &followed)
        throw_not_connected(where); // stopped meanwhile
    std::string epoch;
    std::uint64_t offset = 0;
    if (meta.is_array() && meta.elements().size() == 2 && meta.elements()[0].is_string()) {
        epoch = meta.elements()[0].text();
        offset = read_offset(meta.elements()[1]).value_or(0);
    }
    std::vector<ReceivedEvent> events =
        read_stream_entries(std::move(tail), std::chrono::system_clock::now(), clock::now());
    start_read(name, followed.mirror.load(std::move(epoch), offset, std::move(events)));
}

} // namespace ssekit::detail
