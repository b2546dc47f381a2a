// Fuzz target: a ServerSentEvent built from the input, written by
// encode_event and read back by EventStreamParser, must give what WHATWG HTML
// ("Server-sent events", 9.2.5, 9.2.6) says a browser dispatches for it:
// the comments, the retry, and one message whose data is the given data with
// CRLF and CR turned into LF, whose type is the event (or "message") and
// whose id is the given id. encode_event must refuse exactly the events
// event.hpp calls invalid. A difference aborts.
//
// Input: one byte of flags saying which fields are present (bit 0 data,
// 1 event, 2 id, 3 retry, 4 comments); then, for those present, event, id and
// comments each as a length byte and that many bytes, retry as 8 bytes of a
// little-endian signed count of milliseconds; the rest is the data.
#include <ssekit/event.hpp>

#include <ssekit/error.hpp>
#include <ssekit/event_stream_parser.hpp>
#include <ssekit/published_event.hpp>

#include "print_events.hpp"

#include <boost/system/system_error.hpp>

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

class InputReader {
public:
    InputReader(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

    std::uint8_t byte()
    {
        if (rest_.empty())
            return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }

    std::string bytes(std::size_t n)
    {
        n = std::min(n, rest_.size());
        std::string s(rest_.substr(0, n));
        rest_.remove_prefix(n);
        return s;
    }

    std::int64_t int64()
    {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= std::uint64_t{byte()} << (8 * i);
        return static_cast<std::int64_t>(v);
    }

    std::string rest() { return bytes(rest_.size()); }

private:
    std::string_view rest_;
};

ssekit::ServerSentEvent event_from(const std::uint8_t* data, std::size_t size)
{
    InputReader in(data, size);
    const std::uint8_t flags = in.byte();
    ssekit::ServerSentEvent ev;
    if (flags & 2)
        ev.event = in.bytes(in.byte());
    if (flags & 4)
        ev.id = in.bytes(in.byte());
    if (flags & 16)
        ev.comments = in.bytes(in.byte());
    if (flags & 8)
        ev.retry = std::chrono::milliseconds(in.int64());
    if (flags & 1)
        ev.data = in.rest();
    return ev;
}

bool has_any(std::string_view s, std::string_view chars) { return s.find_first_of(chars) != std::string_view::npos; }

// Well-formed UTF-8 as Unicode's Table 3-7 lists it, byte range by byte range
// (written apart from the library's check, so that they test each other).
bool is_utf8(std::string_view s)
{
    auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0x100u; };
    auto in = [](unsigned b, unsigned low, unsigned high) { return b >= low && b <= high; };
    for (std::size_t i = 0; i < s.size();) {
        const unsigned b0 = byte(i), b1 = byte(i + 1), b2 = byte(i + 2), b3 = byte(i + 3);
        if (b0 <= 0x7F)
            i += 1;
        else if (in(b0, 0xC2, 0xDF) && in(b1, 0x80, 0xBF))
            i += 2;
        else if ((b0 == 0xE0 && in(b1, 0xA0, 0xBF) && in(b2, 0x80, 0xBF)) ||
                 ((in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) && in(b1, 0x80, 0xBF) && in(b2, 0x80, 0xBF)) ||
                 (b0 == 0xED && in(b1, 0x80, 0x9F) && in(b2, 0x80, 0xBF)))
            i += 3;
        else if ((b0 == 0xF0 && in(b1, 0x90, 0xBF) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF)) ||
                 (in(b0, 0xF1, 0xF3) && in(b1, 0x80, 0xBF) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF)) ||
                 (b0 == 0xF4 && in(b1, 0x80, 0x8F) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF)))
            i += 4;
        else
            return false;
    }
    return true;
}

// An id a client can send back unchanged as Last-Event-ID: valid UTF-8, no
// control but an inner HTAB, no SP or HTAB at either end (RFC 9110 5.5).
bool is_sendable_id(std::string_view id)
{
    const bool controls = std::any_of(id.begin(), id.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return (b < 0x20 && c != '\t') || b == 0x7F;
    });
    auto space_or_tab = [](char c) { return c == ' ' || c == '\t'; };
    const bool padded = !id.empty() && (space_or_tab(id.front()) || space_or_tab(id.back()));
    return !controls && !padded && is_utf8(id);
}

// event.hpp: no CR or LF in event; an id a client can send back; no negative retry.
bool is_writable(const ssekit::ServerSentEvent& ev)
{
    using namespace std::string_view_literals;
    return !(ev.event && has_any(*ev.event, "\r\n"sv)) && !(ev.id && !is_sendable_id(*ev.id)) &&
           !(ev.retry && ev.retry->count() < 0);
}

