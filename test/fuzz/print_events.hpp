#ifndef SSEKIT_TEST_FUZZ_PRINT_EVENTS_HPP
#define SSEKIT_TEST_FUZZ_PRINT_EVENTS_HPP

// What a fuzz target prints to stderr before it aborts on a mismatch, so the
// report shows both sides byte for byte.

#include <ssekit/event_stream_parser.hpp>

#include <cstdio>
#include <string_view>
#include <vector>

namespace ssekit::fuzz {

/// `text` with every byte outside printable ASCII (and the backslash) as \xNN.
inline void print_escaped(std::string_view text)
{
    for (unsigned char c : text) {
        if (c >= 0x20 && c < 0x7F && c != '\\')
            std::fputc(c, stderr);
        else
            std::fprintf(stderr, "\\x%02X", c);
    }
}

/// One line per event, after a line naming them, their count, and `note`
/// (empty, or e.g. the parser's error) and the last event id.
inline void print_events(const char* name, const std::vector<ReceivedEvent>& events, std::string_view last_id,
                         std::string_view note = {})
{
    std::fprintf(stderr, "%s: %zu events, ", name, events.size());
    if (!note.empty())
        std::fprintf(stderr, "%.*s, ", static_cast<int>(note.size()), note.data());
    std::fprintf(stderr, "last id '");
    print_escaped(last_id);
    std::fprintf(stderr, "'\n");
    for (const auto& ev : events) {
        std::fprintf(stderr, "  kind %d type '", static_cast<int>(ev.kind));
        print_escaped(ev.type);
        std::fprintf(stderr, "' data '");
        print_escaped(ev.data);
        std::fprintf(stderr, "' id '");
        print_escaped(ev.id);
        std::fprintf(stderr, "' retry %lld\n", static_cast<long long>(ev.retry.count()));
    }
}

} // namespace ssekit::fuzz

#endif
