// bench_redis_publish: how many events per second RedisBackplane::publish
// gets through one Redis. C coroutines on one thread publish events of B
// bytes to one topic back to back for D seconds; the backplane pipelines
// their commands on its one connection to Redis, so C is the number of
// commands in flight at most. Prints one JSON object: publishes, publishes
// per second (first publish sent to last answer) and the round trip of a
// publish (p50, p99, max).
//
//   bench_redis_publish --redis 127.0.0.1:6379 [--coroutines 256] [--duration 5]
//                       [--payload 64] [--topic NAME]
//
// Exit status: 0 every publish answered; 1 a publish failed; 2 usage
// error; 3 the backplane was not ready (Redis out of reach) within 10 s.

#include <ssekit/event.hpp>
#include <ssekit/redis_backplane.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int usage_status = 2;
constexpr int not_ready_status = 3;
constexpr auto ready_limit = 10s;

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    unsigned coroutines = 256;
    double duration_s = 5;
    std::size_t payload = 64;
    std::string topic = "bench-publish";
};

template <class Number>
Number number(std::string_view name, std::string_view text, Number low, Number high)
{
    Number value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !(value >= low && value <= high))
        throw std::invalid_argument("--" + std::string(name) + " wants a number from " + std::to_string(low) +
                                    " to " + std::to_string(high) + ", not '" + std::string(text) + "'");
    return value;
}

Options parse_options(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (!arg.starts_with("--"))
            throw std::invalid_argument("unexpected argument '" + std::string(arg) + "'");
        arg.remove_prefix(2);
        std::string_view name = arg.substr(0, arg.find('='));
        std::string_view value;
        if (name.size() < arg.size())
            value = arg.substr(name.size() + 1);
        else if (i + 1 < argc)
            value = argv[++i];
        else
            throw std::invalid_argument("--" + std::string(name) + " wants a value");

        if (name == "redis") {
            const auto colon = value.rfind(':');
            if (colon == std::string_view::npos || colon == 0)
                throw std::invalid_argument("--redis wants HOST:PORT, not '" + std::string(value) + "'");
            options.host = std::string(value.substr(0, colon));
            options.port = static_cast<std::uint16_t>(number<unsigned>("redis", value.substr(colon + 1), 1, 65535));
        } else if (name == "coroutines") {
            options.coroutines = number<unsigned>(name, value, 1, 100'000);
        } else if (name == "duration") {
            options.duration_s = number<double>(name, value, 0.1, 3600);
        } else if (name == "payload") {
            options.payload = number<std::size_t>(name, value, 1, 1024 * 1024);
        } else if (name == "topic") {
            if (value.empty())
                throw std::invalid_argument("--topic wants a name");
            options.topic = value;
        } else {
            throw std::invalid_argument("unknown option --" + std::string(name));
        }
    }
    if (options.port == 0)
        throw std::invalid_argument("--redis HOST:PORT is required");
    return options;
}

struct Tally {
    std::uint64_t publishes = 0;
    std::uint64_t failures = 0;
    std::string first_failure;
    std::vector<std::int64_t> round_trips_ns;
    clock_type::time_point last_answer{};
    bool ready = false;
};

asio::awaitable<bool> wait_until_ready(const ssekit::RedisBackplane& backplane)
{
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto deadline = clock_type::now() + ready_limit;
    while (!backplane.ready()) {
        if (clock_type::now() >= deadline)
            co_return false;
        timer.expires_after(10ms);
        co_await timer.async_wait(asio::use_awaitable);
    }
    co_return true;
}

// Publishes until `stop`; a failure ends this coroutine (Redis out of reach
// fails every publish at once: carrying on would only spin).
asio::awaitable<void> publish_until(ssekit::RedisBackplane& backplane, std::string topic,
                                    const ssekit::ServerSentEvent& event, clock_type::time_point stop, Tally& tally)
{
    while (clock_type::now() < stop) {
        const auto sent = clock_type::now();
        try {
            co_await backplane.publish(topic, event);
        } catch (const boost::system::system_error& e) {
            if (tally.failures++ == 0)
                tally.first_failure = e.what();
            co_return;
        }
        const auto answered = clock_type::now();
        ++tally.publishes;
        tally.round_trips_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(answered - sent).count());
        tally.last_answer = std::max(tally.last_answer, answered);
    }
}

