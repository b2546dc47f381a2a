#ifndef SSEKIT_LIB_REDIS_BACKPLANE_HPP
#define SSEKIT_LIB_REDIS_BACKPLANE_HPP

#include "backplane_protocol.hpp"
#include "redis_connection.hpp"
#include "redis_subscriber.hpp"

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

struct TopicState;

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

    bool ready() const noexcept;
    const boost::asio::strand<boost::asio::any_io_executor>& strand() const noexcept { return strand_; }

private:
    /// This server's copy of one topic.
    struct Mirror {
        explicit Mirror(const boost::asio::any_io_executor& executor) : loaded(executor) {}

        std::shared_ptr<TopicState> state; // null while the first load runs
        std::shared_ptr<Topic> topic;
        std::string epoch;                 // empty until the topic's first event is known
        std::uint64_t last_offset = 0;     // the last offset fed to `state`
        /// A load or catch-up is reading the stream: live events wait here.
        bool busy = false;
        std::vector<ReceivedEvent> pending;
        std::size_t pending_bytes = 0;
        boost::asio::steady_timer loaded; // cancelled when the first load ends
    };
    using MirrorMap = std::map<std::string, std::unique_ptr<Mirror>, std::less<>>;

    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> connect();
    boost::asio::awaitable<void> receive_messages();
    boost::asio::awaitable<void> check_periodically();
    boost::asio::awaitable<void> check_topics();

    /// Reads the stream after the mirror's last offset, feeds it, then what
    /// waited; `reload`: forget the mirror's state and read what the stream
    /// holds of the topic's epoch now.
    boost::asio::awaitable<void> catch_up(std::string name, bool reload);
    void start_catch_up(const std::string& name, Mirror& mirror, bool reload);

    void on_message(RedisMessage message);
    /// A live event of `mirror`'s topic: fed, waits, or starts a catch-up.
    void apply(const std::string& name, Mirror& mirror, ReceivedEvent received);
    /// Feeds events read from the stream of the mirror's epoch, in order.
    void feed(Mirror& mirror, std::vector<ReceivedEvent> events);
    /// A new state for `mirror` in `epoch` after `last_offset`; the old one, if
    /// any, closes (its followers' follow returns).
    void rebase(Mirror& mirror, std::string epoch, std::uint64_t last_offset);
    void drop_unused();

    RedisSubscriberOptions subscriber_options() const;
    /// Writes a line to stderr, unless stopping.
    void report(std::string_view what, std::string_view why) const;

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
    MirrorMap mirrors_;

    std::atomic<bool> connected_{false};
    std::atomic<std::chrono::steady_clock::rep> last_probe_seen_{0};
};

} // namespace ssekit::detail

#endif
