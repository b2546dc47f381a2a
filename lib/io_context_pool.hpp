#ifndef SSEKIT_LIB_IO_CONTEXT_POOL_HPP
#define SSEKIT_LIB_IO_CONTEXT_POOL_HPP

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace ssekit::detail {

/// One io_context per thread: a connection stays on one thread, so its
/// coroutines need neither strand nor lock, and the scheduler runs with
/// concurrency hint 1.
class IoContextPool {
public:
    IoContextPool();

    /// The first context: it accepts, and it exists before `run`.
    boost::asio::io_context& first() const noexcept { return *contexts_.front(); }

    /// The context for the next connection, round robin over those running.
    boost::asio::any_io_executor next_executor() noexcept;

    /// Runs `threads` contexts (the first on the calling thread) until `release()`
    /// and the end of their work.
    void run(std::size_t threads);

    /// Lets the contexts return from `run` once their work is done. Call on
    /// the first context's thread.
    void release() noexcept;

    /// Makes `run` return now, whatever work is left (it stays, and is
    /// destroyed with the pool). Any thread.
    void stop() noexcept;

private:
    using work_guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<std::optional<work_guard>> guards_;
    std::atomic<std::size_t> running_{1};
    std::size_t next_ = 0; // touched by the accept loop only, on the first context
};

} // namespace ssekit::detail

#endif
