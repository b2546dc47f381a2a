// Tests of event_stream_parser.hpp: the WHATWG rules for reading an event
// stream (HTML, "Server-sent events", 9.2.5 "Parsing an event stream", 9.2.6
// "Interpreting an event stream"), whatever the chunks it arrives in.
#include <ssekit/event_stream_parser.hpp>

#include "support/print.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ssekit/error.hpp>
#include <ssekit/event.hpp>

#include <chrono>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace data = boost::unit_test::data;
using ssekit::EventKind;
using ssekit::ParserOptions;
using ssekit::ReceivedEvent;

namespace ssekit {

std::ostream& boost_test_print_type(std::ostream& os, const ReceivedEvent& ev)
{
    static const char* const kinds[] = {"message", "comment", "retry"};
    os << "{" << kinds[static_cast<int>(ev.kind)] << " type='" << ev.type << "' data='";
    for (char c : ev.data) {
        if (c == '\n')
            os << "\\n";
        else if (c == '\r')
            os << "\\r";
        else if (c == '\0')
            os << "\\0";
        else
            os << c;
    }
    return os << "' id='" << ev.id << "' retry=" << ev.retry.count() << "}";
}

} // namespace ssekit

namespace {

ReceivedEvent message(std::string data, std::string type = "message", std::string id = "")
{
    return ReceivedEvent{.kind = EventKind::message, .type = std::move(type), .data = std::move(data), .id = std::move(id)};
}

ReceivedEvent comment(std::string text, std::string id = "")
{
    return ReceivedEvent{.kind = EventKind::comment, .data = std::move(text), .id = std::move(id)};
}

ReceivedEvent retry_notice(std::chrono::milliseconds retry)
{
    return ReceivedEvent{.kind = EventKind::retry, .retry = retry};
}

struct Outcome {
    std::vector<ReceivedEvent> events;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;
    boost::system::error_code error;

