// How fast EventStreamParser reads a stream of events, fed in 16 KiB chunks
// as a client's socket reads would hand them over. The parser and its event
// are reused, as a client's are: the steady state allocates nothing.
#include <ssekit/event.hpp>
#include <ssekit/event_stream_parser.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t chunk_size = 16 * 1024;
constexpr std::size_t stream_size = 4 * 1024 * 1024;

std::string payload(std::size_t size)
{
    std::string text;
    text.reserve(size);
    for (std::size_t i = 0; i < size; ++i)
        text.push_back(static_cast<char>('a' + i % 26));
    return text;
}

// About 4 MiB of events with `data_size` bytes of data each, as ssekit's
// server encodes them (with an id, as replayable streams have).
std::string event_stream(std::size_t data_size)
{
    const std::string data = payload(data_size);
    std::string stream;
    for (std::size_t i = 0; stream.size() < stream_size; ++i) {
        ssekit::ServerSentEvent ev{.data = data, .id = std::to_string(i)};
        stream += ssekit::encode_event(ev);
    }
    return stream;
}

void parse_event_stream(benchmark::State& state, std::size_t data_size)
{
    const std::string stream = event_stream(data_size);
    ssekit::EventStreamParser parser;
    std::size_t events = 0;
    for (auto _ : state) {
        for (std::size_t at = 0; at < stream.size(); at += chunk_size) {
            std::string_view chunk = std::string_view(stream).substr(at, std::min(chunk_size, stream.size() - at));
            auto ec = parser.feed(chunk, [&](const ssekit::ReceivedEvent& ev) {
                benchmark::DoNotOptimize(ev.data.data());
                ++events;
            });
            if (ec) {
                state.SkipWithError(ec.message().c_str());
                return;
            }
        }
        parser.end_of_stream();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(stream.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
}

} // namespace

BENCHMARK_CAPTURE(parse_event_stream, data_64B, 64);
BENCHMARK_CAPTURE(parse_event_stream, data_1KiB, 1024);
BENCHMARK_CAPTURE(parse_event_stream, data_64KiB, 64 * 1024);

BENCHMARK_MAIN();
