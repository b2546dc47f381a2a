// Fuzz target: an event stream fed to ssekit::EventStreamParser whole and in
// chunks, with small limits so that line_too_long and event_too_large are
// reached. event_stream_parser.hpp promises that the events do not depend on
// where the chunks were split, and that memory is bounded by the limits: a
// difference aborts.
//
// Input: five header bytes, then the stream.
//   [0] bit 0: show_comments, bit 1: show_retry
//   [1] max_line_bytes: the byte's value, 255 for the 1 MiB default
//   [2] max_event_bytes: twice the byte's value, 255 for the 16 MiB default
//   [3], [4] chunk sizes, each 0 to 16, used in turn (0: an empty feed)
#include <ssekit/event_stream_parser.hpp>

#include "print_events.hpp"

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t header_size = 5;

struct Outcome {
    std::vector<ssekit::ReceivedEvent> events;
    boost::system::error_code error;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;

    bool operator==(const Outcome&) const = default;
};

void print(const char* name, const Outcome& o)
{
    const std::string error = "error '" + o.error.message() + "'";
    ssekit::fuzz::print_events(name, o.events, o.last_event_id, error);
}

class Feeder {
public:
    explicit Feeder(const ssekit::ParserOptions& options) : parser_(options) {}

    void feed(std::string_view chunk)
    {
        const boost::system::error_code ec =
            parser_.feed(chunk, [this](const ssekit::ReceivedEvent& ev) { outcome_.events.push_back(ev); });
        // A failed parser keeps returning its error; the first one counts.
        if (!outcome_.error)
            outcome_.error = ec;
    }

    Outcome finish()
    {
        outcome_.last_event_id = parser_.last_event_id();
        outcome_.retry = parser_.retry();
        return outcome_;
    }

private:
    ssekit::EventStreamParser parser_;
    Outcome outcome_;
};

// "Memory is bounded by max_line_bytes and max_event_bytes": a message's
// data and type fit the event limit, a comment and an id fit in a line.
void check_bounds(const Outcome& o, const ssekit::ParserOptions& options)
{
    for (const auto& ev : o.events) {
        bool ok = ev.id.size() <= options.max_line_bytes;
        if (ev.kind == ssekit::EventKind::message)
            ok = ok && ev.data.size() <= options.max_event_bytes && !ev.type.empty() &&
                 (ev.type == "message" || ev.type.size() <= options.max_event_bytes);
        if (ev.kind == ssekit::EventKind::comment)
            ok = ok && ev.data.size() <= options.max_line_bytes;
        if (!ok) {
            print("event out of bounds", o);
            std::abort();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < header_size)
        return 0;
    ssekit::ParserOptions options;
    options.show_comments = (data[0] & 1) != 0;
    options.show_retry = (data[0] & 2) != 0;
    if (data[1] != 255)
        options.max_line_bytes = data[1];
    if (data[2] != 255)
        options.max_event_bytes = std::size_t{2} * data[2];
    const std::size_t chunk_sizes[] = {data[3] % 17u, data[4] % 17u};
    const std::string_view stream(reinterpret_cast<const char*>(data) + header_size, size - header_size);

    Feeder whole(options);
    whole.feed(stream);
    const Outcome expected = whole.finish();

    Feeder chunked(options);
    std::string_view rest = stream;
    for (std::size_t turn = 0; !rest.empty(); ++turn) {
        std::size_t n = chunk_sizes[turn % 2];
        if (chunk_sizes[0] == 0 && chunk_sizes[1] == 0)
            n = rest.size();
        chunked.feed(rest.substr(0, n));
        rest.remove_prefix(std::min(n, rest.size()));
    }
    const Outcome actual = chunked.finish();

    if (actual != expected) {
        std::fprintf(stderr, "event_stream_parser: chunks of %zu and %zu give other events than the whole stream\n",
                     chunk_sizes[0], chunk_sizes[1]);
        print("whole", expected);
        print("chunked", actual);
        std::abort();
    }
    check_bounds(actual, options);
    return 0;
}