    bool operator==(const Outcome&) const = default;
};

std::ostream& boost_test_print_type(std::ostream& os, const Outcome& o)
{
    os << "events:";
    for (const auto& ev : o.events)
        ssekit::boost_test_print_type(os << " ", ev);
    os << " last_event_id='" << o.last_event_id << "' retry=";
    if (o.retry)
        os << o.retry->count();
    else
        os << "none";
    return os << " error=" << o.error;
}

// Feeds `chunks` in order, then ends the stream.
Outcome parse_chunks(const std::vector<std::string_view>& chunks, ParserOptions options = {})
{
    ssekit::EventStreamParser parser(options);
    Outcome outcome;
    for (std::string_view chunk : chunks) {
        outcome.error = parser.feed(chunk, [&](const ReceivedEvent& ev) { outcome.events.push_back(ev); });
        if (outcome.error)
            break;
    }
    parser.end_of_stream();
    outcome.last_event_id = parser.last_event_id();
    outcome.retry = parser.retry();
    return outcome;
}

Outcome parse_whole(std::string_view input, ParserOptions options = {})
{
    return parse_chunks({input}, options);
}

Outcome parse_split(std::string_view input, std::size_t at, ParserOptions options = {})
{
    return parse_chunks({input.substr(0, at), input.substr(at)}, options);
}

Outcome parse_bytewise(std::string_view input, ParserOptions options = {})
{
    std::vector<std::string_view> chunks;
    for (std::size_t i = 0; i < input.size(); ++i)
        chunks.push_back(input.substr(i, 1));
    return parse_chunks(chunks, options);
}

struct ParseCase {
    std::string name;
    std::string input;
    std::vector<ReceivedEvent> events;
    std::string last_event_id{};
    std::optional<std::chrono::milliseconds> retry{};
    ParserOptions options{};
    boost::system::error_code error{};
};

std::ostream& boost_test_print_type(std::ostream& os, const ParseCase& c)
{
    return os << c.name;
}

const ParserOptions show_all{.show_comments = true, .show_retry = true};
const ParserOptions small_limits{.max_line_bytes = 8, .max_event_bytes = 10};
const ParserOptions small_event{.max_line_bytes = 64, .max_event_bytes = 10};

const std::vector<ParseCase> parse_cases{
    // Dispatch and data.
    {"one data line", "data: hello\n\n", {message("hello")}},
    {"two events", "data: a\n\ndata: b\n\n", {message("a"), message("b")}},
    {"data lines joined with LF", "data: a\ndata: b\n\n", {message("a\nb")}},
    {"final LF of the data buffer removed", "data: a\ndata:\n\n", {message("a\n")}},
    {"empty data line dispatches empty data", "data:\n\n", {message("")}},
    {"empty data buffer is not dispatched", "event: x\n\n: c\n\nfoo\n\n\n\n", {}},
    {"blank line dispatches, not the next field", "data: a\n\ndata: b\n", {message("a")}},
    {"unterminated event at end of stream dropped", "data: a\n\ndata: b", {message("a")}},
    {"unterminated event with line end dropped", "data: a\n\ndata: b\n", {message("a")}},

    // Line ends.
    {"CRLF line ends", "data: a\r\n\r\ndata: b\r\n\r\n", {message("a"), message("b")}},
    {"CR line ends", "data: a\rdata: b\r\r", {message("a\nb")}},
    {"mixed line ends", "data: a\rdata: b\r\ndata: c\n\r\n", {message("a\nb\nc")}},
    {"LF CR is two line ends", "data: a\n\rdata: b\n\n", {message("a"), message("b")}},
    {"CR CR is two line ends", "data: a\r\rdata: b\r\r", {message("a"), message("b")}},
    {"CR LF LF dispatches", "data: a\r\n\n", {message("a")}},
    {"CR inside data ends the line", "data: a\rb\n\n", {message("a")}},

    // BOM.
    {"BOM at stream start skipped", "\xEF\xBB\xBF" "data: a\n\n", {message("a")}},
    {"second BOM is part of the field name",
     "\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n", {message("b")}},
    {"BOM later in the stream is text", "data: a\n\n\xEF\xBB\xBF" "data: b\n\n", {message("a")}},
    {"half a BOM is text", "\xEF\xBB" "data: a\n\ndata: b\n\n", {message("b")}},
    {"BOM inside a value is kept", "data: \xEF\xBB\xBF\n\n", {message("\xEF\xBB\xBF")}},

    // Fields.
    {"one leading space dropped", "data:  a\n\n", {message(" a")}},
    {"no space after the colon", "data:a\n\n", {message("a")}},
    {"trailing spaces kept", "data: a  \n\n", {message("a  ")}},
    {"colons in the value kept", "data: a: b:c\n\n", {message("a: b:c")}},
    {"line without colon is a field with an empty value", "data\n\n", {message("")}},
    {"two lines without colon", "data\ndata\n\n", {message("\n")}},
    {"unknown fields ignored", "foo: bar\ndata: x\nDATA: y\nData: z\n\n", {message("x")}},
    {"field name with a space is unknown", "data : x\n\n", {}},
    {"NUL in data kept", "data: a\0b\n\n"s, {message("a\0b"s)}},
    {"UTF-8 data kept", "data: h\xC3\xA9llo \xF0\x9F\x98\x80\n\n", {message("h\xC3\xA9llo \xF0\x9F\x98\x80")}},

    // Comments.
    {"comments ignored", ": hi\ndata: a\n:\n\n", {message("a")}},
    {"comments shown", ": hi\n:\n:  two\ndata: a\n\n", {comment("hi"), comment(""), comment(" two"), message("a")},
     "", std::nullopt, show_all},
    {"comment does not dispatch or end an event", "data: a\n: x\ndata: b\n\n", {message("a\nb")}},

    // event.
    {"event sets the type", "event: greeting\ndata: x\n\n", {message("x", "greeting")}},
    {"type resets after dispatch", "event: a\ndata: 1\n\ndata: 2\n\n", {message("1", "a"), message("2")}},
    {"empty type is message", "event:\ndata: x\n\n", {message("x")}},
    {"last event field wins", "event: a\nevent: b\ndata: x\n\n", {message("x", "b")}},
    {"type resets after an event with no data", "event: a\n\ndata: x\n\n", {message("x")}},

    // id.
    {"id sets the last event id", "id: 7\ndata: x\n\n", {message("x", "message", "7")}, "7"},
    {"last event id persists", "id: 7\ndata: x\n\ndata: y\n\n",
     {message("x", "message", "7"), message("y", "message", "7")}, "7"},
    {"empty id resets it", "id: 1\ndata: a\n\nid\ndata: b\n\n", {message("a", "message", "1"), message("b")}, ""},
    {"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s,
     {message("a", "message", "1"), message("b", "message", "1")}, "1"},
    {"id set at dispatch without data", "id: 5\n\n", {}, "5"},
    {"id of an unterminated event not set", "id: 5\ndata: x\n", {}, ""},
    {"id applies to the event it is in", "data: a\nid: 3\n\n", {message("a", "message", "3")}, "3"},

    // retry.
    {"retry of digits sets the reconnection time", "retry: 1500\n", {}, "", 1500ms},
    {"retry zero", "retry: 0\n", {}, "", 0ms},
    {"retry with a letter ignored", "retry: 1500\nretry: 15a\n", {}, "", 1500ms},
    {"negative retry ignored", "retry: -1\n", {}, "", std::nullopt},
    {"empty retry ignored", "retry:\nretry\n", {}, "", std::nullopt},
    {"retry with an extra space ignored", "retry:  10\n", {}, "", std::nullopt},
    {"retry too large for the clock ignored", "retry: 99999999999999999999999999\n", {}, "", std::nullopt},
    {"retry changes shown", "retry: 20\nretry: x\ndata: a\n\n", {retry_notice(20ms), message("a")}, "", 20ms,
     show_all},

    // Limits.
    {"line at the limit accepted", "data: 12\n\n", {message("12")}, "", std::nullopt, small_limits},
    {"line over the limit fails", "data: 1\n\ndata: 123\n\n", {message("1")}, "", std::nullopt, small_limits,
     ssekit::error::line_too_long},
    {"unterminated line over the limit fails", "data: 123", {}, "", std::nullopt, small_limits,
     ssekit::error::line_too_long},
    {"event over the limit fails", "data: 1234\ndata: 12\n\ndata: 12345\ndata: 1234\n\n", {message("1234\n12")}, "",
     std::nullopt, small_event, ssekit::error::event_too_large},
};

} // namespace