// The lines of a value: CRLF, CR and LF each end one (WHATWG 9.2.5).
std::vector<std::string> lines_of(std::string_view value)
{
    std::vector<std::string> lines(1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\r' || value[i] == '\n') {
            if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n')
                ++i;
            lines.emplace_back();
        } else {
            lines.back().push_back(value[i]);
        }
    }
    return lines;
}

struct Expected {
    std::vector<ssekit::ReceivedEvent> events;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;
};

// What a browser sees, the way WHATWG 9.2.6 tells it, from a fresh stream
// (last event ID ""): comments and a retry notice come before the blank line
// that dispatches, so they still carry the old last event ID; the message
// needs data (an empty string is data, no value is none); the id is the
// last event ID even without a message.
Expected expected_from(const ssekit::ServerSentEvent& ev)
{
    Expected out;
    if (ev.comments)
        for (std::string& line : lines_of(*ev.comments))
            out.events.push_back({.kind = ssekit::EventKind::comment, .data = std::move(line)});
    if (ev.retry) {
        out.events.push_back({.kind = ssekit::EventKind::retry, .retry = *ev.retry});
        out.retry = ev.retry;
    }
    out.last_event_id = ev.id.value_or("");
    if (ev.data) {
        std::string data;
        for (const std::string& line : lines_of(*ev.data))
            data += line + "\n";
        data.pop_back();
        const std::string type = ev.event.value_or("");
        out.events.push_back({.kind = ssekit::EventKind::message,
                              .type = type.empty() ? "message" : type,
                              .data = std::move(data),
                              .id = out.last_event_id});
    }
    return out;
}

[[noreturn]] void fail(const char* what, std::string_view wire)
{
    std::fprintf(stderr, "event_round_trip: %s\nwire: '", what);
    ssekit::fuzz::print_escaped(wire);
    std::fprintf(stderr, "'\n");
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const ssekit::ServerSentEvent ev = event_from(data, size);

    std::string wire;
    try {
        wire = ssekit::encode_event(ev);
    } catch (const boost::system::system_error& e) {
        if (e.code() != ssekit::error::invalid_field)
            fail("encode_event threw another error than invalid_field", "");
        if (is_writable(ev))
            fail("encode_event refused a writable event", "");
        return 0;
    }
    if (!is_writable(ev))
        fail("encode_event wrote an event event.hpp calls invalid", wire);

    // The error_code overload appends the same bytes.
    std::string appended = "data: before\n\n";
    boost::system::error_code ec = ssekit::error::session_closed;
    ssekit::encode_event(ev, appended, ec);
    if (ec || appended != "data: before\n\n" + wire)
        fail("encode_event(ev, out, ec) differs from encode_event(ev)", wire);

    // A topic's copy holds the same bytes, and reads its fields back as the
    // browser does below.
    const ssekit::PublishedEvent published(ev, 1, std::chrono::steady_clock::now());
    if (published.encoded() != wire)
        fail("PublishedEvent encodes otherwise than encode_event", wire);
    const Expected expected = expected_from(ev);
    const bool has_message = !expected.events.empty() && expected.events.back().kind == ssekit::EventKind::message;
    if (published.id() != expected.last_event_id || published.data().has_value() != has_message ||
        (has_message && *published.data() != expected.events.back().data) ||
        published.type() != (ev.event ? std::optional<std::string_view>(*ev.event) : std::nullopt))
        fail("PublishedEvent reads back other fields than a browser sees", wire);

    // A browser has no limits; neither has this parser.
    ssekit::EventStreamParser parser({.show_comments = true,
                                      .show_retry = true,
                                      .max_line_bytes = SIZE_MAX / 4,
                                      .max_event_bytes = SIZE_MAX / 4});
    std::vector<ssekit::ReceivedEvent> events;
    ec = parser.feed(wire, [&](const ssekit::ReceivedEvent& received) { events.push_back(received); });
    if (ec)
        fail("the parser refused the encoded event", wire);

    if (events != expected.events || parser.last_event_id() != expected.last_event_id ||
        parser.retry() != expected.retry) {
        ssekit::fuzz::print_events("expected", expected.events, expected.last_event_id);
        ssekit::fuzz::print_events("parsed", events, parser.last_event_id());
        fail("the parsed event differs from what WHATWG says a browser sees", wire);
    }
    return 0;
}
