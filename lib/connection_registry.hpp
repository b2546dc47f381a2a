#ifndef SSEKIT_LIB_CONNECTION_REGISTRY_HPP
#define SSEKIT_LIB_CONNECTION_REGISTRY_HPP

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ssekit::detail {

/// A live connection as the registry sees it: something to end on stop, or
/// to wind down on drain.
class RegisteredConnection {
public:
    /// Ends the connection now; called on its own executor.
    virtual void shut_down() noexcept = 0;
    /// The server drains: finish what is under way and end; called on its
    /// own executor, maybe more than once.
    virtual void begin_drain() noexcept = 0;

protected:
    ~RegisteredConnection() = default;
};

/// The live connections of a server, so `stop()` can end each one on its
/// own executor. A connection adds and removes itself on its executor, so a
/// shutdown posted there finds it alive or not at all.
class ConnectionRegistry {
public:
    std::uint64_t add(boost::asio::any_io_executor executor, RegisteredConnection& connection);
    void remove(std::uint64_t id);

    /// Posts `shut_down()` to every live connection; `stopping()` is true from
    /// now on. `owner` keeps this registry alive until the posts have run.
    void shut_down_all(std::shared_ptr<const void> owner);
    bool stopping() const;

    /// Posts `begin_drain()` to every live connection. `owner` keeps this
    /// registry alive until the posts have run.
    void drain_all(std::shared_ptr<const void> owner);

private:
    struct Entry {
        boost::asio::any_io_executor executor;
        RegisteredConnection* connection;
    };

    /// Runs `action` on connection `id` if it is still live; call on its executor.
    template <class Action>
    void visit(std::uint64_t id, Action action);
    std::vector<std::pair<std::uint64_t, boost::asio::any_io_executor>> snapshot();

    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, Entry> live_;
    std::uint64_t next_id_ = 0;
    bool stopping_ = false;
};

} // namespace ssekit::detail

#endif
