#include "io_context_pool.hpp"

#include <cstdio>
#include <exception>
#include <thread>

namespace ssekit::detail {

namespace {

// ssekit catches what user code throws where it runs it; this is the last
// line of defence, so that one escaped exception never stops a thread of
// the server (run(1)) or terminates the process (a worker thread).
void run_until_stopped(boost::asio::io_context& context) noexcept
{
    for (;;) {
        try {
            context.run();
            return;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "ssekit: an exception escaped to the event loop, which goes on: %s\n", e.what());
        } catch (...) {
            std::fputs("ssekit: an exception escaped to the event loop, which goes on\n", stderr);
        }
    }
}

} // namespace

IoContextPool::IoContextPool() { contexts_.push_back(std::make_unique<boost::asio::io_context>(1)); }

boost::asio::any_io_executor IoContextPool::next_executor() noexcept
{
    std::size_t count = running_.load(std::memory_order_acquire);
    return contexts_[next_++ % count]->get_executor();
}

void IoContextPool::run(std::size_t threads)
{
    if (threads == 0)
        threads = 1;
    while (contexts_.size() < threads)
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.clear();
    for (std::size_t i = 0; i < threads; ++i) {
        contexts_[i]->restart();
        guards_.emplace_back(contexts_[i]->get_executor());
    }
    running_.store(threads, std::memory_order_release);

    std::vector<std::jthread> workers;
    for (std::size_t i = 1; i < threads; ++i)
        workers.emplace_back([context = contexts_[i].get()] { run_until_stopped(*context); });
    run_until_stopped(*contexts_.front());
    // jthread joins the others on destruction.
}

void IoContextPool::release() noexcept
{
    for (auto& guard : guards_)
        guard.reset();
}

void IoContextPool::stop() noexcept
{
    for (std::size_t i = 0; i < running_.load(std::memory_order_acquire); ++i)
        contexts_[i]->stop();
}

} // namespace ssekit::detail
