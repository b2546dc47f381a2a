#ifndef SSEKIT_LIB_REDIS_BACKPLANE_HPP
#define SSEKIT_LIB_REDIS_BACKPLANE_HPP

#include "backplane_protocol.hpp"
#include "redis_connection.hpp"
#include "redis_subscriber.hpp"
#include "topic_mirror.hpp"

#include <ssekit/broadcast.hpp>
#include <ssekit/redis_backplane.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ssekit::detail {

/** The engine behind RedisBackplane. Everything here runs on `strand_`: the
    connection loop (connect, receive, check; reconnect with backoff), the
    loads and catch-ups of mirrors, publishes. Each coroutine holds the
    engine; stop() closes the connections, which ends them all.
*/
class Backplane : public std::enable_shared_from_this<Backplane> {
public:
    Backplane(boost::asio::any_io_executor executor, RedisBackplaneOptions options);

    /// Starts the connection loop.
    void start();
    /// Ends it: connections closed, followed topics closed.
    void stop();

    /// Both on strand_ (callers co_spawn them there).
    boost::asio::awaitable<std::string> publish(std::string name, ServerSentEvent event);
    boost::asio::awaitable<std::shared_ptr<Topic>> topic(std::string name);
    boost::asio::awaitable<std::map<std::string, TopicStats, std::less<>>> stats() const;

    bool ready() const noexcept;
    const boost::asio::strand<boost::asio::any_io_executor>& strand() const noexcept { return strand_; }

private:
    /// A mirror, and a timer its first load cancels for those waiting on it.
    struct Followed {
        Followed(const TopicOptions& options, const boost::asio::any_io_executor& executor)
            : mirror(options, executor), loaded(executor, std::chrono::steady_clock::time_point::max())
        {
        }

        TopicMirror mirror;
        boost::asio::steady_timer loaded;
    };
    using FollowedMap = std::map<std::string, std::unique_ptr<Followed>, std::less<>>;

    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> connect();
    boost::asio::awaitable<void> receive_messages();
    boost::asio::awaitable<void> check_periodically();
    boost::asio::awaitable<void> check_topics();

    /// Loads the first copy of topic `name` from Redis.
    boost::asio::awaitable<void> load(std::string name, Followed& followed);
    /// Reads what `read` asks from the stream of topic `name` and hands it to its mirror.
    boost::asio::awaitable<void> read_stream(std::string name, TopicMirror::Read read);
    /// Starts `read` for topic `name`, unless nothing is to be read.
    void start_read(const std::string& name, TopicMirror::Read read);

    /// The command connection; throws `redis_error::not_connected` when
    /// there is none (Redis went away, or stopping). Asked again after every
    /// wait: the connection may be gone by then.
    RedisConnection& commands(const char* where) const;
    /// Sends `command`; throws `asio::error::timed_out` if no reply came by `deadline`.
    boost::asio::awaitable<RedisReply> command_until(RedisCommand command,
                                                     std::chrono::steady_clock::time_point deadline);

    void on_message(RedisMessage message);
    void drop_unused();

    RedisSubscriberOptions subscriber_options() const;
    /// Writes a line to stderr, unless stopping.
    void report(std::string_view what, std::string_view why) const;
    void report_down(std::string_view why);

    const boost::asio::any_io_executor executor_;
    const boost::asio::strand<boost::asio::any_io_executor> strand_;
    const RedisBackplaneOptions options_;
    const std::string server_id_;
    const std::string probe_channel_;
    const std::string topic_channel_prefix_;

    std::unique_ptr<RedisConnection> commands_;
    std::unique_ptr<RedisSubscriber> subscriber_;
    boost::asio::steady_timer retry_timer_;
    std::string script_sha_;
    bool stopping_ = false;
    bool reported_down_ = false; // an outage was reported and has not ended
    FollowedMap followed_;

    std::atomic<bool> connected_{false};
    std::atomic<std::chrono::steady_clock::rep> last_probe_seen_{0};
};

} // namespace ssekit::detail

#endif