BOOST_AUTO_TEST_SUITE(event_stream_parser)

BOOST_DATA_TEST_CASE(parses_as_whatwg_says, data::make(parse_cases), c)
{
    const Outcome expected{c.events, c.last_event_id, c.retry, c.error};
    BOOST_TEST(parse_whole(c.input, c.options) == expected);
}

BOOST_DATA_TEST_CASE(same_result_split_at_every_byte, data::make(parse_cases), c)
{
    const Outcome expected{c.events, c.last_event_id, c.retry, c.error};
    for (std::size_t at = 0; at <= c.input.size(); ++at)
        BOOST_TEST(parse_split(c.input, at, c.options) == expected, "split at " << at);
}

BOOST_DATA_TEST_CASE(same_result_byte_by_byte, data::make(parse_cases), c)
{
    const Outcome expected{c.events, c.last_event_id, c.retry, c.error};
    BOOST_TEST(parse_bytewise(c.input, c.options) == expected);
}

BOOST_AUTO_TEST_CASE(an_error_sticks_until_the_stream_ends)
{
    ssekit::EventStreamParser parser(small_limits);
    int events = 0;
    auto count = [&](const ReceivedEvent&) { ++events; };
    BOOST_TEST(parser.feed("data: 123456789\n", count) == ssekit::error::line_too_long);
    BOOST_TEST(parser.feed("data: 1\n\n", count) == ssekit::error::line_too_long);
    BOOST_TEST(events == 0);

    parser.end_of_stream();
    BOOST_TEST(!parser.feed("data: 1\n\n", count));
    BOOST_TEST(events == 1);
}

