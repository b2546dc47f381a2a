// Tests of event.hpp: the wire form of an event (WHATWG HTML, "Server-sent
// events", 9.2.5 "Parsing an event stream", 9.2.6 "Interpreting an event stream").
#include <ssekit/event.hpp>

#include "support/print.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ssekit/error.hpp>

#include <boost/system/system_error.hpp>

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace data = boost::unit_test::data;

namespace {

struct EncodeCase {
    std::string name;
    ssekit::ServerSentEvent event;
    std::string expected;
};

std::ostream& boost_test_print_type(std::ostream& os, const EncodeCase& c)
{
    return os << c.name;
}

const std::vector<EncodeCase> encode_cases{
    {"data only", {.data = "hello"}, "data: hello\n\n"},
    {"data split on LF", {.data = "a\nb"}, "data: a\ndata: b\n\n"},
    {"data split on CR", {.data = "a\rb"}, "data: a\ndata: b\n\n"},
    {"data split on CRLF", {.data = "a\r\nb"}, "data: a\ndata: b\n\n"},
    {"data with mixed line breaks", {.data = "a\rb\nc\r\nd"}, "data: a\ndata: b\ndata: c\ndata: d\n\n"},
    {"data with LF LF gives an empty line between", {.data = "a\n\nb"}, "data: a\ndata:\ndata: b\n\n"},
    {"data with LF CR is two line breaks", {.data = "a\n\rb"}, "data: a\ndata:\ndata: b\n\n"},
    {"data with a trailing LF", {.data = "a\n"}, "data: a\ndata:\n\n"},
    {"data with a trailing CRLF", {.data = "a\r\n"}, "data: a\ndata:\n\n"},
    {"data with a leading LF", {.data = "\na"}, "data:\ndata: a\n\n"},
    {"data that is only a line break", {.data = "\n"}, "data:\ndata:\n\n"},
    {"empty data string", {.data = ""}, "data:\n\n"},
    {"no fields at all", {}, "\n"},
    {"leading spaces of data preserved", {.data = "  x"}, "data:   x\n\n"},
    {"leading space of a second data line preserved", {.data = "a\n b"}, "data: a\ndata:  b\n\n"},
    {"UTF-8 data unchanged", {.data = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80"},
     "data: h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80\n\n"},
    {"data with a colon", {.data = "key: value"}, "data: key: value\n\n"},
    {"NUL inside data is allowed", {.data = "a\0b"s}, "data: a\0b\n\n"s},
    {"event type", {.data = "x", .event = "greeting"}, "event: greeting\ndata: x\n\n"},
    {"NUL inside event is allowed", {.event = "a\0b"s}, "event: a\0b\n\n"s},
    {"empty event type", {.data = "x", .event = ""}, "event:\ndata: x\n\n"},
    {"id", {.data = "x", .id = "7"}, "id: 7\ndata: x\n\n"},
    {"empty id resets the last event id", {.id = ""}, "id:\n\n"},
    {"retry in milliseconds", {.retry = 3000ms}, "retry: 3000\n\n"},
    {"retry zero", {.retry = 0ms}, "retry: 0\n\n"},
    {"retry given in seconds is written in milliseconds", {.retry = std::chrono::seconds(2)}, "retry: 2000\n\n"},
    {"comment", {.comments = "keep-alive"}, ": keep-alive\n\n"},
    {"multi-line comment", {.comments = "one\r\ntwo\rthree"}, ": one\n: two\n: three\n\n"},
    {"empty comment", {.comments = ""}, ":\n\n"},
    {"empty comment line in the middle", {.comments = "a\n\nb"}, ": a\n:\n: b\n\n"},
    {"all fields in order comments, event, id, retry, data",
     {.data = "d1\nd2", .event = "e", .id = "i", .retry = 5ms, .comments = "c"},
     ": c\nevent: e\nid: i\nretry: 5\ndata: d1\ndata: d2\n\n"},
    {"comment with id and no data", {.id = "42", .comments = "ping"}, ": ping\nid: 42\n\n"},
    // Ids a client can send back unchanged as Last-Event-ID: HTTP keeps
    // inner spaces and tabs and carries UTF-8 as obs-text (RFC 9110 5.5).
    {"id alone", {.id = "42"}, "id: 42\n\n"},
    {"id with an inner space", {.id = "a b"}, "id: a b\n\n"},
    {"id with an inner tab", {.id = "a\tb"}, "id: a\tb\n\n"},
    {"id in two-byte UTF-8", {.id = "caf\xC3\xA9"}, "id: caf\xC3\xA9\n\n"},
    {"id with a four-byte emoji", {.id = "\xF0\x9F\x98\x80"}, "id: \xF0\x9F\x98\x80\n\n"},
    {"id with U+0080, the first two-byte code point", {.id = "\xC2\x80"}, "id: \xC2\x80\n\n"},
    {"id with U+D7FF, just below the surrogates", {.id = "\xED\x9F\xBF"}, "id: \xED\x9F\xBF\n\n"},
    {"id with U+E000, just above the surrogates", {.id = "\xEE\x80\x80"}, "id: \xEE\x80\x80\n\n"},
    {"id with the noncharacter U+FFFF", {.id = "\xEF\xBF\xBF"}, "id: \xEF\xBF\xBF\n\n"},
    {"id with U+10000, the first four-byte code point", {.id = "\xF0\x90\x80\x80"}, "id: \xF0\x90\x80\x80\n\n"},
    {"id with U+10FFFF, the last code point", {.id = "\xF4\x8F\xBF\xBF"}, "id: \xF4\x8F\xBF\xBF\n\n"},
    // Only SP and HTAB are HTTP whitespace: a no-break space at the ends stays.
    {"id with no-break spaces at its ends", {.id = "\xC2\xA0" "1" "\xC2\xA0"}, "id: \xC2\xA0" "1" "\xC2\xA0\n\n"},
};

struct InvalidCase {
    std::string name;
    ssekit::ServerSentEvent event;
    std::string field;   // as named in what()
    std::string because; // part of the reason what() gives
};

std::ostream& boost_test_print_type(std::ostream& os, const InvalidCase& c)
{
    return os << c.name;
}

const std::vector<InvalidCase> invalid_cases{
    {"event with CR", {.data = "x", .event = "a\rb"}, "event", "CR or LF"},
    {"event with LF", {.data = "x", .event = "a\nb"}, "event", "CR or LF"},
    {"event that is only CRLF", {.event = "\r\n"}, "event", "CR or LF"},
    {"id with CR", {.data = "x", .id = "1\r"}, "id", "CR or LF"},
    {"id with LF", {.data = "x", .id = "\n1"}, "id", "CR or LF"},
    {"id with NUL", {.data = "x", .id = "1\0002"s}, "id", "control character"},
    // Ids a client cannot send back unchanged as Last-Event-ID. RFC 9110 5.5:
    // a field value holds no other control than HTAB, and leading and
    // trailing SP and HTAB are not part of it (browsers strip them).
    {"id with a control character", {.data = "x", .id = "4\x01" "2"}, "id", "control character"},
    {"id with an escape", {.data = "x", .id = "\x1B[0m"}, "id", "control character"},
    {"id with DEL", {.data = "x", .id = "4\x7F" "2"}, "id", "control character"},
    {"id with a leading space", {.data = "x", .id = " 42"}, "id", "space or tab"},
    {"id with a trailing space", {.data = "x", .id = "42 "}, "id", "space or tab"},
    {"id with a leading tab", {.data = "x", .id = "\t42"}, "id", "space or tab"},
    {"id with a trailing tab", {.data = "x", .id = "42\t"}, "id", "space or tab"},
    {"id that is only a space", {.id = " "}, "id", "space or tab"},
    // A client decodes the id as UTF-8: a broken sequence becomes U+FFFD,
    // and that is what it sends back (WHATWG 9.2.5, UTF-8 decode).
    {"id with a lone continuation byte", {.data = "x", .id = "1\x80"}, "id", "UTF-8"},
    {"id with an overlong slash", {.data = "x", .id = "\xC0\xAF"}, "id", "UTF-8"},
    {"id with an overlong three-byte slash", {.data = "x", .id = "\xE0\x80\xAF"}, "id", "UTF-8"},
    {"id with an overlong four-byte U+FFFF", {.data = "x", .id = "\xF0\x8F\xBF\xBF"}, "id", "UTF-8"},
    {"id with a UTF-16 surrogate", {.data = "x", .id = "\xED\xA0\x80"}, "id", "UTF-8"},
    {"id past U+10FFFF", {.data = "x", .id = "\xF4\x90\x80\x80"}, "id", "UTF-8"},
    {"id with a truncated two-byte sequence", {.data = "x", .id = "caf\xC3"}, "id", "UTF-8"},
    {"id with a truncated four-byte sequence", {.data = "x", .id = "\xF0\x9F\x98" "a"}, "id", "UTF-8"},
    {"id with a lead byte before ASCII", {.data = "x", .id = "\xC3" "a"}, "id", "UTF-8"},
    {"id with 0xFF, never in UTF-8", {.data = "x", .id = "\xFF"}, "id", "UTF-8"},
    {"id in Latin-1", {.data = "x", .id = "caf\xE9"}, "id", "UTF-8"},
    {"negative retry", {.data = "x", .retry = -1ms}, "retry", "negative"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(encode_event_tests)

BOOST_DATA_TEST_CASE(encode_event_writes_the_whatwg_wire_form, data::make(encode_cases), c)
{
    BOOST_TEST(!ssekit::validate_event(c.event));
    BOOST_TEST(ssekit::encode_event(c.event) == c.expected);
}

BOOST_DATA_TEST_CASE(encode_event_appends_to_out_and_clears_ec, data::make(encode_cases), c)
{
    std::string out = "previous\n\n";
    boost::system::error_code ec = ssekit::error::session_closed;
    ssekit::encode_event(c.event, out, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(out == "previous\n\n" + c.expected);
}

BOOST_AUTO_TEST_CASE(encode_event_writes_a_one_mebibyte_data_value)
{
    const std::string value(1024 * 1024, 'x');
    const std::string out = ssekit::encode_event({.data = value});
    BOOST_TEST(out.size() == value.size() + std::string_view("data: \n\n").size());
    BOOST_TEST(out.substr(0, 8) == "data: xx");
    BOOST_TEST(out.substr(out.size() - 4) == "xx\n\n");
    BOOST_TEST(out.find('\n') == out.size() - 2);
}

BOOST_DATA_TEST_CASE(validate_event_refuses_fields_that_would_change_meaning, data::make(invalid_cases), c)
{
    const boost::system::error_code ec = ssekit::validate_event(c.event);
    BOOST_TEST(ec == ssekit::error::invalid_field);
    BOOST_TEST(ec.category().name() == std::string_view("ssekit"));
}

BOOST_DATA_TEST_CASE(encode_event_with_error_code_appends_nothing_on_error, data::make(invalid_cases), c)
{
    std::string out = "data: earlier\n\n";
    boost::system::error_code ec;
    ssekit::encode_event(c.event, out, ec);
    BOOST_TEST(ec == ssekit::error::invalid_field);
    BOOST_TEST(out == "data: earlier\n\n");
}

BOOST_DATA_TEST_CASE(encode_event_throws_system_error_naming_the_field_and_why, data::make(invalid_cases), c)
{
    try {
        (void)ssekit::encode_event(c.event);
        BOOST_FAIL("encode_event did not throw");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == ssekit::error::invalid_field);
        BOOST_TEST(std::string_view(e.what()).find("'" + c.field + "'") != std::string_view::npos,
                   "what() = " << e.what());
        BOOST_TEST(std::string_view(e.what()).find(c.because) != std::string_view::npos, "what() = " << e.what());
    }
}

BOOST_AUTO_TEST_CASE(validate_event_allows_nul_in_data_event_and_comments)
{
    // WHATWG 9.2.6 ignores an id field holding NUL; no other field forbids it.
    const ssekit::ServerSentEvent ev{.data = "\0"s, .event = "\0"s, .comments = "\0"s};
    BOOST_TEST(!ssekit::validate_event(ev));
}

BOOST_AUTO_TEST_CASE(validate_event_allows_line_breaks_in_data_and_comments)
{
    BOOST_TEST(!ssekit::validate_event({.data = "a\r\nb\rc\n", .comments = "x\ny"}));
}

BOOST_AUTO_TEST_CASE(validate_event_applies_the_last_event_id_rules_to_id_alone)
{
    // Only the id travels back in a header; the other fields may start or end
    // with whitespace, hold controls other than CR and LF, and bytes that are
    // not UTF-8 (the browser shows those as U+FFFD, as any text it decodes).
    const ssekit::ServerSentEvent ev{.data = " \xC0\xAF\t", .event = "\t\xFF\x01 ", .comments = " \x7F\xED\xA0\x80 "};
    BOOST_TEST(!ssekit::validate_event(ev));
    BOOST_TEST(ssekit::encode_event(ev) == ":  \x7F\xED\xA0\x80 \nevent: \t\xFF\x01 \ndata:  \xC0\xAF\t\n\n");
}

BOOST_AUTO_TEST_SUITE_END()
