// What one published event costs per subscriber, in process: a server on
// this thread's io_context, N subscribers over loopback sockets following
// one topic, and the time from publish() until every subscriber's copy was
// handed to the kernel. The subscribers' sockets are drained outside the
// timed region, so only the server's side is measured.
#include <ssekit/broadcast.hpp>
#include <ssekit/server.hpp>
#include <ssekit/session.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class FanoutBench {
public:
    explicit FanoutBench(std::size_t subscribers) : server_(io_.get_executor(), server_options())
    {
        server_.sse("/sub", [this](ssekit::ServerSSESession& session) -> asio::awaitable<void> {
            co_await session.follow(topic_);
        });
        const tcp::endpoint endpoint = server_.listen("127.0.0.1", 0);
        static constexpr std::string_view request = "GET /sub HTTP/1.1\r\nHost: bench\r\n\r\n";
        for (std::size_t i = 0; i < subscribers; ++i) {
            auto& client = clients_.emplace_back(io_);
            client.connect(endpoint);
            asio::write(client, asio::buffer(request));
            client.non_blocking(true);
        }
        while (topic_.stats().subscribers < subscribers)
            io_.run_one();
        io_.poll();
        drain();
    }

    /// Publishes one event and runs the server until it has written it to everyone.
    void publish_and_deliver(const ssekit::ServerSentEvent& event)
    {
        topic_.publish(event);
        io_.poll();
    }

    /// Reads what the subscribers have received, so their buffers never fill.
    void drain()
    {
        std::array<char, 64 * 1024> scratch;
        for (auto& client : clients_) {
            boost::system::error_code ec;
            while (!ec)
                client.read_some(asio::buffer(scratch), ec);
        }
    }

private:
    static ssekit::ServerOptions server_options()
    {
        ssekit::ServerOptions options;
        options.max_connections = 100'000;
        return options;
    }

    asio::io_context io_;
    ssekit::Topic topic_;
    ssekit::Server server_;
    std::vector<tcp::socket> clients_;
};

void fanout_per_subscriber(benchmark::State& state)
{
    const auto subscribers = static_cast<std::size_t>(state.range(0));
    FanoutBench bench(subscribers);
    const ssekit::ServerSentEvent event{.data = std::string(64, 'x')};
    std::size_t since_drain = 0;
    for (auto _ : state) {
        bench.publish_and_deliver(event);
        if (++since_drain == 64) {
            state.PauseTiming();
            bench.drain();
            since_drain = 0;
            state.ResumeTiming();
        }
    }
    // Reported per subscriber: the inverse rate is time per delivery.
    state.counters["per_subscriber"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * static_cast<double>(subscribers),
        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

} // namespace

BENCHMARK(fanout_per_subscriber)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
