#include "farewell.hpp"

#include <ssekit/server.hpp>

#include <random>
#include <stdexcept>

namespace ssekit::detail {

namespace {

std::mt19937_64& generator()
{
    // Seeded once per thread: a drain draws once per stream, thousands at a time.
    thread_local std::mt19937_64 engine = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    return engine;
}

} // namespace

std::chrono::milliseconds draw_retry(std::chrono::milliseconds min, std::chrono::milliseconds max)
{
    if (max <= min)
        return min;
    std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(min.count(), max.count());
    return std::chrono::milliseconds(pick(generator()));
}

std::chrono::steady_clock::duration jitter(std::chrono::steady_clock::duration period, double spread)
{
    const double reach = static_cast<double>(period.count()) * spread;
    if (reach < 1.0)
        return period;
    std::uniform_real_distribution<double> pick(-reach, reach);
    return period + std::chrono::steady_clock::duration(static_cast<std::chrono::steady_clock::rep>(pick(generator())));
}

std::string encode_farewell(const ServerSentEvent& event, std::chrono::milliseconds retry)
{
    ServerSentEvent farewell = event;
    farewell.retry = retry;
    return encode_event(farewell);
}

void check_drain_options(const ServerOptions& options)
{
    if (options.drain_retry_min < std::chrono::milliseconds::zero() ||
        options.drain_retry_max < options.drain_retry_min)
        throw std::invalid_argument(
            "ssekit::ServerOptions: the drain's retry window must have 0 <= drain_retry_min <= drain_retry_max");
    if (validate_event(options.drain_event))
        throw std::invalid_argument("ssekit::ServerOptions: drain_event cannot be encoded (see validate_event)");
}

} // namespace ssekit::detail
