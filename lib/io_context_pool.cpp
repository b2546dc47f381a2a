#include "io_context_pool.hpp"

#include <thread>

namespace ssekit::detail {

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
        workers.emplace_back([context = contexts_[i].get()] { context->run(); });
    contexts_.front()->run();
    // jthread joins the others on destruction.
}

void IoContextPool::release() noexcept
{
    for (auto& guard : guards_)
        guard.reset();
}

} // namespace ssekit::detail
