#include "connection_registry.hpp"

#include <boost/asio/post.hpp>

#include <vector>

namespace ssekit::detail {

std::uint64_t ConnectionRegistry::add(boost::asio::any_io_executor executor, RegisteredConnection& connection)
{
    std::lock_guard lock(mutex_);
    std::uint64_t id = next_id_++;
    live_.emplace(id, Entry{std::move(executor), &connection});
    return id;
}

void ConnectionRegistry::remove(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    live_.erase(id);
}

bool ConnectionRegistry::stopping() const
{
    std::lock_guard lock(mutex_);
    return stopping_;
}

std::vector<std::pair<std::uint64_t, boost::asio::any_io_executor>> ConnectionRegistry::snapshot()
{
    std::vector<std::pair<std::uint64_t, boost::asio::any_io_executor>> targets;
    std::lock_guard lock(mutex_);
    targets.reserve(live_.size());
    for (const auto& [id, entry] : live_)
        targets.emplace_back(id, entry.executor);
    return targets;
}

void ConnectionRegistry::shut_down_all(std::shared_ptr<const void> owner)
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    for (auto& [id, executor] : snapshot())
        boost::asio::post(executor, [this, owner, id = id] {
            visit(id, [](RegisteredConnection& connection) { connection.shut_down(); });
        });
}

void ConnectionRegistry::drain_all(std::shared_ptr<const void> owner)
{
    for (auto& [id, executor] : snapshot())
        boost::asio::post(executor, [this, owner, id = id] {
            visit(id, [](RegisteredConnection& connection) { connection.begin_drain(); });
        });
}

template <class Action>
void ConnectionRegistry::visit(std::uint64_t id, Action action)
{
    // Runs on the connection's executor, where it removes itself: found here
    // means alive until this returns.
    RegisteredConnection* connection = nullptr;
    {
        std::lock_guard lock(mutex_);
        auto it = live_.find(id);
        if (it == live_.end())
            return;
        connection = it->second.connection;
    }
    action(*connection);
}

} // namespace ssekit::detail
