// How fast encode_event writes events into a buffer that is reused, as a
// session's write buffer is: the steady state allocates nothing.
#include <ssekit/event.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

std::string payload(std::size_t size)
{
    std::string text;
    text.reserve(size);
    for (std::size_t i = 0; i < size; ++i)
        text.push_back(static_cast<char>('a' + i % 26));
    return text;
}

// `lines` lines of `size` bytes in all, LF included.
std::string multi_line_payload(std::size_t size, std::size_t lines)
{
    std::string text = payload(size);
    for (std::size_t i = 1; i < lines; ++i)
        text[i * size / lines - 1] = '\n';
    return text;
}

// Bytes processed are the encoded bytes appended to `out`.
void encode_event(benchmark::State& state, const ssekit::ServerSentEvent& ev)
{
    std::string out;
    boost::system::error_code ec;
    for (auto _ : state) {
        out.clear();
        ssekit::encode_event(ev, out, ec);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    if (ec) {
        state.SkipWithError(ec.message().c_str());
        return;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(out.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

} // namespace

BENCHMARK_CAPTURE(encode_event, data_64B, ssekit::ServerSentEvent{.data = payload(64)});
BENCHMARK_CAPTURE(encode_event, event_id_data_64B,
                  ssekit::ServerSentEvent{.data = payload(64), .event = "message", .id = "1234567"});
BENCHMARK_CAPTURE(encode_event, data_1KiB, ssekit::ServerSentEvent{.data = payload(1024)});
BENCHMARK_CAPTURE(encode_event, data_1KiB_16_lines, ssekit::ServerSentEvent{.data = multi_line_payload(1024, 16)});
BENCHMARK_CAPTURE(encode_event, data_64KiB, ssekit::ServerSentEvent{.data = payload(64 * 1024)});

BENCHMARK_MAIN();