BOOST_AUTO_TEST_CASE(a_long_line_fails_at_the_limit_without_buffering_it)
{
    // 10 MiB of one line in 16 KiB chunks: the parser gives up once it holds
    // the 1 MiB default, and reads no further.
    ssekit::EventStreamParser parser;
    const std::string chunk(16 * 1024, 'a');
    std::size_t fed = 0;
    boost::system::error_code ec;
    while (!ec && fed < 10 * 1024 * 1024) {
        ec = parser.feed(chunk, [](const ReceivedEvent&) {});
        fed += chunk.size();
    }
    BOOST_TEST(ec == ssekit::error::line_too_long);
    BOOST_TEST(fed <= parser.options().max_line_bytes + chunk.size());
}

BOOST_AUTO_TEST_CASE(end_of_stream_drops_the_event_and_rearms_the_bom)
{
    ssekit::EventStreamParser parser;
    std::vector<ReceivedEvent> events;
    auto keep = [&](const ReceivedEvent& ev) { events.push_back(ev); };
    BOOST_TEST(!parser.feed("id: 1\ndata: a\n\nid: 2\ndata: dropped\n", keep));
    parser.end_of_stream();
    BOOST_TEST(parser.last_event_id() == "1");
    BOOST_TEST(!parser.feed("\xEF\xBB\xBF" "data: b\n\n", keep));
    const std::vector<ReceivedEvent> expected{message("a", "message", "1"), message("b", "message", "1")};
    BOOST_TEST(events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_cr_at_the_end_of_a_stream_does_not_eat_the_next_streams_lf)
{
    ssekit::EventStreamParser parser;
    std::vector<ReceivedEvent> events;
    auto keep = [&](const ReceivedEvent& ev) { events.push_back(ev); };
    BOOST_TEST(!parser.feed("data: a\r", keep));
    parser.end_of_stream();
    BOOST_TEST(!parser.feed("\ndata: b\n\n", keep));
    const std::vector<ReceivedEvent> expected{message("b")};
    BOOST_TEST(events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(set_last_event_id_is_reported_until_an_id_field)
{
    ssekit::EventStreamParser parser;
    parser.set_last_event_id("41");
    std::vector<ReceivedEvent> events;
    auto keep = [&](const ReceivedEvent& ev) { events.push_back(ev); };
    BOOST_TEST(!parser.feed("data: a\n\nid: 42\ndata: b\n\n", keep));
    const std::vector<ReceivedEvent> expected{message("a", "message", "41"), message("b", "message", "42")};
    BOOST_TEST(events == expected, boost::test_tools::per_element());
    parser.reset();
    BOOST_TEST(parser.last_event_id() == "");
}

BOOST_AUTO_TEST_CASE(reuses_the_event_and_its_strings)
{
    // Nothing is allocated per event in the steady state: the event handed
    // out is always the same object, and the data buffers take turns.
    ssekit::EventStreamParser parser;
    const std::string stream = "data: " + std::string(200, 'x') + "\n\n"; // past the small-string buffer
    const ReceivedEvent* first = nullptr;
    std::vector<const char*> data_buffers;
    BOOST_TEST(!parser.feed(stream + stream + stream, [&](const ReceivedEvent& ev) {
        if (first == nullptr)
            first = &ev;
        BOOST_TEST(&ev == first);
        data_buffers.push_back(ev.data.data());
    }));
    BOOST_REQUIRE(data_buffers.size() == 3u);
    BOOST_TEST(static_cast<const void*>(data_buffers[2]) == static_cast<const void*>(data_buffers[0]));
}

// Random events, encoded by the server's encoder, come back as a browser
// would see them.
BOOST_AUTO_TEST_CASE(round_trip_of_random_events_through_encode_event)
{
    std::mt19937 random(20240531); // fixed seed: the same run every time
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
    const std::vector<std::string> pieces{"a", "hello", " ", "  lead", ":", "x: y", "\xC3\xA9", "\xE2\x9C\x93",
                                          "\xF0\x9F\x98\x80", "\t", "0", std::string(1, '\0'), "data: no"};
    const std::vector<std::string> breaks{"\n", "\r", "\r\n", "\n\n", "\r\n\r\n"};
    auto text = [&](bool with_breaks) {
        std::string s;
        const std::size_t parts = pick(6);
        for (std::size_t i = 0; i < parts; ++i) {
            if (with_breaks && pick(3) == 0)
                s += breaks[pick(breaks.size())];
            else
                s += pieces[pick(pieces.size())];
        }
        return s;
    };
    auto without = [](std::string s, std::string_view bad) {
        std::string out;
        for (char c : s)
            if (bad.find(c) == std::string_view::npos)
                out += c;
        return out;
    };
    // An id a client can send back: no space or tab at either end (the
    // pieces are UTF-8, and once NUL is gone a tab is their only control).
    auto trimmed = [](std::string s) {
        const auto first = s.find_first_not_of(" \t");
        if (first == std::string::npos)
            return std::string();
        return s.substr(first, s.find_last_not_of(" \t") - first + 1);
    };
    // What a parser makes of data: every CRLF, CR and LF is one LF.
    auto normalized = [](std::string_view s) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '\r') {
                out += '\n';
                if (i + 1 < s.size() && s[i + 1] == '\n')
                    ++i;
            } else {
                out += s[i];
            }
        }
        return out;
    };

    for (int round = 0; round < 50; ++round) {
        std::string stream;
        std::vector<ReceivedEvent> expected;
        std::string last_id;
        std::optional<std::chrono::milliseconds> retry;
        for (int n = 0; n < 40; ++n) {
            ssekit::ServerSentEvent ev;
            if (pick(4) != 0)
                ev.data = text(true);
            if (pick(3) == 0)
                ev.event = without(text(false), "\r\n");
            if (pick(3) == 0)
                ev.id = trimmed(without(text(false), std::string_view("\r\n\0", 3)));
            if (pick(5) == 0)
                ev.retry = std::chrono::milliseconds(pick(100000));
            if (pick(5) == 0)
                ev.comments = text(true);
            stream += ssekit::encode_event(ev);

            if (ev.id)
                last_id = *ev.id;
            if (ev.retry)
                retry = ev.retry;
            if (ev.data) {
                std::string type = ev.event.value_or("");
                expected.push_back(message(normalized(*ev.data), type.empty() ? "message" : type, last_id));
            }
        }

        const Outcome want{expected, last_id, retry, {}};
        BOOST_TEST(parse_whole(stream) == want, "round " << round);

        // The same stream in random chunks, some of them empty.
        std::vector<std::string_view> chunks;
        for (std::size_t at = 0; at < stream.size();) {
            std::size_t size = std::min(pick(40), stream.size() - at);
            chunks.push_back(std::string_view(stream).substr(at, size));
            at += size;
        }
        BOOST_TEST(parse_chunks(chunks) == want, "round " << round << " in chunks");
    }
}

BOOST_AUTO_TEST_CASE(content_type_check_takes_case_parameters_and_spaces)
{
    BOOST_TEST(ssekit::is_event_stream_content_type("text/event-stream"));
    BOOST_TEST(ssekit::is_event_stream_content_type("Text/Event-Stream"));
    BOOST_TEST(ssekit::is_event_stream_content_type(" text/event-stream ; charset=utf-8"));
    BOOST_TEST(!ssekit::is_event_stream_content_type("text/plain"));
    BOOST_TEST(!ssekit::is_event_stream_content_type("text/event-streams"));
    BOOST_TEST(!ssekit::is_event_stream_content_type(""));
}

BOOST_AUTO_TEST_SUITE_END()
