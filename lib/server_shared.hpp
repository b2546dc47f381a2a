#ifndef SSEKIT_LIB_SERVER_SHARED_HPP
#define SSEKIT_LIB_SERVER_SHARED_HPP

#include "connection_registry.hpp"

#include <ssekit/routing.hpp>
#include <ssekit/server.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>

namespace ssekit::detail {

/// What every connection of one server reads; connections hold it by
/// shared_ptr, so it outlives the Server object when a user's executor still
/// runs their last steps.
struct ServerShared {
    explicit ServerShared(ServerOptions opts) : options(std::move(opts)) {}

    /// Hands a handler's escaped exception to the hook, or prints it.
    void report_handler_error(const Request& request, std::exception_ptr error) const noexcept;

    /// A connection no longer counts; the last one of a stopping or draining
    /// server calls `drained`.
    void connection_ended() noexcept;
    /// Calls `drained` if the server is stopping or draining and no
    /// connection is left.
    void end_run_if_drained() noexcept;
    /// Once stop() found no connection left: ends `run()`, though other work
    /// (a topic's age timer, say) still waits on the server's executors.
    /// Set before the server accepts.
    std::function<void()> drained;

    Router router;
    const ServerOptions options;
    ConnectionRegistry registry;
    std::atomic<std::size_t> connection_count{0};
    std::atomic<std::size_t> lingering_refusals{0}; // refusals over max_connections that drain now

    /// Set once by Server::drain, before the connections are told: a stream
    /// that starts later says goodbye at once, a plain answer closes its
    /// connection.
    std::atomic<bool> draining{false};
    /// What a handler gets to end by itself once its stream winds down;
    /// written before `draining` is set, read after.
    std::chrono::steady_clock::duration drain_grace{options.drain_handler_grace};
};

} // namespace ssekit::detail

#endif