asio::awaitable<void> run(const Options& options, Tally& tally, clock_type::time_point& start)
{
    auto executor = co_await asio::this_coro::executor;
    ssekit::RedisBackplane backplane(executor, ssekit::RedisBackplaneOptions{.host = options.host,
                                                                              .port = options.port});
    if (!co_await wait_until_ready(backplane))
        co_return;
    tally.ready = true;
    const ssekit::ServerSentEvent event{.data = std::string(options.payload, 'x')};
    // The first publish loads the script into Redis: not part of the measure.
    co_await backplane.publish(options.topic, event);

    start = clock_type::now();
    const auto stop = start + std::chrono::duration_cast<clock_type::duration>(
                                  std::chrono::duration<double>(options.duration_s));
    unsigned running = options.coroutines;
    std::exception_ptr failure;
    for (unsigned c = 0; c < options.coroutines; ++c)
        asio::co_spawn(executor, publish_until(backplane, options.topic, event, stop, tally),
                       [&](std::exception_ptr e) {
                           if (e && !failure)
                               failure = e;
                           --running;
                       });
    asio::steady_timer timer(executor);
    while (running > 0) {
        timer.expires_after(5ms);
        co_await timer.async_wait(asio::use_awaitable);
    }
    if (failure)
        std::rethrow_exception(failure);
}

std::int64_t percentile_us(std::vector<std::int64_t>& sorted_ns, double share)
{
    if (sorted_ns.empty())
        return 0;
    const auto index = static_cast<std::size_t>(share * static_cast<double>(sorted_ns.size() - 1));
    return sorted_ns[index] / 1000;
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    try {
        options = parse_options(argc, argv);
    } catch (const std::invalid_argument& e) {
        std::cerr << "bench_redis_publish: " << e.what() << "\n"
                  << "usage: bench_redis_publish --redis HOST:PORT [--coroutines N] [--duration SECONDS] "
                     "[--payload BYTES] [--topic NAME]\n";
        return usage_status;
    }

    asio::io_context io;
    Tally tally;
    tally.round_trips_ns.reserve(1 << 20);
    clock_type::time_point start{};
    std::exception_ptr error;
    asio::co_spawn(io, run(options, tally, start), [&](std::exception_ptr e) {
        error = e;
        io.stop();
    });
    io.run();

    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            std::cerr << "bench_redis_publish: " << e.what() << '\n';
        }
        return 1;
    }
    if (!tally.ready) {
        std::cerr << "bench_redis_publish: the backplane was not ready within 10 s (is Redis at " << options.host
                  << ':' << options.port << "?)\n";
        return not_ready_status;
    }

    const double elapsed_s = std::chrono::duration<double>(tally.last_answer - start).count();
    std::sort(tally.round_trips_ns.begin(), tally.round_trips_ns.end());
    boost::json::object report{
        {"mode", "redis-publish"},
        {"coroutines", options.coroutines},
        {"duration_s", options.duration_s},
        {"payload", options.payload},
        {"publishes", tally.publishes},
        {"failures", tally.failures},
        {"elapsed_s", elapsed_s},
        {"publishes_per_s", elapsed_s > 0 ? static_cast<double>(tally.publishes) / elapsed_s : 0.0},
        {"publish_rtt_p50_us", percentile_us(tally.round_trips_ns, 0.50)},
        {"publish_rtt_p99_us", percentile_us(tally.round_trips_ns, 0.99)},
        {"publish_rtt_max_us", tally.round_trips_ns.empty() ? 0 : tally.round_trips_ns.back() / 1000},
    };
    if (!tally.first_failure.empty())
        std::cerr << "bench_redis_publish: " << tally.failures << " publishes failed; the first: "
                  << tally.first_failure << '\n';
    std::cout << boost::json::serialize(report) << std::endl;
    return tally.failures == 0 ? 0 : 1;
}
