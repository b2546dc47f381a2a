#ifndef SSEKIT_LIB_CONNECTION_REGISTRY_HPP
#define SSEKIT_LIB_CONNECTION_REGISTRY_HPP

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace ssekit::detail {

/// A live connection as the registry sees it: something to end on stop.
class RegisteredConnection {
public:
    /// Ends the connection now; called on its own executor.
    virtual void shut_down() noexcept = 0;

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

private:
    struct Entry {
        boost::asio::any_io_executor executor;
        RegisteredConnection* connection;
    };

    void shut_down(std::uint64_t id);

    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, Entry> live_;
    std::uint64_t next_id_ = 0;
    bool stopping_ = false;
};

} // namespace ssekit::detail

#endif
