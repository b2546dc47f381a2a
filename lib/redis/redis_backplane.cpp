#include <ssekit/redis_backplane.hpp>

#include "backplane.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ssekit {

RedisBackplane::RedisBackplane(boost::asio::any_io_executor executor, RedisBackplaneOptions options)
    : backplane_(std::make_shared<detail::Backplane>(std::move(executor), std::move(options)))
{
    backplane_->start();
}

RedisBackplane::~RedisBackplane() { backplane_->stop(); }

// The work runs on the backplane's strand, holding the engine (this object
// may go meanwhile); the caller resumes on its own executor.
boost::asio::awaitable<std::string> RedisBackplane::publish(std::string_view name, const ServerSentEvent& event)
{
    auto work = [engine = backplane_, name = std::string(name), event] { return engine->publish(name, event); };
    co_return co_await boost::asio::co_spawn(backplane_->strand(), std::move(work), boost::asio::use_awaitable);
}

boost::asio::awaitable<std::shared_ptr<Topic>> RedisBackplane::topic(std::string_view name)
{
    auto work = [engine = backplane_, name = std::string(name)] { return engine->topic(name); };
    co_return co_await boost::asio::co_spawn(backplane_->strand(), std::move(work), boost::asio::use_awaitable);
}

boost::asio::awaitable<std::map<std::string, TopicStats, std::less<>>> RedisBackplane::stats() const
{
    auto work = [engine = backplane_] { return engine->stats(); };
    co_return co_await boost::asio::co_spawn(backplane_->strand(), std::move(work), boost::asio::use_awaitable);
}

bool RedisBackplane::ready() const noexcept { return backplane_->ready(); }

} // namespace ssekit
